"""The cache epoch watching Redis for lost data, on a ``redis-server`` each test starts for
itself (flushing or restarting the shared one is not allowed): a missing sentinel (flushed)
or another ``run_id`` (restarted empty or from an older snapshot) bumps the epoch once; an
unchanged Redis never does; an unreachable one is skipped without failing the poll; one that
refuses writes is bumped for once, not on every poll."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from quillpress.infra.epoch import CacheEpoch
from quillpress.infra.metrics import Metrics
from tests.epoch_support import OwnRedis, database_at, eventually, own_redis, stored_token

INTERVAL = 0.05
PREFIX = "qp-epoch-test:"


@pytest.fixture
def server() -> Iterator[OwnRedis]:
    with own_redis() as started:
        yield started


@pytest.fixture
async def epoch(database_url: str, server: OwnRedis) -> AsyncIterator[CacheEpoch]:
    client = Redis.from_url(server.url, socket_timeout=0.5, socket_connect_timeout=0.5)
    async with database_at(database_url) as db:
        watched = CacheEpoch(
            db,
            interval_seconds=INTERVAL,
            metrics=Metrics(version="test"),
            redis=client,
            prefix=PREFIX,
            owns_redis=True,
        )
        try:
            yield watched
        finally:
            await watched.stop()


def resets(epoch: CacheEpoch) -> float:
    assert epoch._metrics is not None
    value = epoch._metrics.registry.get_sample_value(  # type: ignore[union-attr]
        "quillpress_cache_epoch_bumps_total", {"reason": "redis_reset"}
    )
    return value or 0.0


def run_id(server: OwnRedis) -> str:
    with server.client() as client:
        return str(client.info("server")["run_id"])


def sentinel(server: OwnRedis) -> str | None:
    with server.client() as client:
        value = client.get(f"{PREFIX}epoch:sentinel")
    return None if value is None else bytes(value).decode()  # type: ignore[arg-type]


async def test_first_start_without_a_sentinel_bumps_once_and_sets_it(
    epoch: CacheEpoch, server: OwnRedis, database_url: str
) -> None:
    before = await stored_token(database_url)
    await epoch.start()
    assert resets(epoch) == 1
    assert sentinel(server) == run_id(server)
    assert await stored_token(database_url) != before


async def test_an_unchanged_redis_never_bumps(epoch: CacheEpoch, database_url: str) -> None:
    await epoch.start()
    token = await stored_token(database_url)
    for _ in range(5):
        await epoch.refresh()
    assert resets(epoch) == 1  # the first start's only
    assert await stored_token(database_url) == token


async def test_a_flushed_redis_bumps(
    epoch: CacheEpoch, server: OwnRedis, database_url: str
) -> None:
    await epoch.start()
    token = await stored_token(database_url)
    with server.client() as client:
        client.flushall()
    await eventually(lambda: resets(epoch) == 2, what="the flush noticed")
    await eventually(lambda: epoch._pending is None, what="the bump written")
    assert epoch.value != token
    assert await stored_token(database_url) != token
    assert sentinel(server) == run_id(server)


async def test_a_restarted_redis_bumps(
    epoch: CacheEpoch, server: OwnRedis, database_url: str
) -> None:
    await epoch.start()
    token = await stored_token(database_url)
    server.restart()  # empty, and a new run_id (as after a restore from a snapshot)
    await eventually(lambda: resets(epoch) == 2, what="the restart noticed")
    await eventually(lambda: epoch._pending is None, what="the bump written")
    assert await stored_token(database_url) != token


async def test_a_sentinel_from_another_run_bumps(epoch: CacheEpoch, server: OwnRedis) -> None:
    """What an older snapshot brings back: the sentinel of the run it was taken in."""
    await epoch.start()
    with server.client() as client:
        client.set(f"{PREFIX}epoch:sentinel", "0" * 40)
    await eventually(lambda: resets(epoch) == 2, what="the older sentinel noticed")


async def test_an_unreachable_redis_is_skipped_without_failing_the_poll(
    epoch: CacheEpoch, server: OwnRedis, database_url: str
) -> None:
    await epoch.start()
    server.stop()
    token = await stored_token(database_url)
    for _ in range(3):
        await epoch.refresh()
    assert resets(epoch) == 1
    assert epoch.value == token  # the database still answers: the epoch is known


async def test_a_redis_refusing_writes_is_bumped_for_once_not_on_every_poll(
    epoch: CacheEpoch, server: OwnRedis
) -> None:
    await epoch.start()
    with server.client() as client:
        client.flushall()
        # A replica of a server that does not exist: reads answer, writes are refused.
        client.replicaof("127.0.0.1", "1")
    for _ in range(5):
        await epoch.refresh()
    assert resets(epoch) == 2
    assert sentinel(server) is None
    with server.client() as client:
        client.replicaof("NO", "ONE")
    await epoch.refresh()
    assert sentinel(server) == run_id(server)
    assert resets(epoch) == 2
