"""``quillpress audit`` prints the newest security events as a table, filtered by actor,
action and time; ``quillpress audit prune`` deletes those older than the retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from quillpress import cli
from tests.cli import db


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(cli.app, list(args))


@pytest.fixture
def accounts(runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Two accounts made by the CLI (each leaves a ``user.register`` row); a wide
    terminal, so the table's columns are not elided."""
    monkeypatch.setenv("COLUMNS", "200")
    for name in ("ann", "bob"):
        result = invoke(
            runner, "create-user", name, f"{name}@example.com", "--password", "pw-123456"
        )
        assert result.exit_code == 0, result.output
    return db_url


def test_audit_prints_the_newest_events_as_a_table(runner: CliRunner, accounts: str) -> None:
    result = invoke(runner, "audit")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "action" in line)
    for column in ("at", "actor", "action", "target", "ip", "outcome", "request id"):
        assert column in header
    rows = [line for line in lines if "user.register" in line]
    assert len(rows) == 2
    assert "bob" in rows[0]
    assert "ann" in rows[1]
    assert lines[-1] == "2 events"


def test_audit_filters_by_user_action_and_since(runner: CliRunner, accounts: str) -> None:
    by_ann = invoke(runner, "audit", "--user", "ANN")
    assert by_ann.exit_code == 0, by_ann.output
    assert "user:ann" in by_ann.stdout
    assert "user:bob" not in by_ann.stdout
    assert invoke(runner, "audit", "--action", "admin.ban").stdout.splitlines()[-1] == "0 events"
    future = invoke(runner, "audit", "--since", "2999-01-01T00:00:00Z")
    assert future.stdout.splitlines()[-1] == "0 events"
    limited = invoke(runner, "audit", "--limit", "1")
    assert limited.stdout.splitlines()[-1] == "1 event"


def test_audit_with_a_bad_since_is_one_line_and_status_2(runner: CliRunner, accounts: str) -> None:
    result = invoke(runner, "audit", "--since", "last week")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: --since must be an ISO-8601 date and time, e.g. 2026-01-02T03:04:05Z"
    ]


def test_prune_removes_events_older_than_the_retention(
    runner: CliRunner, accounts: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = (datetime.now(UTC) - timedelta(days=40)).replace(tzinfo=None)
    _execute(accounts, "UPDATE audit_event SET at = :old WHERE actor = 'ann'", old=old)
    kept = invoke(runner, "audit", "prune")
    assert kept.exit_code == 0, kept.output
    assert kept.stdout.strip() == "Removed 0 audit events older than 90 days."
    monkeypatch.setenv("QUILLPRESS_AUDIT_RETENTION_DAYS", "30")
    pruned = invoke(runner, "audit", "prune")
    assert pruned.stdout.strip() == "Removed 1 audit event older than 30 days."
    assert db.count(accounts, "audit_event") == 1


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_a_bad_retention_is_one_line_and_status_2(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("QUILLPRESS_AUDIT_RETENTION_DAYS", value)
    result = invoke(runner, "audit", "prune")
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: QUILLPRESS_AUDIT_RETENTION_DAYS='{value}' is not accepted")


def _execute(url: str, sql: str, **params: Any) -> None:
    import asyncio

    from quillpress.db.engine import create_engine

    async def run() -> None:
        engine = create_engine(url, null_pool=True)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(sql), params)
        finally:
            await engine.dispose()

    asyncio.run(run())
