"""The seeder bulk-inserts rows past the writes that maintain the counters: it recounts at
the end of its transaction, so the seeded blog's totals are exact from the start."""

from __future__ import annotations

from quillpress.config import Settings
from quillpress.infra.passwords import PasswordHasher
from quillpress.infra.resources import Resources
from quillpress.seeding.plan import SeedPlan
from quillpress.seeding.seed import seed_demo
from tests.counters import counter_rows, wrong_counters


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
