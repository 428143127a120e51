"""The one cache: a store (Redis, or in-process memory) of entries tagged with what they
depend on, the way Varnish ``xkey``, Fastly surrogate keys and Next.js ``revalidateTag``
work.

An entry is a payload (a served response, a session's role) stored under a key together
with the *tokens* of its tags as they were when it was filled (``article:42``,
``profile:7``, ``list:all``: the vocabulary is ``infra.cache_keys``). A write purges the
tags it touched (``infra.invalidation``, after commit): each purged tag gets a new token,
so every entry that carries the old one is no longer served, wherever it is.

- **One round trip per lookup.** Redis checks the entry's tag tokens in the same call
  that reads it (one ``EVALSHA``); the memory store does the same in process.
- **Tokens never repeat.** A token is the purge time (the store's own clock: Redis
  ``TIME``, or a process-wide counter in memory) and a sequence number. A tag whose key
  expired or was evicted reads as missing, which no entry carries.
- **Fills that raced a purge are dropped.** A lookup returns a *read mark* (the store's
  clock then); a fill is refused when any of its tags was purged at or after that mark,
  i.e. while the data it stores was being read.
- **The epoch** (``infra.epoch``, a token kept in the database) is part of every entry's
  key: bumping it makes every older entry unreachable at once, on every instance. While
  it is unknown (the database cannot be read) the cache is bypassed.
- **Failures never fail a request.** Redis errors and timeouts bypass the store for a
  short cooldown (logged once per outage). A purge that could not be delivered is
  reported (``on_purge_failure``: the epoch is bumped) and retried before the store is
  trusted again.

Size: the Redis and memory stores implement one contract side by side (the same tag-token
rules in Lua and in Python), so a change to one is made to both.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from quillpress.infra.redis_pool import blocking_pool
from quillpress.infra.resp import LeanRedis

log = logging.getLogger("quillpress.cache")

TAG_TTL_FACTOR = 4
"""A tag's token outlives every entry that can carry it (entry TTL times this)."""

CACHE_ERRORS = (RedisError, OSError, TimeoutError)


@dataclass(frozen=True, slots=True)
class Found:
    """What a lookup saw: ``payload`` when the entry exists and every tag is current (only
    its head, up to the first newline, when ``not_modified``: the caller's ETag matched),
    and the read mark a later fill of the same key must present."""

    payload: bytes | None
    mark: bytes
    not_modified: bool = False


class CacheStore(Protocol):
    shared: bool
    """Whether other processes see this store (and so receive this process's purges)."""

    async def lookup(self, keys: Sequence[str], etag: bytes = b"") -> list[Found]:
        """Each of ``keys`` in one round trip; ``etag`` is compared with the first's."""
        ...

    async def fill(
        self, key: str, tags: Sequence[str], payload: bytes, mark: bytes, ttl: int, etag: bytes
    ) -> bool: ...

    async def purge(self, tags: Iterable[str]) -> None: ...

    async def close(self) -> None: ...


# One round trip: each entry, checked against its tags' current tokens, and the read mark.
# KEYS: entries. ARGV[1]: tag key prefix, ARGV[2]: the caller's If-None-Match for the
# first entry ('' = none). An entry is "<tag>=<token> …\n<etag>\n<payload>"; the
# payload's head is its first line. Returns {mark, payload or false, not_modified, …}.
_LOOKUP = """
local t = redis.call('TIME')
local out = {t[1] .. string.format('%06d', tonumber(t[2]))}
for k = 1, #KEYS do
  local payload, not_modified = false, 0
  local entry = redis.call('GET', KEYS[k])
  if entry then
    local first = string.find(entry, '\\n', 1, true)
    local second = string.find(entry, '\\n', first + 1, true)
    local valid = true
    for tag, token in string.gmatch(string.sub(entry, 1, first - 1), '(%S+)=(%S+)') do
      if redis.call('GET', ARGV[1] .. tag) ~= token then
        valid = false
        break
      end
    end
    if valid then
      local etag = string.sub(entry, first + 1, second - 1)
      if k == 1 and etag ~= '' and ARGV[2] ~= '' and string.find(ARGV[2], etag, 1, true) then
        local head_end = string.find(entry, '\\n', second + 1, true) or (#entry + 1)
        payload, not_modified = string.sub(entry, second + 1, head_end - 1), 1
      else
        payload = string.sub(entry, second + 1)
      end
    end
  end
  out[#out + 1] = payload
  out[#out + 1] = not_modified
end
return out
"""

