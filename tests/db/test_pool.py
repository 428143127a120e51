"""The pool serves waiting requests in arrival order and never loses a connection."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty

from quillpress.db.engine import create_engine
from quillpress.db.pool import FairQueue, FairQueuePool


def _engine(tmp_path: Path, *, size: int, timeout: float = 5.0) -> AsyncEngine:
    return create_async_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}",
        poolclass=FairQueuePool,
        pool_size=size,
        max_overflow=0,
        pool_timeout=timeout,
    )


async def test_waiters_get_connections_in_arrival_order_even_when_others_arrive_later(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path, size=1)
    order: list[str] = []
    try:
        holder = await engine.connect()
        started = asyncio.Event()

        async def use(name: str) -> None:
            started.set()
            async with engine.connect() as conn:
                order.append(name)
                await conn.execute(text("SELECT 1"))

        first = asyncio.create_task(use("waited"))
        await started.wait()
        await asyncio.sleep(0.01)  # "waited" is now in line
        await holder.close()  # hands the connection to "waited"...
        late = asyncio.create_task(use("late"))  # ...before "late" can take it
        await asyncio.gather(first, late)
        assert order == ["waited", "late"]
    finally:
        await engine.dispose()


async def test_a_returned_connection_cannot_be_taken_past_a_waiter() -> None:
    """The race the stock queue loses: a connection comes back while a request waits, and
    another request asks before the waiter has run."""
    fair = FairQueue(maxsize=1)
    waiter = asyncio.get_running_loop().create_future()
    fair._waiters.append(waiter)
    entry = object()
    fair.put_nowait(entry)  # type: ignore[arg-type]
    with pytest.raises(Empty):
        fair.get_nowait()
    assert waiter.result() is entry

    # SQLAlchemy's own queue, for contrast: if this starts to fail, SQLAlchemy fixed it
    # and db/pool.py can go.
    stock: AsyncAdaptedQueue[object] = AsyncAdaptedQueue(maxsize=1)
    waiting = asyncio.create_task(stock._queue.get())
    await asyncio.sleep(0)
    stock.put_nowait(entry)
    assert stock.get_nowait() is entry  # taken past the waiter
    await asyncio.sleep(0)
    assert not waiting.done()  # which waits again
    waiting.cancel()


async def test_a_wait_past_pool_timeout_is_sqlalchemys_timeout_and_leaves_the_line(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path, size=1, timeout=0.05)
    try:
        async with engine.connect():
            with pytest.raises(PoolTimeout):
                await engine.connect()
        queue = engine.pool._pool  # type: ignore[attr-defined]
        assert isinstance(queue, FairQueue)
        assert not queue._waiters
        async with engine.connect() as conn:  # the connection came back
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_a_cancelled_request_leaves_the_line_and_loses_no_connection(
    tmp_path: Path,
) -> None:
    """A client gone mid-wait cancels its request's task: the wait ends, and the
    connection returned afterwards serves the next request at once."""
    engine = _engine(tmp_path, size=1)
    try:
        holder = await engine.connect()

        async def take() -> None:
            async with engine.connect():
                pass

        waiting = asyncio.create_task(take())
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await holder.close()
        async with asyncio.timeout(1), engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        assert engine.pool.checkedin() == 1  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def test_a_connection_handed_to_a_waiter_that_gave_up_goes_to_the_next() -> None:
    queue = FairQueue(maxsize=2)
    gave_up = asyncio.get_running_loop().create_future()
    nxt = asyncio.get_running_loop().create_future()
    queue._waiters.extend([gave_up, nxt])
    entry = object()
    queue.put_nowait(entry)  # type: ignore[arg-type]
    assert gave_up.result() is entry
    queue._forget(gave_up)  # its deadline fired in the same moment
    assert nxt.result() is entry
    assert queue.qsize() == 0


async def test_a_cancelled_waiter_is_skipped_and_the_connection_kept() -> None:
    queue = FairQueue(maxsize=1)
    cancelled = asyncio.get_running_loop().create_future()
    cancelled.cancel()
    queue._waiters.append(cancelled)
    entry = object()
    queue.put_nowait(entry)  # type: ignore[arg-type]
    assert queue.get_nowait() is entry


def test_request_engines_get_the_fair_pool_with_their_size_and_no_overflow(
    tmp_path: Path,
) -> None:
    postgres = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none", pool_size=7)
    assert isinstance(postgres.pool, FairQueuePool)
    assert (postgres.pool.size(), postgres.pool._max_overflow) == (7, 0)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", deadline=1.0)
    assert isinstance(engine.pool, FairQueuePool)
    memory = create_engine("sqlite+aiosqlite://")
    assert not isinstance(memory.pool, FairQueuePool)
