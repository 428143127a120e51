"""Migration 0005 (``cache_epoch``) up and down on SQLite and PostgreSQL: one row with a
random token, the single-row check, and migrations that change the revision bump it (a
write outside the server) while one already at the target does not (every ``serve``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from quillpress.db import cache_epoch, migrate
from tests.db.migrated import database_at


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A database of its own (migrated down and up), at revision 0004."""
    async with database_at(request.param, tmp_path, "0004") as created:
        yield created


async def _has_table(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync: inspect(sync).has_table("cache_epoch"))


async def _rows(engine: AsyncEngine) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        result = await conn.execute(text("SELECT id, token, bumped_at FROM cache_epoch"))
        return [tuple(row) for row in result]


async def _token(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        return await cache_epoch.read_token(conn)


async def test_upgrade_adds_one_row_with_a_random_token_and_downgrade_removes_it(
    engine: AsyncEngine,
) -> None:
    assert not await _has_table(engine)
    await migrate.upgrade(engine, "0005")
    [(row_id, token, bumped_at)] = await _rows(engine)
    assert row_id == 1
    assert isinstance(token, str)
    assert len(token) == 16
    assert bumped_at is not None

    await migrate.downgrade(engine, "0004")
    assert not await _has_table(engine)
    await migrate.upgrade(engine, "0005")
    assert await _token(engine) != token  # random each time, never a counter


async def test_the_table_holds_one_row_only(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine, "0005")
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO cache_epoch (id, token, bumped_at) VALUES (2, 'x', '2026-01-01')")
            )


async def test_bump_writes_a_fresh_token_and_recreates_a_deleted_row(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine, "0005")
    first = await _token(engine)
    async with engine.begin() as conn:
        second = await cache_epoch.bump(conn)
    assert second != first
    assert await _token(engine) == second

    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM cache_epoch"))
    assert await _token(engine) == cache_epoch.MISSING  # a change for every reader
    async with engine.begin() as conn:
        third = await cache_epoch.bump(conn)
    assert await _token(engine) == third


async def test_a_migration_at_its_target_already_does_not_bump(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine)
    token = await _token(engine)
    await migrate.upgrade(engine)  # what every serve start does
    assert await _token(engine) == token
