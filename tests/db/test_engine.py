"""Session settings the engine gives every PostgreSQL connection."""

from __future__ import annotations

from sqlalchemy import text

from quillpress.db.engine import create_engine
from tests.conftest import _postgres_admin_url


async def test_postgres_connections_never_plan_parallel_workers() -> None:
    """A list is a few index lookups; a parallel plan adds worker start-up (measured: the
    favorited list at 200k articles, p50 68 ms with workers, 23 ms without)."""
    engine = create_engine(_postgres_admin_url())
    try:
        async with engine.connect() as conn:
            setting = await conn.scalar(text("SHOW max_parallel_workers_per_gather"))
    finally:
        await engine.dispose()
    assert setting == "0"


async def test_postgres_connections_never_jit_compile() -> None:
    """A search whose estimated cost crossed ``jit_above_cost`` spent 0.8 s compiling a
    plan that then ran in 0.3 ms."""
    engine = create_engine(_postgres_admin_url())
    try:
        async with engine.connect() as conn:
            setting = await conn.scalar(text("SHOW jit"))
    finally:
        await engine.dispose()
    assert setting == "off"
