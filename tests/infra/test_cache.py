"""The cache stores and the read-through facade, on the in-process store and on real Redis."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterable, Sequence

import pytest

from quillpress.infra.cache import Cache, CacheStats, CacheStore, MemoryStore, RedisStore, Slot
from quillpress.infra.cache import current_cache_stats as stats_var


class Loader:
    """A database stand-in for the facade: counts what it was asked to load."""

    def __init__(self, values: dict[str, bytes | None]) -> None:
        self.values = values
        self.calls: list[list[str]] = []

    async def __call__(self, keys: list[str]) -> dict[str, bytes | None]:
        self.calls.append(keys)
        await asyncio.sleep(0.01)
        return {key: self.values.get(key) for key in keys}


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[CacheStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    url = request.getfixturevalue("redis_server")
    prefix = request.getfixturevalue("redis_prefix")
    redis = RedisStore.from_url(url, prefix=prefix, timeout_seconds=0.5, max_connections=4, ttl=60)
    yield redis
    await redis.delete_everything()
    await redis.close()


async def test_a_miss_loads_once_and_the_next_read_is_a_hit(store: CacheStore) -> None:
    cache, load = Cache(store), Loader({"article:1": b"one"})
    assert await cache.fetch(["article:1"], load) == {"article:1": b"one"}
    assert await cache.fetch(["article:1"], load) == {"article:1": b"one"}
    assert load.calls == [["article:1"]]


async def test_a_purged_key_is_loaded_again(store: CacheStore) -> None:
    cache, load = Cache(store), Loader({"article:1": b"old", "article:2": b"two"})
    await cache.fetch(["article:1", "article:2"], load)
    load.values["article:1"] = b"new"
    await cache.purge(keys=["article:1"])
    assert await cache.fetch(["article:1", "article:2"], load) == {
        "article:1": b"new",
        "article:2": b"two",
    }
    assert load.calls[-1] == ["article:1"]


async def test_a_fill_that_read_before_a_purge_is_dropped(store: CacheStore) -> None:
    """The classic stale fill: a reader loads the old row, a write commits and purges,
    then the reader's fill arrives. It must not leave the old row in the cache."""
    cache = Cache(store)
    values: dict[str, bytes | None] = {"article:1": b"old"}

    async def load_then_a_write_lands(keys: list[str]) -> dict[str, bytes | None]:
        found = {key: values[key] for key in keys}  # read the old row…
        values["article:1"] = b"new"  # …a write commits…
        await cache.purge(keys=["article:1"])  # …and purges, before the fill
        return found

    assert await cache.fetch(["article:1"], load_then_a_write_lands) == {"article:1": b"old"}
    fresh = Loader(values)
    assert await cache.fetch(["article:1"], fresh) == {"article:1": b"new"}
    assert fresh.calls == [["article:1"]]


async def test_bumping_a_namespace_retires_all_its_entries_and_no_others(
    store: CacheStore,
) -> None:
    cache = Cache(store)
    keys = ["list:tag:python:20/0", "list:tag:python:20/20", "list:tag:rust:20/0", "tags:all"]
    load = Loader(dict.fromkeys(keys, b"page"))
    await cache.fetch(keys, load)
    await cache.purge(namespaces=["list:tag:python"])
    await cache.fetch(keys, load)
    assert load.calls[-1] == ["list:tag:python:20/0", "list:tag:python:20/20"]


async def test_a_fill_racing_a_namespace_bump_is_dropped(store: CacheStore) -> None:
    cache = Cache(store)

    async def load_then_bump(keys: list[str]) -> dict[str, bytes | None]:
        await cache.purge(namespaces=["list:all"])
        return dict.fromkeys(keys, b"old page")

    await cache.fetch(["list:all:20/0"], load_then_bump)
    fresh = Loader({"list:all:20/0": b"new page"})
    assert await cache.fetch(["list:all:20/0"], fresh) == {"list:all:20/0": b"new page"}


async def test_concurrent_misses_of_one_key_do_one_load(store: CacheStore) -> None:
    cache, load = Cache(store), Loader({"profile:7": b"p"})
    results = await asyncio.gather(*(cache.fetch(["profile:7"], load) for _ in range(20)))
    assert all(result == {"profile:7": b"p"} for result in results)
    assert load.calls == [["profile:7"]]


async def test_a_reader_after_a_purge_never_joins_a_load_that_began_before_it(
    store: CacheStore,
) -> None:
    """Single flight must not serve a write's reader the load that read the old row."""
    cache = Cache(store)
    values: dict[str, bytes | None] = {"article:1": b"old"}
    loading, release = asyncio.Event(), asyncio.Event()

    async def slow_load(keys: list[str]) -> dict[str, bytes | None]:
        found = {key: values[key] for key in keys}
        loading.set()
        await release.wait()
        return found

    before = asyncio.create_task(cache.fetch(["article:1"], slow_load))
    await loading.wait()
    values["article:1"] = b"new"  # a write commits and purges while that load runs
    await cache.purge(keys=["article:1"])
    after = asyncio.create_task(cache.fetch(["article:1"], Loader(values)))
    await asyncio.sleep(0.05)
    release.set()
    assert await before == {"article:1": b"old"}  # concurrent with the write: either is fine
    assert await after == {"article:1": b"new"}  # after the write: only the new row


