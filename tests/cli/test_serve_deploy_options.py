"""What the deployment artifacts rely on in ``serve``: workers from the CPU count
(``--workers auto`` / ``QUILLPRESS_WORKERS``), the graceful-shutdown timeout passed to
uvicorn, ``--no-migrate`` for replicas whose schema a one-shot job migrates, and the
image's production default refusing to start without a database URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from quillpress import cli
from quillpress.config import Settings, resolve_workers
from quillpress.cpus import available_cpus
from tests.cli import db


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(cli.app, list(args))


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What ``serve`` hands uvicorn (the process tests run it for real:
    test_graceful_shutdown.py)."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    monkeypatch.setenv("QUILLPRESS_CACHE", "off")  # several workers need no Redis here
    return calls


def cpus() -> int:
    """The affinity mask capped by the cgroup quota (tests/unit/test_cpus.py)."""
    return available_cpus()


def test_auto_workers_are_the_cpus_this_process_may_use() -> None:
    assert resolve_workers("auto") == cpus()
    assert Settings(workers="auto").worker_count == cpus()
    assert Settings(workers=" AUTO ").workers == "auto"
    assert Settings(workers="3").worker_count == 3


@pytest.mark.parametrize("value", ["0", "-1", "many", "257", "1.5"])
def test_a_bad_worker_count_is_one_clear_line(
    runner: CliRunner, db_url: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUILLPRESS_WORKERS", value)
    result = invoke(runner, "serve")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"Error: QUILLPRESS_WORKERS={value!r} is not accepted: "
        "must be auto or a number of processes from 1 to 256"
    )
    monkeypatch.delenv("QUILLPRESS_WORKERS")
    flag = invoke(runner, "serve", "--workers", value)
    assert flag.exit_code == 2
    assert flag.stderr.strip().startswith(f"Error: --workers={value!r} is not accepted: must be")


def test_serve_takes_workers_from_the_setting_and_the_flag_wins(
    runner: CliRunner, db_url: str, uvicorn_calls: list[dict[str, Any]], monkeypatch: Any
) -> None:
    monkeypatch.setenv("QUILLPRESS_WORKERS", "auto")
    assert invoke(runner, "serve").exit_code == 0
    assert invoke(runner, "serve", "--workers", "2").exit_code == 0
    assert [call["workers"] for call in uvicorn_calls] == [cpus(), 2]


def test_serve_passes_the_shutdown_timeout_to_uvicorn(
    runner: CliRunner, db_url: str, uvicorn_calls: list[dict[str, Any]], monkeypatch: Any
) -> None:
    monkeypatch.setenv("QUILLPRESS_SHUTDOWN_TIMEOUT_SECONDS", "7")
    assert invoke(runner, "serve").exit_code == 0
    assert uvicorn_calls[0]["timeout_graceful_shutdown"] == 7


def test_no_migrate_refuses_a_database_behind_the_code_and_serves_once_migrated(
    runner: CliRunner, db_url: str, uvicorn_calls: list[dict[str, Any]]
) -> None:
    refused = invoke(runner, "serve", "--no-migrate")
    assert refused.exit_code == 2
    assert "the database is at revision base (no schema), not " in refused.stderr
    assert "run `quillpress db upgrade` first" in refused.stderr
    assert db.tables(db_url) <= {"alembic_version"}  # it did not migrate
    assert uvicorn_calls == []
    assert invoke(runner, "db", "upgrade").exit_code == 0
    served = invoke(runner, "serve", "--no-migrate")
    assert served.exit_code == 0, served.output
    assert len(uvicorn_calls) == 1


@pytest.mark.parametrize(
    "command",
    [["serve", "--host", "0.0.0.0", "--no-migrate"], ["db", "upgrade"]],  # noqa: S104
)
def test_production_without_a_database_url_is_one_line(
    runner: CliRunner,
    cli_env: Path,
    uvicorn_calls: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    """What ``docker run`` of the image (production, workers auto) without
    ``QUILLPRESS_DATABASE_URL`` says: no SQLite file in the container's working directory,
    no worker warning first, one line and exit 2."""
    monkeypatch.delenv("QUILLPRESS_DATABASE_URL", raising=False)
    monkeypatch.setenv("QUILLPRESS_ENV", "production")
    monkeypatch.setenv("QUILLPRESS_WORKERS", "auto")
    result = invoke(runner, *command)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        "Error: QUILLPRESS_ENV=production needs a database URL: set QUILLPRESS_DATABASE_URL "
        "(e.g. postgresql://user:password@host:5432/name; the SQLite file default is for "
        "development only)"
    ]
    assert uvicorn_calls == []
    assert list(cli_env.iterdir()) == []  # no quillpress.db was made


def test_production_takes_sqlite_when_it_is_named(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule is "name the database", not "no SQLite": a URL given is used."""
    monkeypatch.setenv("QUILLPRESS_ENV", "production")
    result = invoke(runner, "db", "upgrade")
    assert result.exit_code == 0, result.output
