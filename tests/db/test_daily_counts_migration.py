"""Migration 0010 on a database that already holds rows: ``daily_count`` is backfilled by
UTC day, its triggers keep it exact under raw SQL from there, the downgrade removes the
table and every trigger without losing a row, and the next upgrade counts afresh."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from quillpress.db import migrate
from tests.counters import wrong_daily_counts
from tests.db.migrated import database_at

ROWS = [
    "INSERT INTO app_user (id, username, email, email_normalized, password_hash, role, "
    "created_at, updated_at) VALUES "
    "(1, 'ann', 'ann@x.org', 'ann@x.org', 'h', 'user', '2026-01-01 10:00:00+00:00', "
    "'2026-01-01 10:00:00+00:00'), "
    # 23:30 two hours west of Greenwich is the next UTC day.
    "(2, 'bob', 'bob@x.org', 'bob@x.org', 'h', 'user', '2026-01-01 23:30:00-02:00', "
    "'2026-01-01 23:30:00-02:00')",
    "INSERT INTO article (id, slug, title, description, body, author_id, created_at, "
    "updated_at) VALUES (1, 's1', 'One', 'd', 'b', 1, '2026-01-02 08:00:00+00:00', "
    "'2026-01-02 08:00:00+00:00'), (2, 's2', 'Two', 'd', 'b', 2, "
    "'2026-01-02 09:00:00+00:00', '2026-01-02 09:00:00+00:00')",
    "INSERT INTO comment (id, body, article_id, author_id, created_at, updated_at) VALUES "
    "(1, 'c', 1, 2, '2026-01-03 08:00:00+00:00', '2026-01-03 08:00:00+00:00')",
    "INSERT INTO audit_event (id, at, action, outcome) VALUES "
    "(1, '2026-01-03 08:00:00+00:00', 'user.login', 'success'), "
    "(2, '2026-01-03 09:00:00+00:00', 'rate.lockout', 'failure'), "
    "(3, '2026-01-03 09:00:00+00:00', 'user.login_failed', 'failure')",
    "INSERT INTO user_session (id, user_id, created_at, last_seen_at, refreshed_at, "
    "revoked_at) VALUES "
    "('s1', 1, '2026-01-03 08:00:00+00:00', '2026-01-03 08:00:00+00:00', "
    "'2026-01-03 08:00:00+00:00', NULL), "
    "('s2', 2, '2026-01-03 08:00:00+00:00', '2026-01-03 08:00:00+00:00', "
    "'2026-01-03 08:00:00+00:00', '2026-01-03 09:00:00+00:00')",
]
TABLES = ("app_user", "article", "comment", "audit_event", "user_session")

WRITES = [
    "INSERT INTO article (id, slug, title, description, body, author_id, created_at, "
    "updated_at) VALUES (3, 's3', 'Three', 'd', 'b', 1, '2026-01-05 08:00:00+00:00', "
    "'2026-01-05 08:00:00+00:00')",
    "INSERT INTO audit_event (id, at, action, outcome) VALUES "
    "(4, '2026-01-05 08:00:00+00:00', 'user.login', 'success')",
    "UPDATE user_session SET revoked_at = NULL WHERE id = 's2'",
    "UPDATE user_session SET revoked_at = '2026-01-06 08:00:00+00:00' WHERE id = 's1'",
    "UPDATE user_session SET last_seen_at = '2026-01-06 09:00:00+00:00'",  # no change
    "DELETE FROM audit_event WHERE id = 2",
    "DELETE FROM app_user WHERE id = 2",  # its article, comment and session cascade
]


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A database of its own (it is migrated down and up), at revision 0009, with rows."""
    async with database_at(request.param, tmp_path, "0009") as created:
        async with created.begin() as conn:
            for statement in ROWS:
                await conn.execute(text(statement))
        yield created


async def _kept(engine: AsyncEngine) -> dict[tuple[str, str], int]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT kind, day, count FROM daily_count"))
        return {(kind, str(day)): count for kind, day, count in rows if count}


async def _wrong(engine: AsyncEngine) -> list[object]:
    async with engine.connect() as conn:
        return await wrong_daily_counts(conn)


async def _counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            table: (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608
            for table in TABLES
        }


async def _has_table(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    return "daily_count" in names


async def test_upgrade_backfills_by_utc_day_triggers_follow_and_downgrade_removes_it(
    engine: AsyncEngine,
) -> None:
    await migrate.upgrade(engine, "0010")
    assert await _kept(engine) == {
        ("users", "2026-01-01"): 1,
        ("users", "2026-01-02"): 1,
        ("articles", "2026-01-02"): 2,
        ("comments", "2026-01-03"): 1,
        ("sign_ins", "2026-01-03"): 1,
        ("lockouts", "2026-01-03"): 1,
        ("live_sessions", "2026-01-03"): 1,
    }
    async with engine.begin() as conn:
        for statement in WRITES:
            await conn.execute(text(statement))
    assert await _wrong(engine) == []
    assert await _kept(engine) == {
        ("users", "2026-01-01"): 1,
        ("articles", "2026-01-02"): 1,
        ("articles", "2026-01-05"): 1,
        ("sign_ins", "2026-01-03"): 1,
        ("sign_ins", "2026-01-05"): 1,
    }

    before = await _counts(engine)
    await migrate.downgrade(engine, "0009")
    assert await migrate.current_revision(engine) == "0009"
    assert not await _has_table(engine)
    assert await _counts(engine) == before
    async with engine.begin() as conn:  # no trigger is left behind to fail a write
        await conn.execute(text("DELETE FROM article WHERE id = 3"))
        await conn.execute(text("UPDATE user_session SET revoked_at = NULL"))

    await migrate.upgrade(engine, "0010")
    assert await _wrong(engine) == []
    assert ("live_sessions", "2026-01-03") in await _kept(engine)
