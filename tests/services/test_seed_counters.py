"""The seeder bulk-inserts rows past the writes that maintain the counters: it recounts at
the end of its transaction, so the seeded blog's totals are exact from the start. The
daily counts (migration 0010) are the database triggers' work and need no recount."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.config import Settings
from quillpress.infra.passwords import PasswordHasher
from quillpress.infra.resources import Resources
from quillpress.seeding.plan import SeedPlan
from quillpress.seeding.seed import seed_demo
from tests.counters import counter_rows, wrong_counters, wrong_daily_counts


async def test_seeded_counters_are_exact(resources: Resources, settings: Settings) -> None:
    hasher = PasswordHasher(
        time_cost=settings.password_time_cost,
        memory_kib=settings.password_memory_kib,
        parallelism=settings.password_parallelism,
        concurrency=1,
    )
    await seed_demo(resources.database, hasher, SeedPlan(users=8, articles=40, seed=3))
    async with resources.database.read() as conn:
        assert await counter_rows(conn) > 40
        assert await wrong_counters(conn) == []
        assert await wrong_daily_counts(conn) == []  # its triggers counted every row
        assert await scalar_days(conn) > 0


async def scalar_days(conn: AsyncConnection) -> int:
    return int((await conn.execute(text("SELECT count(*) FROM daily_count"))).scalar_one())
