"""The ``quillpress`` command: help, migrations, create-user and serve's preparation.

No test starts a server: ``uvicorn.run`` is replaced by a recorder."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from alembic.script import ScriptDirectory
from asgi_lifespan import LifespanManager
from typer.testing import CliRunner

from quillpress import cli
from quillpress.app import create_app
from quillpress.config import Settings
from quillpress.db import migrate
from quillpress.seeding.plan import SeedPlan
from tests.cli import db
from tests.conftest import make_settings
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
        LifespanManager(app),
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


def test_create_user_prompts_for_a_hidden_confirmed_password(
    runner: CliRunner, db_url: str
) -> None:
    mismatch = invoke(
        runner, "create-user", "bob", "bob@example.com", input="password-1\npassword-2\n"
    )
    assert mismatch.exit_code != 0
    result = invoke(
        runner,
        "create-user",
        "bob",
        "bob@example.com",
        input="password-1\npassword-1\n",
    )
    assert result.exit_code == 0, result.output
    assert "password-1" not in result.output  # hidden input is not echoed
    assert db.role_of(db_url, "bob") == "user"


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
    result = invoke(runner, "serve", "--host", "0.0.0.0", "--port", "9001", "--workers", "3")  # noqa: S104
    assert result.exit_code == 0, result.output
    assert db.tables(db_url) >= SCHEMA
    assert db.count(db_url, "app_user") == 0  # no --demo, no data
    assert uvicorn_calls == [
        (
            ("quillpress.app:create_app",),
            {
                "factory": True,
                "host": "0.0.0.0",  # noqa: S104
                "port": 9001,
                "workers": 3,
                "reload": False,
                "access_log": False,
                "log_config": None,
            },
        )
    ]


def test_serve_refuses_production_without_a_secret(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    monkeypatch.setenv("QUILLPRESS_ENV", "production")
    monkeypatch.delenv("QUILLPRESS_SECRET_KEY")
    result = invoke(runner, "serve")
    assert result.exit_code != 0
    assert "QUILLPRESS_SECRET_KEY" in result.output
    assert uvicorn_calls == []
    assert not Path("cli.db").exists() or not SCHEMA & db.tables(db_url)


def test_serve_refuses_a_weak_production_secret(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    monkeypatch.setenv("QUILLPRESS_ENV", "production")
    monkeypatch.setenv("QUILLPRESS_SECRET_KEY", "changeme")
    result = invoke(runner, "serve")
    assert result.exit_code == 1
    assert "at least" in result.output
    assert uvicorn_calls == []


def test_serve_creates_the_development_secret_once_in_the_parent(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    monkeypatch.delenv("QUILLPRESS_SECRET_KEY")
    secret = Path("dev-secret")
    monkeypatch.setenv("QUILLPRESS_SECRET_FILE", str(secret))
    assert invoke(runner, "serve").exit_code == 0
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    key = secret.read_text()
    assert len(key) >= 32
    assert invoke(runner, "serve").exit_code == 0
    assert secret.read_text() == key  # workers (and restarts) read the same key
    assert len(uvicorn_calls) == 2


def test_serve_demo_seeds_an_empty_database_only(
    runner: CliRunner, db_url: str, uvicorn_calls: list[Any]
) -> None:
    assert invoke(runner, "serve", "--demo").exit_code == 0
    plan = SeedPlan()
    seeded = db.counts(db_url)
    assert seeded["app_user"] == plan.users
    assert seeded["article"] == plan.articles
    assert invoke(runner, "serve", "--demo").exit_code == 0
    assert db.counts(db_url) == seeded
    assert len(uvicorn_calls) == 2


def test_demo_preparation_leaves_an_existing_database_alone(runner: CliRunner, db_url: str) -> None:
    assert invoke(runner, "create-user", "eve", "eve@example.com", "--password", "pw-123456")
    cli.prepare_serve(Settings(), demo=True)
    assert db.count(db_url, "app_user") == 1
    assert db.count(db_url, "article") == 0
