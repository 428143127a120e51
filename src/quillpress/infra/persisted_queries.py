"""The documents of automatic persisted queries (Apollo's APQ), by their SHA-256 hash.

A hash names one document forever, so nothing here can go stale: a bounded in-process LRU
answers the hot hashes without a round trip, and Redis (``{prefix}apq:{sha256}``, with a
TTL) shares registrations between workers and instances. Without Redis the LRU is the
whole store.

Redis failing never fails a request: a lookup that Redis cannot answer is "not found" (the
client then sends the document again, which is executed as usual), a registration it
cannot take is dropped. The first failure of an outage is logged, then Redis is left
alone for a short cooldown so a dead server costs no request its timeout."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import OrderedDict

from redis.asyncio import Redis
from redis.exceptions import RedisError

from quillpress.infra.redis_pool import blocking_pool

log = logging.getLogger("quillpress.graphql")

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
"""A persisted query's id: a SHA-256 digest as 64 lower-case hex digits (what clients send)."""

MAX_DOCUMENT_BYTES = 65_536
"""Longer documents are executed but never registered: far past any real operation under
the depth, alias and cost limits, and it bounds what the LRU can hold."""

COOLDOWN_SECONDS = 1.0
"""After a Redis failure, Redis is not asked again for this long."""


def document_hash(document: str) -> str:
    """The id a client computes for ``document``: SHA-256 of its UTF-8 text, lower-case hex."""
    return hashlib.sha256(document.encode()).hexdigest()


class RedisDocuments:
    """``{prefix}apq:{sha256}`` → document text, each key with a TTL (or none)."""

    def __init__(self, client: Redis, *, prefix: str, ttl_seconds: int | None) -> None:
        self._redis = client
        self._prefix = f"{prefix}apq:"
        self._ttl = ttl_seconds

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str,
        ttl_seconds: int | None,
        timeout_seconds: float,
        max_connections: int,
    ) -> RedisDocuments:
        pool = blocking_pool(url, timeout_seconds=timeout_seconds, max_connections=max_connections)
        return cls(Redis(connection_pool=pool), prefix=prefix, ttl_seconds=ttl_seconds)

    async def get(self, sha256: str) -> str | None:
        raw = await self._redis.get(self._prefix + sha256)
        return raw.decode() if isinstance(raw, bytes) else raw

    async def set(self, sha256: str, document: str) -> None:
        await self._redis.set(self._prefix + sha256, document.encode(), ex=self._ttl)

    async def close(self) -> None:
        await self._redis.aclose()


class PersistedQueries:
    """Look a hash up, register a document: the two operations of the protocol.

    ``lookup`` never raises and never returns a document whose hash differs from the one
    asked for; ``register`` never raises. Callers verify a client's hash against its
    document (:func:`document_hash`) before registering it."""

    def __init__(self, *, max_entries: int, redis: RedisDocuments | None = None) -> None:
        self._local: OrderedDict[str, str] = OrderedDict()
        self._max = max_entries
        self._redis = redis
        self._down_until = 0.0
        self._failing = False

    @property
    def shared(self) -> bool:
        """Whether registrations reach other processes (Redis) or stay in this one."""
        return self._redis is not None

    async def lookup(self, sha256: str) -> str | None:
        document = self._local.get(sha256)
        if document is not None:
            self._local.move_to_end(sha256)
            return document
        if self._redis is None or not self._redis_usable():
            return None
        try:
            document = await self._redis.get(sha256)
        except (RedisError, OSError, TimeoutError, UnicodeDecodeError) as error:
            self._failed(error)
            return None
        self._recovered()
        if document is None or document_hash(document) != sha256:
            return None  # a foreign or damaged value is "not found": the client resends
        self._remember(sha256, document)
        return document

    async def register(self, sha256: str, document: str) -> bool:
        """Keep ``document`` under ``sha256``: ``True`` when it was new to this process
        (and given to Redis, if Redis is there and answering), ``False`` when it was
        already known here or is too long to keep."""
        if len(document) > MAX_DOCUMENT_BYTES or len(document.encode()) > MAX_DOCUMENT_BYTES:
            return False
        if sha256 in self._local:
            self._local.move_to_end(sha256)
            return False  # already known here, so already given to Redis (or it was down)
        self._remember(sha256, document)
        if self._redis is None or not self._redis_usable():
            return True
        try:
            await self._redis.set(sha256, document)
        except (RedisError, OSError, TimeoutError) as error:
            self._failed(error)
            return True
        self._recovered()
        return True

    def _remember(self, sha256: str, document: str) -> None:
        if self._max <= 0:
            return
        self._local[sha256] = document
        while len(self._local) > self._max:
            self._local.popitem(last=False)

    def _redis_usable(self) -> bool:
        return self._down_until <= time.monotonic()

    def _failed(self, error: BaseException) -> None:
        if not self._failing:
            log.warning(
                "Redis unreachable for persisted queries; unknown hashes are answered "
                "PERSISTED_QUERY_NOT_FOUND and registrations stay in this process: %s",
                str(error) or type(error).__name__,
            )
        self._failing = True
        self._down_until = time.monotonic() + COOLDOWN_SECONDS

    def _recovered(self) -> None:
        if self._failing:
            self._failing = False
            log.info("Redis answers persisted-query lookups again")

    async def close(self) -> None:
        self._local.clear()
        if self._redis is not None:
            await self._redis.close()
