"""Migration 0002 on a database that already holds rows: the counters it adds are
backfilled exactly, and its downgrade removes them without losing a row."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from quillpress.db import migrate
from tests.counters import counter_rows, wrong_counters
from tests.db.migrated import database_at

ROWS = [
    "INSERT INTO app_user (id, username, email, password_hash, role, created_at, updated_at) "
    "VALUES (1, 'ann', 'ann@x.org', 'h', 'user', '2026-01-01', '2026-01-01'), "
    "(2, 'bob', 'bob@x.org', 'h', 'user', '2026-01-01', '2026-01-01')",
    "INSERT INTO tag (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'unused')",
    "INSERT INTO article (id, slug, title, description, body, author_id, created_at, updated_at) "
    "VALUES (1, 's1', 't', 'd', 'b', 1, '2026-01-02', '2026-01-02'), "
    "(2, 's2', 't', 'd', 'b', 1, '2026-01-03', '2026-01-03'), "
    "(3, 's3', 't', 'd', 'b', 2, '2026-01-04', '2026-01-04')",
    "INSERT INTO article_tag (article_id, tag_id, position) VALUES (1, 1, 0), (1, 2, 1), (3, 1, 0)",
    "INSERT INTO favorite (user_id, article_id, created_at) "
    "VALUES (1, 3, '2026-01-05'), (2, 3, '2026-01-05'), (2, 1, '2026-01-05')",
]
TABLES = ("app_user", "tag", "article", "article_tag", "favorite")


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A database of its own (it is migrated down and up), at revision 0001."""
    async with database_at(request.param, tmp_path, "0001") as created:
        yield created


async def _counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            table: (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608
            for table in TABLES
        }


async def _columns(engine: AsyncEngine, table: str) -> set[str]:
    async with engine.connect() as conn:
        columns = await conn.run_sync(lambda sync: inspect(sync).get_columns(table))
    return {column["name"] for column in columns}


async def test_upgrade_backfills_every_counter_and_downgrade_keeps_every_row(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        for statement in ROWS:
            await conn.execute(text(statement))
    before = await _counts(engine)

    await migrate.upgrade(engine)
    async with engine.connect() as conn:
        assert await counter_rows(conn) == 3 + 2 + 2 + 3 + 1 + 1
        assert await wrong_counters(conn) == []
        popular = await conn.execute(
            text("SELECT name, articles_count FROM tag ORDER BY articles_count DESC, name")
        )
        assert popular.all() == [("a", 2), ("b", 1), ("unused", 0)]
    assert await _counts(engine) == before

    await migrate.downgrade(engine, "0001")
    assert await migrate.current_revision(engine) == "0001"
    assert await _counts(engine) == before  # nothing cascaded away on SQLite
    assert "favorites_count" not in await _columns(engine, "article")
    assert "article_created_at" not in await _columns(engine, "article_tag")

    await migrate.upgrade(engine)
    async with engine.connect() as conn:
        assert await wrong_counters(conn) == []
