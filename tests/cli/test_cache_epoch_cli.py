"""Every ``quillpress`` command that writes bumps the cache epoch, so running servers drop
what they cached before it within their poll interval; ``cache flush`` does only that;
commands that only read, and migrations already at their target, leave it alone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from quillpress import cli
from quillpress.db.engine import create_engine, execute_outside_transaction
from quillpress.infra.epoch import CacheEpoch
from tests.conftest import _postgres_admin_url, truncate
from tests.epoch_support import database_at, eventually, stored_token


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(cli.app, list(args))


def token(url: str) -> str:
    return asyncio.run(stored_token(url))


async def _truncate(url: str) -> None:
    engine = create_engine(url, null_pool=True)
    try:
        await truncate(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def url(database_url: str, cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The run's database (SQLite or PostgreSQL, at the head revision) for the commands,
    emptied before and after."""
    monkeypatch.setenv("QUILLPRESS_DATABASE_URL", database_url)
    asyncio.run(_truncate(database_url))
    yield database_url
    asyncio.run(_truncate(database_url))


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(
    request: pytest.FixtureRequest, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A database of its own, not migrated yet (migrations are run down and up on it)."""
    admin = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{cli_env / 'fresh.db'}"
    else:
        admin = _postgres_admin_url()
        name = f"quillpress_test_{uuid.uuid4().hex[:12]}"
        asyncio.run(execute_outside_transaction(admin, f'CREATE DATABASE "{name}"'))
        url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("QUILLPRESS_DATABASE_URL", url)
    try:
        yield url
    finally:
        if admin is not None:
            drop = f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'
            asyncio.run(execute_outside_transaction(admin, drop))


def test_create_user_bumps_the_epoch(runner: CliRunner, url: str) -> None:
    before = token(url)
    result = invoke(runner, "create-user", "ann", "ann@example.com", "--password", "pw-123456")
    assert result.exit_code == 0, result.output
    assert token(url) != before


def test_seed_bumps_the_epoch(runner: CliRunner, url: str) -> None:
    before = token(url)
    result = invoke(runner, "seed", "--users", "2", "--articles", "2")
    assert result.exit_code == 0, result.output
    assert token(url) != before


def test_audit_prune_bumps_the_epoch_and_audit_listing_does_not(
    runner: CliRunner, url: str
) -> None:
    before = token(url)
    listed = invoke(runner, "audit")
    assert listed.exit_code == 0, listed.output
    assert token(url) == before
    pruned = invoke(runner, "audit", "prune")
    assert pruned.exit_code == 0, pruned.output
    assert token(url) != before


def test_cache_flush_bumps_the_epoch_and_prints_one_line(runner: CliRunner, url: str) -> None:
    before = token(url)
    result = invoke(runner, "cache", "flush")
    assert result.exit_code == 0, result.output
    after = token(url)
    assert after != before
    [line] = result.stdout.splitlines()
    assert after[:8] in line
    assert line.startswith("Cache flushed")


def test_cache_flush_with_an_unreachable_database_is_one_line_and_status_2(
    runner: CliRunner, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUILLPRESS_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    result = invoke(runner, "cache", "flush")
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ")


def test_db_upgrade_bumps_when_it_migrates_and_not_when_at_head(
    runner: CliRunner, fresh_url: str
) -> None:
    assert invoke(runner, "db", "upgrade").exit_code == 0
    at_head = token(fresh_url)
    assert invoke(runner, "db", "upgrade").exit_code == 0  # nothing to do: no bump
    assert token(fresh_url) == at_head
    assert invoke(runner, "db", "downgrade", "0004").exit_code == 0
    result = invoke(runner, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert token(fresh_url) != at_head


async def _watch_while(url: str, command: list[str]) -> tuple[str | None, str]:
    """A server's epoch (polling every 50 ms) while ``command`` runs in a thread; what it
    sees afterwards, and the token the database holds."""
    async with database_at(url) as db:
        epoch = CacheEpoch(db, interval_seconds=0.05)
        await epoch.start()
        try:
            result = await asyncio.to_thread(CliRunner().invoke, cli.app, command)
            assert result.exit_code == 0, result.output
            written = await stored_token(url)
            await eventually(lambda: epoch.value == written, what="the server saw the bump")
            return epoch.value, written
        finally:
            await epoch.stop()


def test_a_running_server_sees_a_commands_write_within_its_interval(url: str) -> None:
    before = token(url)
    command = ["create-user", "bob", "bob@example.com", "--password", "pw-123456"]
    seen, written = asyncio.run(_watch_while(url, command))
    assert seen == written != before
