"""The persisted-query store: bounded in process, Redis shared, never failing a request."""

from __future__ import annotations

import hashlib
import logging

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from quillpress.infra import persisted_queries
from quillpress.infra.persisted_queries import PersistedQueries, RedisDocuments, document_hash


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def test_document_hash_is_apollos() -> None:
    # The hash Grafbase's APQ documentation gives for this document (the exact text,
    # trailing newline included: nothing is normalised before hashing).
    assert document_hash("query { __typename }\n") == (
        "4ef8d269e7944ef2cd6554ecb3d73164546945cf935806933448905abec554e5"
    )
    assert document_hash("{ é }") == sha("{ é }")


async def test_memory_store_keeps_the_most_recently_used() -> None:
    store = PersistedQueries(max_entries=2)
    for document in ("{ a }", "{ b }"):
        assert await store.register(sha(document), document)
    assert not await store.register(sha("{ a }"), "{ a }")  # already known
    assert await store.lookup(sha("{ a }")) == "{ a }"  # now the most recent
    await store.register(sha("{ c }"), "{ c }")
    assert await store.lookup(sha("{ b }")) is None
    assert await store.lookup(sha("{ a }")) == "{ a }"
    assert await store.lookup(sha("{ c }")) == "{ c }"
    assert not store.shared


async def test_a_zero_sized_memory_store_keeps_nothing() -> None:
    store = PersistedQueries(max_entries=0)
    await store.register(sha("{ a }"), "{ a }")
    assert await store.lookup(sha("{ a }")) is None


async def test_redis_values_are_checked_against_their_hash(
    redis_server: str, redis_prefix: str
) -> None:
    redis = RedisDocuments.from_url(
        redis_server,
        prefix=redis_prefix,
        ttl_seconds=60,
        timeout_seconds=1.0,
        max_connections=2,
    )
    store = PersistedQueries(max_entries=10, redis=redis)
    try:
        await redis.set(sha("{ a }"), "{ not a }")  # foreign or damaged
        assert await store.lookup(sha("{ a }")) is None
        await redis.set(sha("{ b }"), "{ b }")
        assert await store.lookup(sha("{ b }")) == "{ b }"
        assert store.shared
    finally:
        await store.close()


class Broken(RedisDocuments):
    def __init__(self) -> None:
        self.calls = 0

    async def get(self, sha256: str) -> str | None:
        self.calls += 1
        raise RedisConnectionError("refused")

    async def set(self, sha256: str, document: str) -> None:
        self.calls += 1
        raise RedisConnectionError("refused")

    async def close(self) -> None:
        pass


async def test_redis_failures_are_not_found_logged_once_and_cooled_down(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = Broken()
    store = PersistedQueries(max_entries=10, redis=broken)
    with caplog.at_level(logging.WARNING, logger="quillpress.graphql"):
        assert await store.lookup(sha("{ a }")) is None
        await store.register(sha("{ a }"), "{ a }")  # kept in process, Redis left alone
        assert await store.lookup(sha("{ a }")) == "{ a }"
        assert broken.calls == 1
        monkeypatch.setattr(persisted_queries, "COOLDOWN_SECONDS", 0.0)
        clock = persisted_queries.time.monotonic() + 5
        monkeypatch.setattr(persisted_queries.time, "monotonic", lambda: clock)
        await store.register(sha("{ b }"), "{ b }")
        assert await store.lookup(sha("{ c }")) is None
        assert broken.calls == 3
    assert len([r for r in caplog.records if "persisted queries" in r.getMessage()]) == 1
