"""A cache that is never stale: stores (Redis, in-process, off) and the read-through facade.

Keys are ``"<namespace>:<id>"``: the namespace is everything before the last colon, and
the id part never holds one (e.g. ``article:42``, or ``list:tag:python:20/0`` for a page
of the ``list:tag:python`` scope). Three mechanisms keep entries exact:

- **Purge markers.** Purging a key overwrites it with a unique marker (for a minute)
  instead of deleting it, and a fill writes only if the key still holds what the read
  saw (compare-and-set). A fill that read the old row before a write committed, and
  arrives after that write's purge, is therefore dropped instead of caching old data.
- **Namespace generations.** Every stored value carries its namespace's generation;
  bumping the generation retires every entry of the namespace at once (a whole list
  scope, or everything after a purge was lost while Redis was unreachable).
- **TTL** on every entry, as a backstop.

Redis failing or slow never fails a request: operations time out quickly, the cache is
bypassed for a short cooldown (logged once per outage), and namespaces whose purge could
not be delivered are bumped before the cache is trusted again.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from quillpress.infra.redis_pool import blocking_pool

log = logging.getLogger("quillpress.cache")

MARKER = b"\x00purged:"
PURGE_MARKER_SECONDS = 60  # longer than any fill takes, so a late fill cannot slip in
SEPARATOR = b"|"


def namespace_of(key: str) -> str:
    return key.rpartition(":")[0]


@dataclass(frozen=True, slots=True)
class Slot:
    """What a read saw for one key: the payload if it is valid, and what a fill must
    find unchanged (the raw stored value and the namespace generation)."""

    payload: bytes | None
    raw: bytes | None
    generation: bytes


def _parse(raw: bytes | None, generation: bytes) -> Slot:
    if raw is None or raw.startswith(MARKER):
        return Slot(None, raw, generation)
    stored_generation, _, payload = raw.partition(SEPARATOR)
    return Slot(payload if stored_generation == generation else None, raw, generation)


class CacheStore(Protocol):
    shared: bool
    """Whether other processes see this store (and so receive this process's purges)."""

    async def read(self, keys: Sequence[str]) -> list[Slot]: ...

    async def fill(self, items: Sequence[tuple[str, Slot, bytes]], ttl: int) -> None: ...

    async def purge(self, keys: Iterable[str]) -> None: ...

    async def bump(self, namespaces: Iterable[str]) -> None: ...

    async def close(self) -> None: ...


# Compare-and-set: write only if neither the key nor its namespace generation changed
# since the read. KEYS: key, generation key. ARGV: raw seen ('' = nil), generation seen
# ('0' = nil), value, ttl.
_FILL = """
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
local generation = redis.call('GET', KEYS[2]) or '0'
if generation ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
return 1
"""


class RedisStore:
    shared = True

    def __init__(self, client: Redis, *, prefix: str, generation_ttl: int) -> None:
        self._redis = client
        self._prefix = prefix
        self._generation_ttl = generation_ttl
        self._fill = client.register_script(_FILL)

    @classmethod
    def from_url(
        cls, url: str, *, prefix: str, timeout_seconds: float, max_connections: int, ttl: int
    ) -> RedisStore:
        pool = blocking_pool(url, timeout_seconds=timeout_seconds, max_connections=max_connections)
        return cls(Redis(connection_pool=pool), prefix=prefix, generation_ttl=ttl * 4)

    def _key(self, key: str) -> str:
        return f"{self._prefix}{key}"

    def _generation_key(self, namespace: str) -> str:
        return f"{self._prefix}gen:{namespace}"

    async def read(self, keys: Sequence[str]) -> list[Slot]:
        namespaces = list(dict.fromkeys(namespace_of(key) for key in keys))
        # bytes, never str: the client is built without decode_responses.
        values = cast(
            list[bytes | None],
            await self._redis.mget(
                [self._generation_key(ns) for ns in namespaces] + [self._key(k) for k in keys]
            ),
        )
        generations = {ns: values[i] or b"0" for i, ns in enumerate(namespaces)}
        raws = values[len(namespaces) :]
        return [
            _parse(raw, generations[namespace_of(key)]) for key, raw in zip(keys, raws, strict=True)
        ]

    async def fill(self, items: Sequence[tuple[str, Slot, bytes]], ttl: int) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, slot, payload in items:
                await self._fill(
                    keys=[self._key(key), self._generation_key(namespace_of(key))],
                    args=[
                        slot.raw or b"",
                        slot.generation,
                        slot.generation + SEPARATOR + payload,
                        ttl,
                    ],
                    client=pipe,
                )
            await pipe.execute()

    async def purge(self, keys: Iterable[str]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(self._key(key), MARKER + uuid.uuid4().bytes, ex=PURGE_MARKER_SECONDS)
            await pipe.execute()

    async def bump(self, namespaces: Iterable[str]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for namespace in namespaces:
                pipe.incr(self._generation_key(namespace))
                pipe.expire(self._generation_key(namespace), self._generation_ttl)
            await pipe.execute()

    async def ping(self) -> bool:
        """Whether Redis answers now (startup reports an unreachable one; never raises)."""
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError, TimeoutError):
            return False

    async def delete_everything(self) -> None:
        """Remove every key under this store's prefix (tests and ``cache clear``)."""
        async for batch in self._redis.scan_iter(match=f"{self._prefix}*", count=500):
            await self._redis.delete(batch)

    async def close(self) -> None:
        await self._redis.aclose()


class MemoryStore:
    """In-process store for the single-instance embedded default. Bounded (least recently
    used entries go first); the same marker and generation rules as Redis."""

    shared = False

    def __init__(self, *, max_entries: int = 50_000) -> None:
        self._entries: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._generations: dict[str, int] = {}
        self._max = max_entries

    def _get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[1] < time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def _set(self, key: str, raw: bytes, ttl: float) -> None:
        self._entries[key] = (raw, time.monotonic() + ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def _generation(self, namespace: str) -> bytes:
        return str(self._generations.get(namespace, 0)).encode()

    async def read(self, keys: Sequence[str]) -> list[Slot]:
        return [_parse(self._get(key), self._generation(namespace_of(key))) for key in keys]

    async def fill(self, items: Sequence[tuple[str, Slot, bytes]], ttl: int) -> None:
        for key, slot, payload in items:
            namespace = namespace_of(key)
            if self._get(key) == slot.raw and self._generation(namespace) == slot.generation:
                self._set(key, slot.generation + SEPARATOR + payload, ttl)

    async def purge(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._set(key, MARKER + uuid.uuid4().bytes, PURGE_MARKER_SECONDS)

    async def bump(self, namespaces: Iterable[str]) -> None:
        for namespace in namespaces:
            self._generations[namespace] = self._generations.get(namespace, 0) + 1

    async def close(self) -> None:
        self._entries.clear()


@dataclass(slots=True)
class CacheStats:
    """One request's cache outcomes (for ``Server-Timing``, the log line and metrics)."""

    hits: int = 0
    misses: int = 0
    bypassed: int = 0

    @property
    def outcome(self) -> str:
        if self.misses:
            return "miss"
        if self.hits:
            return "hit"
        return "bypass" if self.bypassed else "none"


current_cache_stats: ContextVar[CacheStats | None] = ContextVar(
    "quillpress_cache_stats", default=None
)

Load = Callable[[list[str]], Awaitable[dict[str, bytes | None]]]
"""Loads missing keys from the database: payload per key, ``None`` for "does not exist"."""

ABSENT = b"\x00absent"

SlotIdent = tuple[str, bytes | None, bytes]
"""A key and the slot a reader saw (raw value, generation): what a load is shared by."""


class Cache:
    """Read-through cache over a store, or a pass-through when ``store`` is ``None``."""

    def __init__(
        self,
        store: CacheStore | None,
        *,
        ttl_seconds: int = 300,
        cooldown_seconds: float = 1.0,
        linger_seconds: float = 0.2,
    ) -> None:
        self.store = store
        self._ttl = ttl_seconds
        self._cooldown = cooldown_seconds
        self._down_until = 0.0
        self._outage = False  # logged once when it starts, once when it ends
        self._dirty: set[str] = set()
        self._inflight: dict[SlotIdent, asyncio.Future[bytes | None]] = {}
        self._linger = linger_seconds

    @property
    def enabled(self) -> bool:
        return self.store is not None

    @property
    def caches_absence(self) -> bool:
        """Negative lookups ("no such username") are cached only where every writer's
        purge reaches the store: a CLI process cannot purge a server's memory."""
        return self.store is not None and self.store.shared

    def _available(self) -> bool:
        return self.store is not None and time.monotonic() >= self._down_until

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
        """Bump the namespaces whose purges were lost before trusting the store again."""
        if not self._dirty:
            return True
        assert self.store is not None
        dirty = set(self._dirty)
        try:
            await self.store.bump(dirty)
        except (RedisError, OSError, TimeoutError) as error:
            self._failed("bump", error)
            return False
        self._dirty -= dirty
        log.info("retired namespaces whose purges were lost", extra={"namespaces": sorted(dirty)})
        return True

    async def fetch(self, keys: Sequence[str], load: Load) -> dict[str, bytes | None]:
        """Every key's payload, from the store where valid, else from ``load`` (once per
        key even under concurrent misses), filling the store for the next reader."""
        stats = current_cache_stats.get()
        unique = list(dict.fromkeys(keys))
        if not unique:
            return {}
        if not self._available() or not await self._recover():
            if stats is not None:
                stats.bypassed += len(unique)
            return await load(unique)
        assert self.store is not None
        try:
            slots = await self.store.read(unique)
        except (RedisError, OSError, TimeoutError) as error:
            self._failed("read", error)
            if stats is not None:
                stats.bypassed += len(unique)
            return await load(unique)
        self._answered()
        found: dict[str, bytes | None] = {}
        missing: list[tuple[str, Slot]] = []
        for key, slot in zip(unique, slots, strict=True):
            if slot.payload is not None:
                found[key] = None if slot.payload == ABSENT else slot.payload
            else:
                missing.append((key, slot))
        if stats is not None:
            stats.hits += len(found)
            stats.misses += len(missing)
        if missing:
            found.update(await self._load_missing(missing, load))
        return found

    async def _load_missing(
        self, missing: list[tuple[str, Slot]], load: Load
    ) -> dict[str, bytes | None]:
        # Single flight per key *and the slot its reader saw*: a reader that saw the same
        # slot may share a load, while one that read after a purge (any instance's: the
        # purge changed the slot) never joins a load that began before it.
        ident = {key: (key, slot.raw, slot.generation) for key, slot in missing}
        waiting = {
            key: self._inflight[ident[key]] for key, _ in missing if ident[key] in self._inflight
        }
        mine = [(key, slot) for key, slot in missing if key not in waiting]
        loaded: dict[str, bytes | None] = {}
        if mine:
            loop = asyncio.get_running_loop()
            futures = {ident[key]: loop.create_future() for key, _ in mine}
            self._inflight.update(futures)
            try:
                loaded = await load([key for key, _ in mine])
                for (key, _, _), future in futures.items():
                    future.set_result(loaded.get(key))
            except BaseException as error:
                for slot_ident, future in futures.items():
                    self._forget(slot_ident, future)
                    if not future.done():
                        future.set_exception(error)
                        future.exception()  # retrieved: waiters re-raise it, none must
                raise
            filled = await self._fill(mine, loaded)
            # A reader whose store read raced the fill saw the same slot: it shares this
            # result for a moment instead of loading again. Only filled keys linger, so
            # an uncached absence is never served to a later reader.
            for slot_ident, future in futures.items():
                if slot_ident[0] in filled:
                    loop.call_later(self._linger, self._forget, slot_ident, future)
                else:
                    self._forget(slot_ident, future)
        for key, future in waiting.items():
            loaded[key] = await future
        return loaded

    def _forget(self, slot_ident: SlotIdent, future: asyncio.Future[bytes | None]) -> None:
        if self._inflight.get(slot_ident) is future:
            del self._inflight[slot_ident]

    async def _fill(
        self, mine: list[tuple[str, Slot]], loaded: dict[str, bytes | None]
    ) -> set[str]:
        """Store what was loaded; returns the keys it tried to store."""
        assert self.store is not None
        items = []
        for key, slot in mine:
            payload = loaded.get(key)
            if payload is None and not self.caches_absence:
                continue
            items.append((key, slot, ABSENT if payload is None else payload))
        if not items:
            return set()
        try:
            await self.store.fill(items, self._ttl)
        except (RedisError, OSError, TimeoutError) as error:
            self._failed("fill", error)
        return {key for key, _, _ in items}

    async def purge(self, keys: Iterable[str] = (), namespaces: Iterable[str] = ()) -> None:
        """Retire ``keys`` and every entry of ``namespaces``. Never raises: a purge that
        cannot be delivered marks the namespaces for a generation bump on recovery."""
        keys, namespaces = list(keys), list(namespaces)
        if self.store is None or not (keys or namespaces):
            return
        try:
            if keys:
                await self.store.purge(keys)
            if namespaces:
                await self.store.bump(namespaces)
        except (RedisError, OSError, TimeoutError) as error:
            self._dirty |= {namespace_of(key) for key in keys} | set(namespaces)
            self._failed("purge", error)

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()


def describe(store: Any) -> str:
    return {RedisStore: "redis", MemoryStore: "memory"}.get(type(store), "off")
