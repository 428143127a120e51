"""The ``quillpress`` command: help, migrations, create-user and serve's preparation.

No test starts a server: ``uvicorn.run`` is replaced by a recorder."""

from __future__ import annotations

import asyncio
import os
import pty
import select
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
import uvicorn
from alembic.script import ScriptDirectory
from asgi_lifespan import LifespanManager
from sqlalchemy import select as sql_select
from typer.testing import CliRunner

from quillpress import __version__, cli
from quillpress.app import create_app
from quillpress.cli.serve import prepare_serve
from quillpress.config import Settings
from quillpress.db import migrate
from quillpress.db.models import AppUser
from quillpress.seeding.plan import SeedPlan
from tests.cli import db
from tests.cli.conftest import free_port, serve_args
from tests.conftest import FAST_HASHING, make_settings
from tests.helpers import auth, create_article, register

SCHEMA = {"app_user", "article", "tag", "article_tag", "favorite", "follow", "comment"}
ADMIN_PASSWORD = "admin-password-1"


def invoke(runner: CliRunner, *args: str, input: str | None = None) -> Any:
    return runner.invoke(cli.app, list(args), input=input)


# --- help ------------------------------------------------------------------------------


def test_help_lists_every_command(runner: CliRunner) -> None:
    result = invoke(runner, "--help")
    assert result.exit_code == 0, result.output
    for command in ("serve", "db", "seed", "create-user"):
        assert command in result.output
    db_help = invoke(runner, "db", "--help")
    assert db_help.exit_code == 0, db_help.output
    for command in ("upgrade", "downgrade", "current"):
        assert command in db_help.output


def test_version_prints_the_package_version(runner: CliRunner) -> None:
    result = invoke(runner, "--version")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"quillpress {__version__}\n"


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, group
    for name, command in getattr(group, "commands", {}).items():
        yield from _commands(command, (*path, name))


def test_help_lines_do_not_break_mid_sentence_at_80_columns() -> None:
    """Each help text (a command's summary, an option's help, each line of a docstring)
    must appear whole on one line of the rendered help."""
    runner = CliRunner(env={"COLUMNS": "80", "TERMINAL_WIDTH": "80"})
    root = typer.main.get_command(cli.app)
    for path, command in _commands(root):
        rendered = runner.invoke(cli.app, [*path, "--help"]).output
        lines = [" ".join(line.strip(" │").split()) for line in rendered.splitlines()]
        assert max(len(line) for line in rendered.splitlines()) <= 80, path
        texts = [param.help for param in command.params if getattr(param, "help", None)]
        texts += [
            sub.get_short_help_str(limit=200) for sub in getattr(command, "commands", {}).values()
        ]
        texts += [line.strip() for line in (command.help or "").splitlines() if line.strip()]
        for text in texts:
            assert any(text in line for line in lines), (path, text, rendered)


def test_serve_help_says_it_serves_rest_and_graphql(runner: CliRunner) -> None:
    assert "REST and GraphQL" in invoke(runner, "serve", "--help").output


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "quillpress", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "create-user" in result.stdout


# --- db --------------------------------------------------------------------------------