async def test_concurrent_misses_share_one_load_even_when_it_ends_before_their_reads(
    store: CacheStore,
) -> None:
    """A reader whose store read raced the fill still shares the finished load."""
    cache = Cache(store)
    load = Loader({"profile:7": b"p"})
    results = await asyncio.gather(*(cache.fetch(["profile:7"], load) for _ in range(50)))
    assert all(result == {"profile:7": b"p"} for result in results)
    assert len(load.calls) == 1


async def test_absence_is_cached_only_in_a_store_every_writer_purges(store: CacheStore) -> None:
    cache, load = Cache(store), Loader({})
    assert await cache.fetch(["uid:nobody"], load) == {"uid:nobody": None}
    assert await cache.fetch(["uid:nobody"], load) == {"uid:nobody": None}
    assert len(load.calls) == (1 if store.shared else 2)


async def test_entries_expire_after_their_ttl(store: CacheStore) -> None:
    cache, load = Cache(store, ttl_seconds=1), Loader({"article:1": b"one"})
    await cache.fetch(["article:1"], load)
    await asyncio.sleep(1.2)
    await cache.fetch(["article:1"], load)
    assert len(load.calls) == 2


async def test_outcomes_are_counted_per_request(store: CacheStore) -> None:
    cache, load = Cache(store), Loader({"article:1": b"one", "article:2": b"two"})
    await cache.fetch(["article:1"], load)
    stats = CacheStats()
    token = stats_var.set(stats)
    try:
        await cache.fetch(["article:1", "article:2"], load)
    finally:
        stats_var.reset(token)
    assert (stats.hits, stats.misses, stats.bypassed, stats.outcome) == (1, 1, 0, "miss")


def test_off_means_every_read_goes_to_the_database() -> None:
    async def run() -> None:
        cache, load = Cache(None), Loader({"article:1": b"one"})
        stats = CacheStats()
        token = stats_var.set(stats)
        try:
            await cache.fetch(["article:1"], load)
            await cache.fetch(["article:1"], load)
        finally:
            stats_var.reset(token)
        assert len(load.calls) == 2
        assert stats.outcome == "bypass"

    asyncio.run(run())


class Flaky:
    """A real store behind a switch that makes every call fail, as a Redis blip does."""

    def __init__(self, inner: CacheStore) -> None:
        self.inner = inner
        self.shared = inner.shared
        self.broken = False

    def _check(self) -> None:
        if self.broken:
            raise ConnectionError("connection refused (injected)")

    async def read(self, keys: Sequence[str]) -> list[Slot]:
        self._check()
        return await self.inner.read(keys)

    async def fill(self, items: Sequence[tuple[str, Slot, bytes]], ttl: int) -> None:
        self._check()
        await self.inner.fill(items, ttl)

    async def purge(self, keys: Iterable[str]) -> None:
        self._check()
        await self.inner.purge(keys)

    async def bump(self, namespaces: Iterable[str]) -> None:
        self._check()
        await self.inner.bump(namespaces)

    async def close(self) -> None:
        await self.inner.close()


async def test_a_purge_lost_in_a_blip_retires_the_namespace_once_the_store_answers(
    store: CacheStore, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = Flaky(store)
    cache = Cache(flaky, cooldown_seconds=0.05)
    load = Loader({"article:1": b"old", "article:2": b"two"})
    await cache.fetch(["article:1", "article:2"], load)

    flaky.broken = True
    load.values["article:1"] = b"new"
    with caplog.at_level(logging.WARNING, logger="quillpress.cache"):
        await cache.purge(keys=["article:1"])  # lost: the store is down
        for _ in range(5):  # served from the database meanwhile, logged once
            assert (await cache.fetch(["article:1"], load))["article:1"] == b"new"
    assert [r.message for r in caplog.records].count(
        "cache unavailable, serving from the database"
    ) == 1

    flaky.broken = False
    await asyncio.sleep(0.06)
    calls = len(load.calls)
    assert await cache.fetch(["article:1", "article:2"], load) == {
        "article:1": b"new",
        "article:2": b"two",
    }
    assert load.calls[calls:] == [["article:1", "article:2"]]  # the whole namespace retired


async def test_an_unreachable_redis_serves_from_the_database_quickly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)  # accepts, never answers
    port = server.sockets[0].getsockname()[1]
    try:
        for url in (f"redis://127.0.0.1:{port}/0", "redis://127.0.0.1:1/0"):  # stalled, refused
            store = RedisStore.from_url(
                url, prefix="x:", timeout_seconds=0.05, max_connections=2, ttl=60
            )
            cache, load = Cache(store), Loader({"article:1": b"one"})
            started = time.monotonic()
            with caplog.at_level(logging.WARNING, logger="quillpress.cache"):
                for _ in range(3):
                    assert await cache.fetch(["article:1"], load) == {"article:1": b"one"}
                    await cache.purge(keys=["article:1"])
            assert time.monotonic() - started < 1.0
            await store.close()
    finally:
        server.close()
        await server.wait_closed()
