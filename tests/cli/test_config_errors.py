"""A bad configuration is one line on stderr and exit status 2, for every command.

The line names the variable, the value (secrets masked) and what is accepted or what to
check; no traceback unless ``QUILLPRESS_LOG_LEVEL=DEBUG``. Other failures exit 1."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from quillpress import cli
from quillpress.config import Settings, normalise_database_url
from quillpress.db.preflight import DatabaseUnavailable, check_database
from tests.cli.conftest import free_port, serve_args, sqlite_url
from tests.conftest import POSTGRES_ENV

WEAK_SECRET = "changeme-please"

# (environment, text the one line must contain)
BAD_SETTINGS = {
    "garbage-url": (
        {"QUILLPRESS_DATABASE_URL": "garbage"},
        "QUILLPRESS_DATABASE_URL='garbage' is not a database URL (accepted: sqlite:///",
    ),
    "mysql-url": (
        {"QUILLPRESS_DATABASE_URL": "mysql://root:hunter2@db/app"},
        "QUILLPRESS_DATABASE_URL='mysql://root:***@db/app' names an unsupported database",
    ),
    "env-staging": (
        {"QUILLPRESS_ENV": "staging"},
        "QUILLPRESS_ENV='staging' is not supported (accepted: development, production)",
    ),
    "production-cors-any-origin": (
        {"QUILLPRESS_ENV": "production", "QUILLPRESS_CORS_ORIGINS": "*"},
        "QUILLPRESS_CORS_ORIGINS='*' is refused with QUILLPRESS_ENV=production: '*' would "
        "send credentialed CORS to any site",
    ),
    "log-level": (
        {"QUILLPRESS_LOG_LEVEL": "LOUD"},
        "QUILLPRESS_LOG_LEVEL='LOUD' is not supported (accepted: DEBUG, INFO, WARNING",
    ),
    "page-size": (
        {"QUILLPRESS_DEFAULT_PAGE_SIZE": "500"},
        "QUILLPRESS_DEFAULT_PAGE_SIZE=500 is larger than QUILLPRESS_MAX_PAGE_SIZE=100",
    ),
    "jwt-none": (
        {"QUILLPRESS_JWT_ALGORITHM": "none"},
        "QUILLPRESS_JWT_ALGORITHM='none' is not supported (accepted: HS256, HS384, HS512, EdDSA)",
    ),
    "production-no-key": (
        {"QUILLPRESS_ENV": "production", "QUILLPRESS_SECRET_KEY": ""},
        "QUILLPRESS_SECRET_KEY is not set and QUILLPRESS_ENV=production requires it",
    ),
    "replicas-on-sqlite": (
        {"QUILLPRESS_DATABASE_REPLICA_URLS": "postgresql://app:hunter2@replica/app"},
        "QUILLPRESS_DATABASE_REPLICA_URLS needs a PostgreSQL QUILLPRESS_DATABASE_URL",
    ),
    "replica-not-postgres": (
        {"QUILLPRESS_DATABASE_REPLICA_URLS": "postgresql://r1/app, sqlite:///copy.db"},
        "QUILLPRESS_DATABASE_REPLICA_URLS='postgresql://r1/app,sqlite:///copy.db' names a "
        "replica that is not PostgreSQL",
    ),
    "rate-limit-garbage": (
        {"QUILLPRESS_RATE_LIMIT_LOGIN_ACCOUNT_IP": "ten a minute"},
        "QUILLPRESS_RATE_LIMIT_LOGIN_ACCOUNT_IP='ten a minute' is not accepted: value error, "
        "must be one rate of at least 1, such as 10/5minutes",
    ),
    "rate-limit-zero": (
        {"QUILLPRESS_RATE_LIMIT_WRITES_USER": "0/minute"},
        "QUILLPRESS_RATE_LIMIT_WRITES_USER='0/minute' is not accepted",
    ),
    "rate-limit-several": (
        {"QUILLPRESS_RATE_LIMIT_GRAPHQL_COST": "10/second;100/minute"},
        "QUILLPRESS_RATE_LIMIT_GRAPHQL_COST='10/second;100/minute' is not accepted",
    ),
    "rate-limits-switch": (
        {"QUILLPRESS_RATE_LIMITS": "sometimes"},
        "QUILLPRESS_RATE_LIMITS='sometimes' is not accepted",
    ),
    "trusted-proxies": (
        {"QUILLPRESS_TRUSTED_PROXIES": "10.0.0.1, proxy.internal"},
        "QUILLPRESS_TRUSTED_PROXIES='10.0.0.1, proxy.internal' is not accepted: value error, "
        "'proxy.internal' is not an IP address or CIDR network",
    ),
    "production-weak-key": (
        {"QUILLPRESS_ENV": "PRODUCTION", "QUILLPRESS_SECRET_KEY": WEAK_SECRET},
        "QUILLPRESS_SECRET_KEY='***' is too weak for QUILLPRESS_ENV=production",
    ),
}

# Every command that reads settings, with arguments that would otherwise succeed.
COMMANDS = {
    "serve": ["serve"],
    "db-upgrade": ["db", "upgrade"],
    "db-downgrade": ["db", "downgrade"],
    "db-current": ["db", "current"],
    "seed": ["seed", "--users", "2", "--articles", "1"],
    "create-user": ["create-user", "ann", "ann@example.com", "--password", "password-1"],
    "demo": ["demo", "n-plus-one", "--posts", "1"],
}


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def configure(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


def assert_one_config_line(result: Any, *fragments: str) -> str:
    """Exit 2, exactly one stderr line starting ``Error:``, no traceback; returns the line."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]
    return str(lines[0])