def test_db_upgrade_downgrade_round_trip(runner: CliRunner, db_url: str) -> None:
    head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    assert head is not None
    assert "(no schema)" in invoke(runner, "db", "current").output

    upgraded = invoke(runner, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert db.tables(db_url) >= SCHEMA
    assert head in invoke(runner, "db", "current").output

    downgraded = invoke(runner, "db", "downgrade", "base")
    assert downgraded.exit_code == 0, downgraded.output
    assert not SCHEMA & db.tables(db_url)
    assert "(no schema)" in invoke(runner, "db", "current").output

    again = invoke(runner, "db", "upgrade", "head")
    assert again.exit_code == 0, again.output
    assert db.tables(db_url) >= SCHEMA
    assert head in invoke(runner, "db", "current").output


# --- create-user -----------------------------------------------------------------------


def test_admin_from_the_cli_may_delete_anyones_article(runner: CliRunner, db_url: str) -> None:
    result = invoke(
        runner, "create-user", "root", "root@example.com", "--password", ADMIN_PASSWORD, "--admin"
    )
    assert result.exit_code == 0, result.output
    assert "admin" in result.output
    assert db.role_of(db_url, "root") == "admin"
    asyncio.run(_admin_deletes_an_article(db_url))


async def _admin_deletes_an_article(db_url: str) -> None:
    app = create_app(make_settings(db_url))
    transport = httpx.ASGITransport(app=app)
    async with (
        LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        writer = await register(client, "writer")
        article = await create_article(client, writer, title="Not the admin's")
        login = await client.post(
            "/api/users/login",
            json={"user": {"email": "root@example.com", "password": ADMIN_PASSWORD}},
        )
        assert login.status_code == 200, login.text
        headers = auth(login.json()["user"]["token"])
        response = await client.delete(f"/api/articles/{article['slug']}", headers=headers)
        assert response.status_code == 204, response.text
        gone = await client.get(f"/api/articles/{article['slug']}")
        assert gone.status_code == 404


def test_create_user_without_admin_makes_a_plain_user(runner: CliRunner, db_url: str) -> None:
    result = invoke(runner, "create-user", "ann", "ann@example.com", "--password", "password-1")
    assert result.exit_code == 0, result.output
    assert db.role_of(db_url, "ann") == "user"


def test_create_user_reads_the_password_from_stdin(runner: CliRunner, db_url: str) -> None:
    result = invoke(
        runner, "create-user", "sia", "sia@example.com", "--password-stdin", input="pw-stdin-1\n"
    )
    assert result.exit_code == 0, result.output
    asyncio.run(_can_log_in(db_url, "sia@example.com", "pw-stdin-1"))


def test_create_user_without_a_password_or_a_terminal_fails_in_one_line(
    runner: CliRunner, db_url: str
) -> None:
    result = invoke(runner, "create-user", "tia", "tia@example.com", input="")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: no password given and no terminal to prompt on "
        "(pipe it in with --password-stdin, or pass --password)"
    ]
    assert not SCHEMA & db.tables(db_url)  # refused before touching the database


def test_create_user_refuses_both_password_flags_and_empty_stdin(
    runner: CliRunner, db_url: str
) -> None:
    both = invoke(
        runner, "create-user", "u", "u@example.com", "--password", "pw-123456", "--password-stdin"
    )
    assert both.exit_code == 2
    assert "not both" in both.stderr
    empty = invoke(runner, "create-user", "u", "u@example.com", "--password-stdin", input="\n")
    assert empty.exit_code == 2
    assert "read no password" in empty.stderr


def test_create_user_prompts_on_a_terminal_hidden_and_confirmed(db_url: str) -> None:
    """A real pseudo-terminal: the prompt, no echo, the confirmation, and the account."""
    answers = ["password-1", "password-2", "password-1", "password-1"]  # a mismatch first
    transcript = _create_user_on_a_terminal("bob", answers)
    assert transcript.count("Password: ") == 2  # the mismatch asked again
    assert "do not match" in transcript
    assert "password-1" not in transcript  # hidden input is not echoed
    assert "Created user bob" in transcript
    asyncio.run(_can_log_in(db_url, "bob@x.org", "password-1"))


def _create_user_on_a_terminal(username: str, answers: list[str]) -> str:
    """Run ``create-user`` on a pty (its controlling terminal) and answer each prompt.

    A prompt is answered only once its trailing space has arrived: getpass writes that
    after turning echo off, and flushes whatever was typed before."""
    pid, fd = pty.fork()
    if pid == 0:  # the child becomes the CLI
        argv = [sys.executable, "-m", "quillpress", "create-user", username, f"{username}@x.org"]
        os.execv(sys.executable, argv)  # noqa: S606 (the CLI under test)
    pending, transcript = list(answers), b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if not select.select([fd], [], [], 0.5)[0]:
                continue
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the child has exited and closed the terminal
                break
            if not chunk:
                break
            transcript += chunk
            if pending and transcript.endswith(b": "):
                os.write(fd, pending.pop(0).encode() + b"\n")
    finally:
        if time.monotonic() >= deadline:  # a prompt never came: do not wait forever
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, transcript
    return transcript.decode(errors="replace")


async def _can_log_in(db_url: str, email: str, password: str) -> None:
    app = create_app(make_settings(db_url))
    transport = httpx.ASGITransport(app=app)
    async with (
        LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        login = await client.post(
            "/api/users/login", json={"user": {"email": email, "password": password}}
        )
        assert login.status_code == 200, login.text


def test_create_user_with_a_taken_username_exits_1(runner: CliRunner, db_url: str) -> None:
    first = invoke(runner, "create-user", "cyd", "cyd@example.com", "--password", "password-1")
    assert first.exit_code == 0, first.output
    again = invoke(runner, "create-user", "CYD", "other@example.com", "--password", "password-1")
    assert again.exit_code == 1
    assert "username has already been taken" in again.output
    assert db.count(db_url, "app_user") == 1


def test_create_user_reports_invalid_input(runner: CliRunner, db_url: str) -> None:
    result = invoke(runner, "create-user", "dee", "not-an-email", "--password", "short")
    assert result.exit_code == 1
    assert "email" in result.output
    assert "password" in result.output
    assert "Traceback" not in result.output


# --- serve -----------------------------------------------------------------------------


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def test_serve_migrates_then_starts_uvicorn_with_the_factory(
    runner: CliRunner, db_url: str, uvicorn_calls: list[Any]
) -> None:
    port = free_port()
    result = invoke(runner, "serve", "--host", "0.0.0.0", "--port", str(port), "--workers", "3")  # noqa: S104
    assert result.exit_code == 0, result.output
    assert db.tables(db_url) >= SCHEMA
    assert db.count(db_url, "app_user") == 0  # no --demo, no data
    assert uvicorn_calls == [
        (
            ("quillpress.app:create_app",),
            {
                "factory": True,
                "host": "0.0.0.0",  # noqa: S104
                "port": port,
                "workers": 3,
                "reload": False,
                "access_log": False,
                "log_config": None,
                "timeout_graceful_shutdown": 20,
                # no QUILLPRESS_TRUSTED_PROXIES: no X-Forwarded-For is believed, not even
                # from 127.0.0.1 (uvicorn's own default)
                "proxy_headers": False,
                "forwarded_allow_ips": "",
            },
        )
    ]


def test_serve_refuses_production_without_a_secret(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    monkeypatch.setenv("QUILLPRESS_ENV", "production")
    monkeypatch.delenv("QUILLPRESS_SECRET_KEY")
    result = invoke(runner, *serve_args())
    assert result.exit_code != 0
    assert "QUILLPRESS_SECRET_KEY" in result.output
    assert uvicorn_calls == []
    assert not Path("cli.db").exists() or not SCHEMA & db.tables(db_url)


def test_serve_refuses_a_weak_production_secret(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    monkeypatch.setenv("QUILLPRESS_ENV", "production")
    monkeypatch.setenv("QUILLPRESS_SECRET_KEY", "changeme")
    result = invoke(runner, *serve_args())
    assert result.exit_code == 2
    assert "at least" in result.output
    assert "changeme" not in result.output
    assert uvicorn_calls == []


def test_serve_creates_the_development_secret_once_in_the_parent(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    monkeypatch.delenv("QUILLPRESS_SECRET_KEY")
    secret = Path("dev-secret")
    monkeypatch.setenv("QUILLPRESS_SECRET_FILE", str(secret))
    assert invoke(runner, *serve_args()).exit_code == 0
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    key = secret.read_text()
    assert len(key) >= 32
    assert invoke(runner, *serve_args()).exit_code == 0
    assert secret.read_text() == key  # workers (and restarts) read the same key
    assert len(uvicorn_calls) == 2


def test_serve_demo_seeds_an_empty_database_only(
    runner: CliRunner, db_url: str, uvicorn_calls: list[Any]
) -> None:
    first = invoke(runner, *serve_args("--demo"))
    assert first.exit_code == 0
    plan = SeedPlan()
    seeded = db.counts(db_url)
    assert seeded["app_user"] == plan.users
    assert seeded["article"] == plan.articles
    assert f"Seeded {plan.users} users, " in first.stderr
    assert f" {plan.articles} articles, " in first.stderr
    again = invoke(runner, *serve_args("--demo"))
    assert again.exit_code == 0
    assert "Seed" not in again.stderr
    assert db.counts(db_url) == seeded
    assert len(uvicorn_calls) == 2


def test_demo_users_are_hashed_with_the_configured_argon2_parameters(
    runner: CliRunner, db_url: str, uvicorn_calls: list[Any]
) -> None:
    assert invoke(runner, *serve_args("--demo")).exit_code == 0
    (stored,) = db.rows(db_url, sql_select(AppUser.password_hash).limit(1))[0]
    params = "m={password_memory_kib},t={password_time_cost},p={password_parallelism}"
    assert stored.startswith(f"$argon2id$v=19${params.format(**FAST_HASHING)}$")


def test_demo_preparation_leaves_an_existing_database_alone(runner: CliRunner, db_url: str) -> None:
    assert invoke(runner, "create-user", "eve", "eve@example.com", "--password", "pw-123456")
    prepare_serve(Settings(), demo=True)
    assert db.count(db_url, "app_user") == 1
    assert db.count(db_url, "article") == 0
