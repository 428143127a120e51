"""The tagged stores and the cache facade, on the in-process store and on real Redis: one
round trip per lookup, purges by tag, fills that raced a purge dropped, tokens that never
repeat, the epoch in every key, and failures that never fail a read."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterable, Sequence

import pytest

from quillpress.infra.cache import (
    Cache,
    CacheStats,
    CacheStore,
    FixedEpoch,
    Found,
    MemoryStore,
    RedisStore,
)
from quillpress.infra.cache import current_cache_stats as stats_var


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


async def one(store: CacheStore, key: str, etag: bytes = b"") -> Found:
    return (await store.lookup([key], etag))[0]


async def _filled(store: CacheStore, key: str, tags: Sequence[str], payload: bytes) -> None:
    miss = await one(store, key)
    assert miss.payload is None
    assert await store.fill(key, tags, payload, miss.mark, 60, b"")


async def test_a_filled_entry_is_found_until_one_of_its_tags_is_purged(store: CacheStore) -> None:
    await _filled(store, "r:/a", ["article:1", "profile:2"], b"head\nbody")
    assert (await one(store, "r:/a")).payload == b"head\nbody"
    await store.purge(["article:9"])  # another article: the entry stays
    assert (await one(store, "r:/a")).payload == b"head\nbody"
    await store.purge(["profile:2"])
    assert (await one(store, "r:/a")).payload is None


async def test_one_purge_retires_every_entry_carrying_the_tag(store: CacheStore) -> None:
    await _filled(store, "r:/list", ["list:all", "article:1"], b"h\nlist")
    await _filled(store, "r:/one", ["article:1"], b"h\none")
    await _filled(store, "r:/two", ["article:2"], b"h\ntwo")
    await store.purge(["article:1"])
    assert (await one(store, "r:/list")).payload is None
    assert (await one(store, "r:/one")).payload is None
    assert (await one(store, "r:/two")).payload == b"h\ntwo"


async def test_a_fill_that_read_before_a_purge_is_dropped(store: CacheStore) -> None:
    """The reader looked up (mark), read the old row, and a write purged the tag before
    the fill arrived: storing it would keep the old row until the next purge."""
    await store.purge(["article:1"])  # the tag exists, as it does once anything wrote
    miss = await one(store, "r:/a")
    await store.purge(["article:1"])
    assert not await store.fill("r:/a", ["article:1"], b"h\nold", miss.mark, 60, b"")
    assert (await one(store, "r:/a")).payload is None
    again = await one(store, "r:/a")
    assert await store.fill("r:/a", ["article:1"], b"h\nnew", again.mark, 60, b"")
    assert (await one(store, "r:/a")).payload == b"h\nnew"


async def test_a_matching_etag_returns_only_the_head(store: CacheStore) -> None:
    miss = await one(store, "r:/a")
    await store.fill("r:/a", ["tags:all"], b'{"h":1}\n{"big":"body"}', miss.mark, 60, b'W/"e1"')
    found = await one(store, "r:/a", b'W/"e1"')
    assert (found.payload, found.not_modified) == (b'{"h":1}', True)
    other = await one(store, "r:/a", b'"e2"')
    assert (other.payload, other.not_modified) == (b'{"h":1}\n{"big":"body"}', False)


async def test_entries_expire_after_their_ttl(store: CacheStore) -> None:
    miss = await one(store, "r:/a")
    await store.fill("r:/a", ["tags:all"], b"h\nx", miss.mark, 1, b"")
    await asyncio.sleep(1.1)
    assert (await one(store, "r:/a")).payload is None


async def test_an_expired_tag_token_never_validates_an_old_entry() -> None:
    """A token is never reused: a tag whose key expired reads as missing, and the next
    fill gives it a token no stored entry carries."""
    store = MemoryStore()
    await _filled(store, "r:/a", ["article:1"], b"h\nold")
    store._tags.pop("article:1", None)  # as if evicted
    await store.purge(["article:1"])
    assert (await one(store, "r:/a")).payload is None


async def test_the_epoch_is_part_of_every_key(store: CacheStore) -> None:
    epoch = FixedEpoch("e1")
    cache = Cache(store)
    cache.epoch = epoch
    key = cache.key("r:/a")
    assert key is not None
    assert key.startswith("e1:")
    found = await cache.lookup(key)
    assert found is not None
    await cache.fill(key, ["tags:all"], b"h\nx", found.mark)
    cache.epoch = FixedEpoch("e2")
    moved = cache.key("r:/a")
    assert moved is not None
    assert moved != key
    after = await cache.lookup(moved)
    assert after is not None
    assert after.payload is None
    cache.epoch = FixedEpoch(None)
    assert cache.key("r:/a") is None  # epoch unknown: bypassed


async def test_concurrent_misses_of_one_key_do_one_load(store: CacheStore) -> None:
    cache = Cache(store)
    calls = 0

    async def load() -> bytes:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.02)
        return b"admin"

    values = await asyncio.gather(*(cache.fetch("s:1", ["session:1"], load) for _ in range(10)))
    assert values == [b"admin"] * 10
    assert calls == 1
    assert await cache.fetch("s:1", ["session:1"], load) == b"admin"
    assert calls == 1
    await cache.purge(["session:1"])
    assert await cache.fetch("s:1", ["session:1"], load) == b"admin"
    assert calls == 2


async def test_a_none_load_is_not_stored(store: CacheStore) -> None:
    cache = Cache(store)
    calls = 0

    async def load() -> bytes | None:
        nonlocal calls
        calls += 1
        return None

    assert await cache.fetch("s:1", ["session:1"], load) is None
    assert await cache.fetch("s:1", ["session:1"], load) is None
    assert calls == 2


async def test_outcomes_and_round_trips_are_counted_per_request(store: CacheStore) -> None:
    cache = Cache(store)
    stats = CacheStats()
    token = stats_var.set(stats)
    try:
        key = cache.key("r:/a")
        assert key is not None
        found = await cache.lookup(key)
        assert found is not None
        await cache.fill(key, ["tags:all"], b"h\nx", found.mark)
        hit = CacheStats()
        stats_var.set(hit)
        await cache.lookup(key)
    finally:
        stats_var.reset(token)
    assert stats.outcome == "miss"
    trips = 1 if store.shared else 0
    assert hit.description == f"hit, {trips} round trip{'' if trips == 1 else 's'}"


def test_off_means_every_read_goes_to_the_database() -> None:
    async def run() -> None:
        cache = Cache(None)
        calls = 0

        async def load() -> bytes:
            nonlocal calls
            calls += 1
            return b"x"

        await cache.fetch("s:1", ["session:1"], load)
        await cache.fetch("s:1", ["session:1"], load)
        assert calls == 2
        assert cache.key("r:/a") is None

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

    async def lookup(self, keys: Sequence[str], etag: bytes = b"") -> list[Found]:
        self._check()
        return await self.inner.lookup(keys, etag)

    async def fill(
        self, key: str, tags: Sequence[str], payload: bytes, mark: bytes, ttl: int, etag: bytes
    ) -> bool:
        self._check()
        return await self.inner.fill(key, tags, payload, mark, ttl, etag)

    async def purge(self, tags: Iterable[str]) -> None:
        self._check()
        await self.inner.purge(tags)

    async def close(self) -> None:
        await self.inner.close()


async def test_a_purge_lost_in_a_blip_is_reported_and_delivered_before_the_store_is_trusted(
    store: CacheStore, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = Flaky(store)
    reported = 0

    async def on_purge_failure() -> None:
        nonlocal reported
        reported += 1

    cache = Cache(flaky, cooldown_seconds=0.05, on_purge_failure=on_purge_failure)
    key = cache.key("r:/a")
    assert key is not None
    found = await cache.lookup(key)
    assert found is not None
    await cache.fill(key, ["article:1"], b"h\nold", found.mark)

    flaky.broken = True
    with caplog.at_level(logging.WARNING, logger="quillpress.cache"):
        await cache.purge(["article:1"])  # lost: the store is down
        for _ in range(5):  # bypassed meanwhile, logged once
            assert cache.key("r:/a") is None or await cache.lookup(key) is None
    assert reported == 1
    assert [r.message for r in caplog.records].count(
        "cache unavailable, serving from the database"
    ) == 1

    flaky.broken = False
    await asyncio.sleep(0.06)
    after = await cache.lookup(key)
    assert after is not None
    assert after.payload is None


async def test_an_unreachable_redis_is_bypassed_quickly(caplog: pytest.LogCaptureFixture) -> None:
    # Accepts, never answers.
    server = await asyncio.start_server(lambda _reader, _writer: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        for url in (f"redis://127.0.0.1:{port}/0", "redis://127.0.0.1:1/0"):  # stalled, refused
            store = RedisStore.from_url(
                url, prefix="x:", timeout_seconds=0.05, max_connections=2, ttl=60
            )
            cache = Cache(store, cooldown_seconds=0.0)

            async def load() -> bytes:
                return b"one"

            started = time.monotonic()
            with caplog.at_level(logging.WARNING, logger="quillpress.cache"):
                for _ in range(3):
                    assert await cache.fetch("s:1", ["session:1"], load) == b"one"
                    await cache.purge(["session:1"])
            assert time.monotonic() - started < 1.0
            await store.close()
    finally:
        server.close()
        await server.wait_closed()


async def test_several_entries_are_looked_up_in_one_round_trip(store: CacheStore) -> None:
    await _filled(store, "r:/a", ["article:1"], b"h\na")
    await _filled(store, "s:1", ["session:1"], b"admin")
    found = await store.lookup(["r:/a", "f:1", "s:1"], b"")
    assert [entry.payload for entry in found] == [b"h\na", None, b"admin"]
    assert len({entry.mark for entry in found}) == 1
    await store.purge(["session:1"])
    assert [e.payload for e in await store.lookup(["r:/a", "s:1"])] == [b"h\na", None]