LOOKUP = _LOOKUP.encode()

# KEYS[1]: entry. ARGV: tag prefix, read mark, entry ttl, tag ttl, etag, payload, tags…
# A tag never purged (or whose token expired) gets a token older than every mark.
_FILL = """
local header = {}
for i = 7, #ARGV do
  local key = ARGV[1] .. ARGV[i]
  local token = redis.call('GET', key)
  if not token then
    token = '0.' .. redis.call('INCR', ARGV[1] .. '~seq')
    redis.call('SET', key, token, 'EX', ARGV[4])
  elseif tonumber(string.match(token, '^(%d+)')) >= tonumber(ARGV[2]) then
    return 0
  end
  header[#header + 1] = ARGV[i] .. '=' .. token
end
redis.call('SET', KEYS[1], table.concat(header, ' ') .. '\\n' .. ARGV[5] .. '\\n' .. ARGV[6],
  'EX', ARGV[3])
return 1
"""

# KEYS: the tags' keys. ARGV[1]: the sequence key, ARGV[2]: tag ttl.
_PURGE = """
local t = redis.call('TIME')
local now = t[1] .. string.format('%06d', tonumber(t[2]))
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], now .. '.' .. redis.call('INCR', ARGV[1]), 'EX', ARGV[2])
end
return #KEYS
"""


class RedisStore:
    shared = True

    def __init__(
        self, client: Redis, *, prefix: str, tag_ttl: int, lean: LeanRedis | None = None
    ) -> None:
        self._redis = client
        self._lean = lean
        """Where lookups go when the URL allows (``infra.resp``: a fifth of redis-py's CPU
        per call); fills and purges stay on redis-py."""
        self._prefix = prefix
        self._tags = f"{prefix}t:"
        self._tag_ttl = tag_ttl
        self._lookup = client.register_script(_LOOKUP)
        self._fill = client.register_script(_FILL)
        self._purge = client.register_script(_PURGE)

    @classmethod
    def from_url(
        cls, url: str, *, prefix: str, timeout_seconds: float, max_connections: int, ttl: int
    ) -> RedisStore:
        pool = blocking_pool(url, timeout_seconds=timeout_seconds, max_connections=max_connections)
        return cls(
            Redis(connection_pool=pool),
            prefix=prefix,
            tag_ttl=ttl * TAG_TTL_FACTOR,
            lean=LeanRedis.from_url(url, timeout_seconds=timeout_seconds),
        )

    def _key(self, key: str) -> str:
        return f"{self._prefix}e:{key}"

    async def lookup(self, keys: Sequence[str], etag: bytes = b"") -> list[Found]:
        # bytes, never str: the client is built without decode_responses.
        entries = [self._key(key) for key in keys]
        if self._lean is not None:
            reply = cast(list[Any], await self._lean.evalsha(LOOKUP, entries, [self._tags, etag]))
        else:
            reply = cast(list[Any], await self._lookup(keys=entries, args=[self._tags, etag]))
        mark = reply[0]
        return [Found(reply[i] or None, mark, bool(reply[i + 1])) for i in range(1, len(reply), 2)]

    async def fill(
        self, key: str, tags: Sequence[str], payload: bytes, mark: bytes, ttl: int, etag: bytes
    ) -> bool:
        args: list[bytes | str | int] = [self._tags, mark, ttl, self._tag_ttl]
        args += [etag.removeprefix(b"W/"), payload, *tags]
        return bool(await self._fill(keys=[self._key(key)], args=args))

    async def purge(self, tags: Iterable[str]) -> None:
        keys = [f"{self._tags}{tag}" for tag in tags]
        if keys:
            await self._purge(keys=keys, args=[f"{self._tags}~seq", self._tag_ttl])

    async def ping(self) -> bool:
        """Whether Redis answers now (startup reports an unreachable one; never raises)."""
        try:
            return bool(await self._redis.ping())
        except CACHE_ERRORS:
            return False

    async def delete_everything(self) -> None:
        """Remove every key under this store's prefix (tests)."""
        async for batch in self._redis.scan_iter(match=f"{self._prefix}*", count=500):
            await self._redis.delete(batch)

    async def close(self) -> None:
        if self._lean is not None:
            await self._lean.close()
        await self._redis.aclose()


