"""Rate limiting: named rules over the ``limits`` library, in Redis or in memory.

Storage: Redis when ``QUILLPRESS_REDIS_URL`` is set (every instance shares one count,
keys under ``<QUILLPRESS_REDIS_PREFIX>limits:``), memory otherwise. A Redis that fails
mid-run never fails a request: the limiter switches to an in-process memory storage
(one WARNING line per outage, not per request), probes Redis at most every
``PROBE_SECONDS`` and switches back (one INFO line) once it answers. Counts made in
memory during an outage stay in that process: an outage loosens sharing, never blocks.
The pool's idle connections are dropped when an outage starts and again before each
probe: a connection pooled before a Redis restart is dead, and the first command to
draw one after the probe succeeded would report a second outage and count in memory
for another ``PROBE_SECONDS``. So the request after a successful probe counts in Redis.

Strategies, per rule:

- **Moving window** for the counting rules (failed logins, registrations, writes): exact,
  so "the 11th failed login within 5 minutes is refused" holds at every instant, also
  across the window boundaries a fixed or sliding-counter window would blur. It stores
  one timestamp per counted hit, bounded by the rule's amount (≤ a few hundred).
- **Sliding window counter** for the cost-weighted rule (GraphQL query cost, 200,000 a
  minute): a moving window would store one entry per unit of cost; the counter keeps two
  integers per key and approximates the window by weighting the previous one.

Every key starts with the rule's name: the library's key is only the identifiers and the
rate, so two rules with the same rate over the same identifier (failed logins and
registrations per IP, both ``50/hour``) would otherwise share one count.

What the rules *mean* (which keys, when a failure counts) lives in ``services.limits``."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from limits import RateLimitItem
from limits import parse as parse_limit
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import (
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.errors import StorageError
from redis.asyncio import BlockingConnectionPool
from redis.exceptions import RedisError

from quillpress.config import Settings
from quillpress.db.database import first_line
from quillpress.domain.errors import RateLimited
from quillpress.infra.redis_pool import blocking_pool

log = logging.getLogger("quillpress.limits")

T = TypeVar("T")

STORAGE_ERRORS = (StorageError, RedisError, OSError, TimeoutError)

# rule name → (setting, cost-weighted)
RULE_SETTINGS: dict[str, tuple[str, bool]] = {
    "login_account_ip": ("rate_limit_login_account_ip", False),
    "login_account": ("rate_limit_login_account", False),
    "login_ip": ("rate_limit_login_ip", False),
    "register_ip": ("rate_limit_register_ip", False),
    "writes_user": ("rate_limit_writes_user", False),
    "graphql_cost": ("rate_limit_graphql_cost", True),
    "search": ("rate_limit_search", False),
}


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    item: RateLimitItem
    weighted: bool

    @property
    def limit(self) -> int:
        return int(self.item.amount)


@dataclass(frozen=True, slots=True)
class Window:
    """A key's state under a rule after (or without) a hit."""

    rule: Rule
    remaining: int
    reset_at: float  # epoch seconds: when the oldest counted hit leaves the window

    def refusal(self) -> RateLimited:
        now = time.time()
        wait = max(self.reset_at - now, 1.0)
        return RateLimited(
            rule=self.rule.name,
            limit=self.rule.limit,
            remaining=self.remaining,
            # The moving window frees one hit at reset_at and the whole quota after a
            # full window at most; say the conservative one for the whole quota.
            reset_seconds=wait if self.rule.weighted else self.rule.item.get_expiry(),
            retry_after=wait,
        )


class _Strategies:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.moving = MovingWindowRateLimiter(storage)
        self.sliding = SlidingWindowCounterRateLimiter(storage)

    def of(self, rule: Rule) -> RateLimiter:
        return self.sliding if rule.weighted else self.moving


