"""The cache epoch (``infra.epoch.CacheEpoch``) on SQLite and PostgreSQL: it reads the
token, notices a change made elsewhere within its interval (a restore moving it backwards
included), is ``None`` while the database cannot be read and recovers, and a bump is used at
once, counted, told to the listeners, and retried until the database takes it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from quillpress.db.database import Database
from quillpress.db.engine import create_engine
from quillpress.db.positions import InProcessPositions
from quillpress.db.replicas import Replica, ReplicaState, Router
from quillpress.infra.epoch import CacheEpoch
from quillpress.infra.metrics import Metrics
from quillpress.wiring import open_resources
from tests.conftest import make_settings
from tests.epoch_support import (
    Outage,
    database_at,
    eventually,
    set_token,
    stored_token,
    until_stored,
)

INTERVAL = 0.05


def bumps(metrics: Metrics, reason: str) -> float:
    value = metrics.registry.get_sample_value(  # type: ignore[union-attr]
        "quillpress_cache_epoch_bumps_total", {"reason": reason}
    )
    return value or 0.0


@pytest.fixture
async def epoch(database_url: str) -> AsyncIterator[CacheEpoch]:
    async with database_at(database_url) as db:
        watched = CacheEpoch(db, interval_seconds=INTERVAL, metrics=Metrics(version="test"))
        await watched.start()
        try:
            yield watched
        finally:
            await watched.stop()


async def test_start_reads_the_token_from_the_database(
    epoch: CacheEpoch, database_url: str
) -> None:
    token = await stored_token(database_url)
    assert len(token) == 16
    await eventually(lambda: epoch.value == token, what="the stored token is the value")


async def test_a_change_made_elsewhere_is_noticed_within_the_interval(
    epoch: CacheEpoch, database_url: str
) -> None:
    seen: list[str | None] = []
    epoch.on_change(seen.append)
    async with database_at(database_url) as other:
        token = await other.bump_epoch()
    took = await eventually(lambda: epoch.value == token, what="the other writer's bump seen")
    assert took < 10 * INTERVAL  # the interval, plus scheduling on a busy machine
    assert seen[-1] == token


async def test_a_restore_moving_the_token_backwards_is_a_change_too(
    epoch: CacheEpoch, database_url: str
) -> None:
    old = await stored_token(database_url)
    await epoch.bump("operator")
    assert await stored_token(database_url) != old
    await set_token(database_url, old)  # the backup's value: compared for inequality
    await eventually(lambda: epoch.value == old, what="the older token taken back")


async def test_bump_writes_a_new_token_uses_it_at_once_counts_it_and_tells_the_listeners(
    epoch: CacheEpoch, database_url: str
) -> None:
    before = await stored_token(database_url)
    seen: list[str | None] = []
    epoch.on_change(seen.append)
    await epoch.bump("purge_failed")
    after = await stored_token(database_url)
    assert after != before
    assert epoch.value == after
    assert seen == [after]
    assert epoch._metrics is not None
    assert bumps(epoch._metrics, "purge_failed") == 1
    assert bumps(epoch._metrics, "operator") == 0


async def test_an_unreadable_database_makes_the_epoch_unknown_until_it_is_back(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with Outage(database_url) as outage, database_at(outage.url) as db:
        epoch = CacheEpoch(db, interval_seconds=INTERVAL)
        seen: list[str | None] = []
        epoch.on_change(seen.append)
        await epoch.start()
        try:
            token = await stored_token(database_url)
            await eventually(lambda: epoch.value == token, what="the token read")
            await outage.begin()
            await eventually(lambda: epoch.value is None, what="unknown while unreadable")
            await eventually(lambda: seen[-1:] == [None], what="listeners told of None")
            await asyncio.sleep(5 * INTERVAL)  # several failed polls: still one line
            messages = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
            assert len([m for m in messages if "cache epoch unreadable" in m]) == 1
            assert not [m for m in messages if m.startswith("database unavailable")]
            await outage.end()
            await eventually(lambda: epoch.value == token, what="known again")
            assert seen[-1] == token
        finally:
            await epoch.stop()


async def test_an_epoch_never_read_is_unknown(database_url: str) -> None:
    async with Outage(database_url) as outage, database_at(outage.url) as db:
        await outage.begin()
        epoch = CacheEpoch(db, interval_seconds=INTERVAL)
        await epoch.start()  # the failed first read is tolerated
        try:
            assert epoch.value is None
            await outage.end()
            token = await stored_token(database_url)
            await eventually(lambda: epoch.value == token, what="read once reachable")
        finally:
            await epoch.stop()


async def test_a_bump_the_database_refuses_is_used_at_once_and_retried_until_written(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with Outage(database_url) as outage, database_at(outage.url) as db:
        epoch = CacheEpoch(db, interval_seconds=INTERVAL)
        await epoch.start()
        try:
            old = await stored_token(database_url)
            await outage.begin()
            await epoch.bump("purge_failed")  # never raises into the caller
            await epoch.bump("purge_failed")  # the latest token is the one retried
            announced = epoch._token
            assert announced not in (None, old)
            assert announced is not None
            await outage.end()
            await until_stored(database_url, announced)
            await eventually(lambda: epoch.value == announced, what="the bump kept")
            warnings = [r for r in caplog.records if "not written" in r.getMessage()]
            assert len(warnings) == 1  # one per outage, not one per bump
        finally:
            await epoch.stop()


async def test_a_failing_listener_does_not_stop_the_others(
    epoch: CacheEpoch, database_url: str
) -> None:
    seen: list[str | None] = []

    def broken(_value: str | None) -> None:
        raise RuntimeError("listener bug")

    epoch.on_change(broken)
    epoch.on_change(seen.append)
    await epoch.bump("operator")
    # The first change the working listener hears is the bump (a later poll that times
    # out on a loaded machine may add None: "cannot read the epoch" is a change too).
    assert seen[:1] == [await stored_token(database_url)]


async def test_resources_poll_the_epoch_and_stop_polling_when_closed(database_url: str) -> None:
    settings = make_settings(database_url, cache_epoch_interval_ms=50)
    async with open_resources(settings, null_pool=True) as resources:
        token = await stored_token(database_url)
        await eventually(lambda: resources.epoch.value == token, what="polled by the server")
        task = resources.epoch._task
        assert task is not None
    assert task.done()


async def test_outside_the_server_every_write_carries_a_bump(database_url: str) -> None:
    settings = make_settings(database_url)
    async with open_resources(settings, null_pool=True, outside_server=True) as resources:
        assert resources.epoch._task is None  # a command does not poll
        before = await stored_token(database_url)
        async with resources.database.write():
            pass
        assert await stored_token(database_url) != before


async def test_a_server_write_does_not_bump(database_url: str) -> None:
    async with database_at(database_url) as db:
        before = await stored_token(database_url)
        async with db.write():
            pass
        assert await stored_token(database_url) == before


async def test_the_epoch_is_read_from_the_primary_even_with_replicas(
    database_url: str, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("read replicas need a database server (PostgreSQL)")
    primary = create_engine(database_url, null_pool=True)
    # A "replica" no read may ever reach: routed reads would fail on it.
    unreachable = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none", null_pool=True)
    router = Router(primary, [Replica(unreachable, ReplicaState(name="r"))], InProcessPositions())
    db = Database(primary, router=router)
    try:
        epoch = CacheEpoch(db, interval_seconds=INTERVAL)
        await epoch.refresh()
        assert epoch.value == await stored_token(database_url)
        assert router.stats.reads == {"primary": 0, "replica": 0}  # never routed
        async with db.read():
            pass
        assert sum(router.stats.reads.values()) == 1  # what an ordinary read goes through
    finally:
        await primary.dispose()
        await unreachable.dispose()


def test_the_two_metrics_are_exported_under_their_documented_names() -> None:
    metrics = Metrics(version="test")
    metrics.cache_purge_failed()
    metrics.cache_epoch_bumped("redis_reset")
    text = metrics.render().decode()
    assert "quillpress_cache_purge_failures_total 1.0" in text
    assert 'quillpress_cache_epoch_bumps_total{reason="redis_reset"} 1.0' in text
    assert 'quillpress_cache_epoch_bumps_total{reason="operator"} 0.0' in text  # from the start
