"""The cache epoch: a random token kept in the database, part of every cache key.

Why: a purge can be lost (the writer could not reach Redis, Redis refused writes, the
writer was a CLI command with no cache of its own, Redis lost or rolled back its data).
Whatever was lost, a bump of the epoch makes every older entry unreachable at once, on
every instance, because each instance reads the epoch from the primary every
``QUILLPRESS_CACHE_EPOCH_INTERVAL_MS`` (one tiny statement per instance per interval, never
per request) and keys every entry with it. So after a write is acknowledged, no instance
serves older data for longer than one interval plus one read.

Rules this module keeps:

* The value is compared for inequality, never ordered: a restored database may move it
  back, and that is a change too. Tokens are random, so none repeats.
* :attr:`CacheEpoch.value` is ``None`` while the epoch is unknown: never read yet, or not
  read successfully for twice the interval. Then the cache must be bypassed and sessions
  checked in the database (fail closed).
* :meth:`CacheEpoch.bump` never raises into a request: a write that fails is retried in
  the background (bounded backoff) until the database takes it; this instance uses the
  new token at once meanwhile.
* With Redis, each poll also compares Redis's ``run_id`` with a sentinel key written under
  it: a missing sentinel (flushed) or another run id (restarted, maybe from an older
  snapshot) bumps the epoch, since entries or purge marks may have come back or gone.

Size: the epoch's reader loop, its bump and the rules above are one mechanism; split, each
half would need the other's invariants restated."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from quillpress.config import CacheMode, Settings
from quillpress.db import cache_epoch
from quillpress.db.database import UNTRACED, Database, first_line
from quillpress.domain.errors import DomainError
from quillpress.infra.metrics import Metrics
from quillpress.infra.redis_pool import blocking_pool

log = logging.getLogger("quillpress.cache")

OnChange = Callable[[str | None], None]
"""Told the newly observed value (``None``: unknown, bypass the cache)."""

RETRY_FIRST_SECONDS = 0.05
RETRY_MAX_SECONDS = 2.0
"""A bump the database refused is retried after 50 ms, doubling up to every 2 s."""
MIN_READ_TIMEOUT_SECONDS = 1.0
REDIS_CONNECTIONS = 2
SENTINEL_KEY = "epoch:sentinel"


class CacheEpoch:
    def __init__(
        self,
        database: Database,
        *,
        interval_seconds: float = 1.0,
        metrics: Metrics | None = None,
        redis: Redis | None = None,
        prefix: str = "qp:",
        owns_redis: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval_seconds
        self._database = database
        self._metrics = metrics
        self._redis = redis
        self._owns_redis = owns_redis
        self.sentinel_key = f"{prefix}{SENTINEL_KEY}"
        self._clock = clock
        self._token: str | None = None
        self._read_at: float | None = None  # the last successful read (or write), monotonic
        self._generation = 0  # moved by each bump: a read begun before it is discarded
        self._pending: str | None = None  # a bumped token the database has not taken yet
        self._observed: str | None = None  # the value the callbacks were last told
        self._callbacks: list[OnChange] = []
        self._task: asyncio.Task[None] | None = None
        self._retry_task: asyncio.Task[None] | None = None
        self._failing = False
        self._stopping = asyncio.Event()
        self._unsaved_reset: str | None = None  # a run id bumped for, its sentinel unsaved

    @classmethod
    def from_settings(
        cls, settings: Settings, database: Database, metrics: Metrics | None = None
    ) -> CacheEpoch:
        """The epoch ``settings`` describe; with the Redis cache, watching that Redis for
        lost data through a small pool of its own."""
        redis = None
        if settings.cache_mode is CacheMode.REDIS and settings.redis_url:
            pool = blocking_pool(
                settings.redis_url,
                timeout_seconds=settings.redis_timeout_ms / 1000,
                max_connections=REDIS_CONNECTIONS,
            )
            redis = Redis(connection_pool=pool)
        return cls(
            database,
            interval_seconds=settings.cache_epoch_interval_ms / 1000,
            metrics=metrics,
            redis=redis,
            prefix=settings.redis_prefix,
            owns_redis=True,
        )

    # --- what the cache reads ------------------------------------------------------------

    @property
    def value(self) -> str | None:
        """The current token, or ``None`` while unknown (bypass the cache; check sessions
        in the database)."""
        if self._token is None or self._read_at is None:
            return None
        if self._clock() - self._read_at > 2 * self.interval:
            return None
        return self._token

    def on_change(self, callback: OnChange) -> None:
        """Call ``callback(value)`` whenever the observed value changes (including to and
        from ``None``). Callbacks run on the event loop and must not block."""
        self._callbacks.append(callback)

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Read once (a failure leaves the value ``None``), then poll in the background."""
        if self._task is not None:
            return
        await self.refresh()
        self._task = asyncio.create_task(self._poll(), name="quillpress-cache-epoch")

    async def stop(self) -> None:
        """Stop polling (and retrying): a read in flight is let finish, up to its timeout,
        rather than cancelled inside the driver."""
        self._stopping.set()
        for task in (self._task, self._retry_task):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(task, timeout=self._read_timeout + 1)
        self._task = self._retry_task = None
        if self._redis is not None and self._owns_redis:
            with contextlib.suppress(RedisError, OSError):
                await self._redis.aclose(close_connection_pool=True)

    @property
    def _read_timeout(self) -> float:
        return max(2 * self.interval, MIN_READ_TIMEOUT_SECONDS)

    async def _pause(self, seconds: float) -> bool:
        """Sleep ``seconds``; ``False`` when stopped meanwhile."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False

    async def _poll(self) -> None:
        while await self._pause(self.interval):
            try:
                await self.refresh()
            except Exception:  # never let the poller die: a dead one would serve stale
                log.exception("cache epoch poll failed")

    async def refresh(self) -> None:
        """One poll: check Redis for lost data, read the epoch from the primary, tell the
        callbacks if the value changed.

        Redis first: an instance that noticed lost data before this one put the sentinel
        back only after its bump was written, so the read that follows sees that bump. Read
        first, a bump landing between the two checks would be missed for an interval."""
        await self._check_redis()
        generation = self._generation
        try:
            async with asyncio.timeout(self._read_timeout):
                async with self._database.primary(quiet=True) as conn:
                    await conn.execution_options(**{UNTRACED: True})  # no trace per poll
                    token = await cache_epoch.read_token(conn)
        except Exception as error:
            if not self._failing:
                self._failing = True
                log.warning(
                    "cache epoch unreadable (%s): the cache is bypassed while it stays so",
                    _describe(error),
                )
        else:
            if self._failing:
                self._failing = False
                log.info("cache epoch readable again")
            if generation == self._generation:  # no bump since the read began
                self._read_at = self._clock()
                if self._pending is None:
                    self._token = token
        self._notify()

    # --- bumps ---------------------------------------------------------------------------

    async def bump(self, reason: str) -> None:
        """Retire every cached entry: a new token, used by this instance at once, written
        to the primary (retried in the background until it is). Never raises."""
        token = cache_epoch.new_token()
        self._announce(token, reason)
        try:
            await self._write(token)
        except Exception as error:
            if self._retry_task is None or self._retry_task.done():  # one warning per outage
                log.warning(
                    "cache epoch bump (%s) not written (%s); retrying until the database takes it",
                    reason,
                    _describe(error),
                )
                self._retry_task = asyncio.create_task(
                    self._retry(), name="quillpress-cache-epoch-retry"
                )

    async def flush(self, reason: str = "operator") -> str:
        """Bump and wait for the database to take it (``quillpress cache flush``): the new
        token, or the database's error (``Unavailable``…), for a command to report."""
        token = cache_epoch.new_token()
        await self._write(token)
        self._announce(token, reason)
        self._pending = None
        return token

    def _announce(self, token: str, reason: str) -> None:
        self._generation += 1
        self._token = self._pending = token
        if self._metrics is not None:
            self._metrics.cache_epoch_bumped(reason)
        log.info("cache epoch bumped (%s)", reason)
        self._notify()

    async def _write(self, token: str) -> None:
        await self._database.bump_epoch(token=token)
        self._generation += 1  # a read that began before this commit may hold the old one
        self._read_at = self._clock()
        if self._pending == token:
            self._pending = None
        self._notify()  # known now, if it was not before

    async def _retry(self) -> None:
        delay = RETRY_FIRST_SECONDS
        while (token := self._pending) is not None and await self._pause(delay):
            try:
                await self._write(token)
            except Exception:
                delay = min(delay * 2, RETRY_MAX_SECONDS)
                continue
            log.info("cache epoch bump written after retrying")

    # --- Redis data loss -----------------------------------------------------------------

    async def _check_redis(self) -> None:
        """Bump when Redis lost or rolled back its data: the sentinel is missing (flushed)
        or names another server run (restarted, maybe from an older snapshot). An
        unreachable Redis is skipped silently: the cache handles the outage itself."""
        if self._redis is None:
            return
        try:
            run_id, stored = await self._sentinel()
        except (RedisError, OSError, KeyError, TimeoutError):
            return
        seen = stored.decode() if isinstance(stored, bytes) else stored
        if seen == run_id:
            self._unsaved_reset = None
            return
        if self._unsaved_reset != run_id:  # not already bumped for this run, unsaved
            await self.bump("redis_reset")
        try:
            await self._redis.set(self.sentinel_key, run_id)
        except (RedisError, OSError, TimeoutError):
            # Redis refuses writes: do not bump again each poll for the same run.
            self._unsaved_reset = run_id
            return
        self._unsaved_reset = None

    async def _sentinel(self) -> tuple[str, object]:
        """Redis's run id and the sentinel stored under it. A restart closes the pooled
        connection and the first command on it fails: asked once more, on a new
        connection, rather than skipping this poll (what a restored snapshot brought back
        would be served for another interval)."""
        assert self._redis is not None
        try:
            info = await self._redis.info("server")
        except RedisConnectionError:
            info = await self._redis.info("server")
        return str(info["run_id"]), await self._redis.get(self.sentinel_key)

    # --- callbacks -----------------------------------------------------------------------

    def _notify(self) -> None:
        value = self.value
        if value == self._observed:
            return
        self._observed = value
        for callback in list(self._callbacks):
            try:
                callback(value)
            except Exception:
                log.exception("cache epoch listener failed")


def _describe(error: BaseException) -> str:
    return error.describe() if isinstance(error, DomainError) else first_line(error)