class MemoryStore:
    """In-process store for the single-instance embedded default: the same tokens, marks
    and rules as Redis, bounded (least recently used entries go first)."""

    shared = False

    def __init__(self, *, max_entries: int = 20_000) -> None:
        # key → (tag tokens, etag, payload, expiry)
        self._entries: OrderedDict[str, tuple[tuple[tuple[str, int], ...], bytes, bytes, float]]
        self._entries = OrderedDict()
        self._tags: dict[str, int] = {}  # tag → the clock value of its last purge
        self._clock = itertools.count(1)
        self._now = 0
        self._max = max_entries

    async def lookup(self, keys: Sequence[str], etag: bytes = b"") -> list[Found]:
        return [self._lookup(key, etag if index == 0 else b"") for index, key in enumerate(keys)]

    def _lookup(self, key: str, etag: bytes) -> Found:
        mark = str(self._now).encode()
        entry = self._entries.get(key)
        if entry is None:
            return Found(None, mark)
        tokens, stored_etag, payload, expiry = entry
        tags = self._tags
        if expiry < time.monotonic() or any(tags.get(tag, 0) != token for tag, token in tokens):
            del self._entries[key]
            return Found(None, mark)
        self._entries.move_to_end(key)
        if stored_etag and etag and stored_etag in etag:
            return Found(payload.partition(b"\n")[0], mark, not_modified=True)
        return Found(payload, mark)

    async def fill(
        self, key: str, tags: Sequence[str], payload: bytes, mark: bytes, ttl: int, etag: bytes
    ) -> bool:
        read_at = int(mark)
        tokens = tuple((tag, self._tags.get(tag, 0)) for tag in tags)
        if any(token > read_at for _, token in tokens):
            return False
        self._entries[key] = (tokens, etag.removeprefix(b"W/"), payload, time.monotonic() + ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return True

    async def purge(self, tags: Iterable[str]) -> None:
        for tag in tags:
            self._now = next(self._clock)
            self._tags[tag] = self._now

    def clear(self) -> None:
        self._entries.clear()

    async def close(self) -> None:
        self._entries.clear()


@dataclass(slots=True)
class CacheStats:
    """One request's cache outcomes (for ``Server-Timing``, the log line and metrics)."""

    hits: int = 0
    misses: int = 0
    bypassed: int = 0
    round_trips: int = 0

    @property
    def outcome(self) -> str:
        if self.misses:
            return "miss"
        if self.hits:
            return "hit"
        return "bypass" if self.bypassed else "none"

    @property
    def description(self) -> str:
        """``Server-Timing``'s ``desc``: the outcome, and the store round trips a hit
        cost (``hit, 1 round trip``; none for the in-process store)."""
        if self.outcome != "hit":
            return self.outcome
        noun = "round trip" if self.round_trips == 1 else "round trips"
        return f"hit, {self.round_trips} {noun}"


current_cache_stats: ContextVar[CacheStats | None] = ContextVar(
    "quillpress_cache_stats", default=None
)


class EpochSource(Protocol):
    @property
    def value(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class FixedEpoch:
    """An epoch that never changes: tests, and processes that keep no epoch."""

    value: str | None = "0"


Load = Callable[[], Awaitable[bytes | None]]
"""Loads a missing value from the database (``None``: nothing to cache)."""


class Cache:
    """The store behind an epoch, a cooldown and single flight; a pass-through when
    ``store`` is ``None`` (``QUILLPRESS_CACHE=off``)."""

    def __init__(
        self,
        store: CacheStore | None,
        *,
        ttl_seconds: int = 300,
        cooldown_seconds: float = 1.0,
        epoch: EpochSource | None = None,
        on_purge_failure: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.ttl = ttl_seconds
        self._cooldown = cooldown_seconds
        self._down_until = 0.0
        self._outage = False  # logged once when it starts, once when it ends
        self._unpurged: set[str] = set()
        self._inflight: dict[str, asyncio.Future[bytes | None]] = {}
        self.epoch: EpochSource = epoch or FixedEpoch()
        self.on_purge_failure = on_purge_failure

    @property
    def enabled(self) -> bool:
        return self.store is not None

    @property
    def shared(self) -> bool:
        """Whether every writer's purge reaches the store (Redis): only then may a
        session, which a CLI process can revoke, be cached."""
        return self.store is not None and self.store.shared

    def key(self, key: str) -> str | None:
        """``key`` under the current epoch, or ``None`` when the cache must be bypassed
        (off, in a cooldown after a failure, or the epoch unknown)."""
        if self.store is None:
            return None
        epoch = self.epoch.value
        if epoch is None or time.monotonic() < self._down_until:
            stats = current_cache_stats.get()
            if stats is not None:
                stats.bypassed += 1
            return None
        return f"{epoch}:{key}"

    def _answered(self) -> None:
        if self._outage:
            self._outage = False
            log.info("cache reachable again")

    def _failed(self, action: str, error: BaseException) -> None:
        if not self._outage:  # log the outage once, not per request
            self._outage = True
            log.warning(
                "cache unavailable, serving from the database",
                extra={"action": action, "error": f"{type(error).__name__}: {error}"},
            )
        self._down_until = time.monotonic() + self._cooldown

    async def _recover(self) -> bool:
        """Deliver the purges that failed before trusting the store again."""
        if not self._unpurged:
            return True
        assert self.store is not None
        tags = set(self._unpurged)
        try:
            await self.store.purge(sorted(tags))
        except CACHE_ERRORS as error:
            self._failed("purge", error)
            return False
        self._unpurged -= tags
        log.info("delivered purges that had failed", extra={"tags": len(tags)})
        return True

    async def lookup(self, key: str, etag: bytes = b"") -> Found | None:
        """The entry under ``key`` (``Found.payload`` ``None`` on a miss), or ``None`` when
        the cache is bypassed. ``key`` is already under the epoch (:meth:`key`)."""
        found = await self.lookup_many([key], etag)
        return None if found is None else found[0]

    async def lookup_many(self, keys: Sequence[str], etag: bytes = b"") -> list[Found] | None:
        """Several entries in one round trip (an answer and what goes with it: the viewer's
        session and flags); the first is the request's outcome in the stats."""
        stats = current_cache_stats.get()
        if self.store is None or not await self._recover():
            if stats is not None:
                stats.bypassed += 1
            return None
        try:
            found = await self.store.lookup(keys, etag)
        except CACHE_ERRORS as error:
            self._failed("read", error)
            if stats is not None:
                stats.bypassed += 1
            return None
        self._answered()
        if stats is not None:
            stats.round_trips += self.store.shared
            if found[0].payload is None:
                stats.misses += 1
            else:
                stats.hits += 1
        return found

    async def fill(
        self, key: str, tags: Iterable[str], payload: bytes, mark: bytes, etag: bytes = b""
    ) -> bool:
        """Store ``payload`` under ``key`` unless a tag was purged since ``mark``."""
        assert self.store is not None
        try:
            return await self.store.fill(key, sorted(set(tags)), payload, mark, self.ttl, etag)
        except CACHE_ERRORS as error:
            self._failed("fill", error)
            return False

    async def fetch(self, key: str, tags: Iterable[str], load: Load) -> bytes | None:
        """A read-through value (sessions): from the store when current, else from
        ``load`` (once per key even under concurrent misses in this process), filling the
        store for the next reader. A ``None`` load is returned and not stored."""
        epoch_key = self.key(key)
        found = None if epoch_key is None else await self.lookup(epoch_key)
        if epoch_key is None or found is None:
            return await load()
        if found.payload is not None:
            return found.payload
        waiting = self._inflight.get(epoch_key)
        if waiting is not None:
            return await asyncio.shield(waiting)
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self._inflight[epoch_key] = future
        try:
            value = await load()
            future.set_result(value)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it, none must
            raise
        finally:
            del self._inflight[epoch_key]
        if value is not None:
            await self.fill(epoch_key, tags, value, found.mark)
        return value

    async def purge(self, tags: Iterable[str]) -> None:
        """Retire every entry carrying one of ``tags``. Never raises: a purge that cannot
        be delivered is reported (the epoch is bumped) and retried later."""
        tags = sorted(set(tags))
        if self.store is None or not tags:
            return
        try:
            await self.store.purge(tags)
        except CACHE_ERRORS as error:
            self._unpurged |= set(tags)
            self._failed("purge", error)
            if self.on_purge_failure is not None:
                await self.on_purge_failure()

    def forget_everything(self) -> None:
        """The epoch changed: an in-process store drops what it holds (its keys are
        unreachable already; this frees the memory)."""
        if isinstance(self.store, MemoryStore):
            self.store.clear()

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()


def describe(store: Any) -> str:
    return {RedisStore: "redis", MemoryStore: "memory"}.get(type(store), "off")