class Limiter:
    """Named rules with a Redis storage (optional) and the memory fallback.

    ``Limiter.disabled()`` (``QUILLPRESS_RATE_LIMITS=off``) knows no rules: every call
    passes without touching any storage."""

    PROBE_SECONDS = 3.0

    def __init__(
        self,
        rules: Mapping[str, Rule],
        *,
        redis: RedisStorage | None = None,
        pool: BlockingConnectionPool | None = None,
    ) -> None:
        self.rules = dict(rules)
        self._redis = _Strategies(redis) if redis is not None else None
        self._pool = pool
        self._memory = _Strategies(MemoryStorage())
        self._degraded = False
        self._next_probe = 0.0
        self._probing: asyncio.Lock | None = None

    @classmethod
    def disabled(cls) -> Limiter:
        return cls({})

    @classmethod
    def from_settings(cls, settings: Settings) -> Limiter:
        if not settings.rate_limits:
            return cls.disabled()
        rules = {
            name: Rule(name, parse_limit(getattr(settings, field)), weighted)
            for name, (field, weighted) in RULE_SETTINGS.items()
        }
        if not settings.redis_url:
            return cls(rules)
        timeout = settings.redis_timeout_ms / 1000
        pool = blocking_pool(
            settings.redis_url,
            timeout_seconds=timeout,
            max_connections=settings.redis_max_connections,
        )
        storage = RedisStorage(
            _storage_uri(settings.redis_url),
            implementation="redispy",  # redis-py, already pinned for the cache
            key_prefix=f"{settings.redis_prefix}limits",
            wrap_exceptions=True,
            connection_pool=pool,  # type: ignore[arg-type]  # passed on to redis.asyncio.Redis
        )
        return cls(rules, redis=storage, pool=pool)

    @property
    def enabled(self) -> bool:
        return bool(self.rules)

    @property
    def shared(self) -> bool:
        """Whether counts are shared with other instances right now (Redis answering)."""
        return self._redis is not None and not self._degraded

    async def hit(
        self, rule_name: str, *key: str, cost: int = 1, report: bool = False
    ) -> Window | None:
        """Count ``cost`` against ``key``; ``RateLimited`` if that would exceed the rule.
        With ``report``, the window after the hit (one more storage round trip), else
        ``None``; always ``None`` when the rule is off."""
        rule = self.rules.get(rule_name)
        if rule is None:
            return None

        named = (rule.name, *key)

        async def run(strategies: _Strategies) -> Window | None:
            strategy = strategies.of(rule)
            if not await strategy.hit(rule.item, *named, cost=cost):
                raise (await _window(strategy, rule, named)).refusal()
            return await _window(strategy, rule, named) if report else None

        return await self._run(run)

    async def check(self, rule_name: str, *key: str) -> None:
        """``RateLimited`` if ``key`` has nothing left under the rule; counts nothing."""
        rule = self.rules.get(rule_name)
        if rule is None:
            return

        named = (rule.name, *key)

        async def run(strategies: _Strategies) -> None:
            strategy = strategies.of(rule)
            if not await strategy.test(rule.item, *named):
                raise (await _window(strategy, rule, named)).refusal()

        await self._run(run)

    async def _run(self, operation: Callable[[_Strategies], Awaitable[T]]) -> T:
        strategies = await self._current()
        try:
            return await operation(strategies)
        except STORAGE_ERRORS as error:
            if strategies is self._memory:
                raise
            self._fall_back(error)
            await self._drop_idle_connections()
            return await operation(self._memory)

    async def _current(self) -> _Strategies:
        if self._redis is None:
            return self._memory
        if not self._degraded:
            return self._redis
        if time.monotonic() < self._next_probe:
            return self._memory
        self._probing = self._probing or asyncio.Lock()
        if self._probing.locked():  # another request is probing: do not pile up
            return self._memory
        async with self._probing:
            self._next_probe = time.monotonic() + self.PROBE_SECONDS
            await self._drop_idle_connections()  # the probe and what follows connect afresh
            if await self._redis.storage.check():
                self._degraded = False
                log.info("rate limits: Redis answers again; counting there")
                return self._redis
        return self._memory

    def _fall_back(self, error: BaseException) -> None:
        if not self._degraded:
            self._degraded = True
            log.warning(
                "rate limits: Redis unavailable (%s); counting in memory until it answers",
                first_line(error),
            )
        self._next_probe = time.monotonic() + self.PROBE_SECONDS

    async def _drop_idle_connections(self) -> None:
        """Close the pool's idle connections (in-use ones are closed by the command that
        fails on them); the next command opens a fresh one. Retrying a failed command on a
        new connection would not do instead: a hit whose answer was lost may have counted."""
        if self._pool is None:
            return
        try:
            await self._pool.disconnect(inuse_connections=False)
        except STORAGE_ERRORS as error:  # closing a dead socket: nothing left to do
            log.debug("rate limits: closing idle Redis connections: %s", first_line(error))

    async def close(self) -> None:
        timer = getattr(self._memory.storage, "timer", None)
        if isinstance(timer, asyncio.Task) and not timer.done():
            timer.cancel()
        if self._pool is not None:
            await self._pool.aclose()


async def _window(strategy: RateLimiter, rule: Rule, key: tuple[str, ...]) -> Window:
    stats = await strategy.get_window_stats(rule.item, *key)
    reset_at = stats.reset_time
    if not math.isfinite(reset_at):
        reset_at = time.time() + rule.item.get_expiry()
    return Window(rule=rule, remaining=max(0, int(stats.remaining)), reset_at=reset_at)


def _storage_uri(redis_url: str) -> str:
    """``redis://…`` → ``async+redis://…`` (also ``rediss``, ``unix``), the scheme that
    names the async storage; the connection itself comes from our own pool."""
    if redis_url.startswith("unix://"):
        return "async+redis+unix://" + redis_url.removeprefix("unix://")
    return "async+" + redis_url