# --- settings --------------------------------------------------------------------------


@pytest.mark.parametrize("case", BAD_SETTINGS.values(), ids=BAD_SETTINGS.keys())
def test_serve_reports_a_bad_setting_in_one_line_and_starts_nothing(
    runner: CliRunner,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    uvicorn_calls: list[Any],
    case: tuple[dict[str, str], str],
) -> None:
    variables, expected = case
    configure(monkeypatch, variables)
    assert_one_config_line(runner.invoke(cli.app, serve_args()), expected)
    assert uvicorn_calls == []


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_every_command_reports_a_bad_setting_the_same_way(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("QUILLPRESS_JWT_ALGORITHM", "none")
    args = serve_args() if command == ["serve"] else command
    result = runner.invoke(cli.app, args)
    assert_one_config_line(result, "QUILLPRESS_JWT_ALGORITHM='none'", "HS256")
    assert not Path(make_url(db_url).database or "").exists()  # nothing was touched


def test_replicas_with_several_workers_need_redis(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    """In-process commit positions are one worker's: another could read a stale replica."""
    configure(
        monkeypatch,
        {
            "QUILLPRESS_DATABASE_URL": "postgresql://app@127.0.0.1:1/app",
            "QUILLPRESS_DATABASE_REPLICA_URLS": "postgresql://app@127.0.0.1:2/app",
        },
    )
    result = runner.invoke(cli.app, [*serve_args(), "--workers", "2"])
    assert_one_config_line(result, "--workers > 1 needs QUILLPRESS_REDIS_URL")
    assert uvicorn_calls == []


def test_secrets_are_masked(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    configure(monkeypatch, {"QUILLPRESS_ENV": "production", "QUILLPRESS_SECRET_KEY": WEAK_SECRET})
    weak = runner.invoke(cli.app, serve_args())
    assert WEAK_SECRET not in weak.output
    monkeypatch.setenv("QUILLPRESS_DATABASE_URL", "mysql://root:hunter2@db/app")
    url = runner.invoke(cli.app, ["db", "current"])
    assert "hunter2" not in url.output
    assert "***" in url.output
    monkeypatch.delenv("QUILLPRESS_DATABASE_URL")
    monkeypatch.setenv("QUILLPRESS_DATABASE_REPLICA_URLS", "mysql://root:hunter2@replica/app")
    replica = runner.invoke(cli.app, ["db", "current"])
    assert "hunter2" not in replica.output
    assert "mysql://root:***@replica/app" in replica.output


def test_debug_log_level_adds_the_traceback(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, {"QUILLPRESS_LOG_LEVEL": "debug", "QUILLPRESS_JWT_ALGORITHM": "none"})
    result = runner.invoke(cli.app, ["db", "current"])
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: QUILLPRESS_JWT_ALGORITHM='none'")


def test_a_port_in_use_is_one_line_before_anything_runs(
    runner: CliRunner, db_url: str, uvicorn_calls: list[Any]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(cli.app, ["serve", "--port", str(port)])
    line = assert_one_config_line(result, f"cannot listen on 127.0.0.1:{port}", "--port")
    assert "address already in use" in line
    assert uvicorn_calls == []
    assert not Path(make_url(db_url).database or "").exists()  # not migrated either


def test_a_failure_that_is_not_configuration_exits_1(runner: CliRunner, db_url: str) -> None:
    first = runner.invoke(cli.app, ["seed", "--users", "2", "--articles", "1"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(cli.app, ["seed", "--users", "2", "--articles", "1"])
    assert again.exit_code == 1
    assert again.stderr.strip().splitlines()[-1].startswith("Error: refusing to seed")
    assert "Traceback" not in again.output


def test_a_real_process_prints_one_line_and_exits_2(cli_env: Path) -> None:
    """Not only under CliRunner: the installed entry point, its real stderr and status."""
    env = {**os.environ, "QUILLPRESS_JWT_ALGORITHM": "none"}
    quiet = run_cli(env, *serve_args())
    assert quiet.returncode == 2
    assert quiet.stderr.splitlines() == [
        "Error: QUILLPRESS_JWT_ALGORITHM='none' is not supported "
        "(accepted: HS256, HS384, HS512, EdDSA)"
    ]
    loud = run_cli({**env, "QUILLPRESS_LOG_LEVEL": "DEBUG"}, *serve_args())
    assert loud.returncode == 2
    assert "Traceback (most recent call last)" in loud.stderr


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (the tests' own arguments)
        [sys.executable, "-m", "quillpress", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- the database it points at -------------------------------------------------------------


def test_sqlite_in_a_missing_directory(
    runner: CliRunner, cli_env: Path, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    missing = cli_env / "no" / "such" / "dir"
    monkeypatch.setenv("QUILLPRESS_DATABASE_URL", f"sqlite:///{missing / 'q.db'}")
    for command in (serve_args(), ["db", "upgrade"]):
        line = assert_one_config_line(runner.invoke(cli.app, command), "QUILLPRESS_DATABASE_URL=")
        assert f"directory {missing} does not exist" in line
    assert not (cli_env / "no").exists()
    assert uvicorn_calls == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any directory")
def test_sqlite_in_a_read_only_directory(
    runner: CliRunner, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = cli_env / "locked"
    locked.mkdir(mode=0o500)
    monkeypatch.setenv("QUILLPRESS_DATABASE_URL", sqlite_url(locked / "q.db"))
    assert_one_config_line(runner.invoke(cli.app, ["db", "upgrade"]), "is not writable")


def test_sqlite_file_that_is_not_a_database(
    runner: CliRunner, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = cli_env / "notes.txt"
    notes.write_text("not a database, just some text that is long enough " * 40)
    monkeypatch.setenv("QUILLPRESS_DATABASE_URL", sqlite_url(notes))
    assert_one_config_line(runner.invoke(cli.app, ["db", "current"]), "cannot open it")


def test_unreachable_postgres_names_host_and_port(
    runner: CliRunner, cli_env: Path, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    port = free_port()
    monkeypatch.setenv("QUILLPRESS_DATABASE_URL", f"postgresql://app:s3cret@127.0.0.1:{port}/app")
    line = assert_one_config_line(
        runner.invoke(cli.app, serve_args()), "QUILLPRESS_DATABASE_URL=", f"127.0.0.1:{port}"
    )
    assert "s3cret" not in line
    assert "app:***@" in line
    assert "check that PostgreSQL is running" in line
    assert uvicorn_calls == []


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word (a hung server)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_a_postgres_server_that_does_not_answer_times_out(silent_server: int) -> None:
    url = f"postgresql://app@127.0.0.1:{silent_server}/app"
    settings = Settings(database_url=url)
    with pytest.raises(DatabaseUnavailable, match=r"did not answer within 0\.5 s"):
        asyncio.run(check_database(settings, connect_seconds=0.5))


@pytest.fixture
def postgres_server_url() -> str:
    raw = os.environ.get(POSTGRES_ENV, "").strip()
    if not raw:
        pytest.skip(
            f"{POSTGRES_ENV} is not set (e.g. postgresql://postgres@127.0.0.1:5432/postgres)"
        )
    return normalise_database_url(raw)


def test_missing_postgres_database_says_how_to_create_it(
    runner: CliRunner,
    cli_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    uvicorn_calls: list[Any],
    postgres_server_url: str,
) -> None:
    name = f"quillpress_missing_{uuid.uuid4().hex[:8]}"
    url = make_url(postgres_server_url).set(database=name)
    monkeypatch.setenv("QUILLPRESS_DATABASE_URL", url.render_as_string(hide_password=False))
    for command in (serve_args(), ["db", "current"]):
        line = assert_one_config_line(runner.invoke(cli.app, command), "QUILLPRESS_DATABASE_URL=")
        assert f'database "{name}" does not exist' in line
        assert f"createdb -h {url.host}" in line
    assert uvicorn_calls == []
