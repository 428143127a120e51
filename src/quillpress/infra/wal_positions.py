"""The newest commit position, shared by every instance through Redis (see db.replicas).

One key holds the maximum as 16 fixed-width hex digits, so Redis compares positions as
strings exactly as they compare as 64-bit numbers (Lua numbers are doubles, exact only
to 2^53). Raising it is one Lua script: atomic, and never lowers it.

Failure is always safe for readers: an unanswered ``GET`` sends the read to the primary.
A position this process could not publish is kept and published first when Redis
answers again; a process that saw Redis fail distrusts what Redis holds (writes it missed
during the outage) and reseeds from the primary before using a replica again."""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from quillpress.db.positions import PositionsUnavailable
from quillpress.infra.redis_pool import blocking_pool

log = logging.getLogger("quillpress.replicas")

COOLDOWN_SECONDS = 1.0
"""After a failure, Redis is not asked again for this long (reads use the primary)."""

_ADVANCE = """
local current = redis.call('GET', KEYS[1])
if (not current) or current < ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1])
  return 1
end
return 0
"""


def _encode(position: int) -> str:
    return f"{position:016x}"


class RedisPositions:
    shared = True

    def __init__(self, client: Redis, *, key: str) -> None:
        self._redis = client
        self._key = key
        self._advance = client.register_script(_ADVANCE)
        self._pending: int | None = None
        self._down_until = 0.0
        self._distrust = False

    @classmethod
    def from_url(
        cls, url: str, *, prefix: str, timeout_seconds: float, max_connections: int
    ) -> RedisPositions:
        pool = blocking_pool(url, timeout_seconds=timeout_seconds, max_connections=max_connections)
        return cls(Redis(connection_pool=pool), key=f"{prefix}db:commit-lsn")

    async def required(self) -> int | None:
        self._check_cooldown()
        try:
            if self._pending is not None:
                await self._advance(keys=[self._key], args=[_encode(self._pending)])
                self._pending = None
            raw = await self._redis.get(self._key)
        except (RedisError, OSError, TimeoutError) as error:
            raise self._failed(error) from None
        if self._distrust:
            self._distrust = False
            log.info("commit positions back in Redis; reseeding from the primary")
            return None  # the router reseeds from the primary's current position
        return None if raw is None else int(raw, 16)

    async def advance(self, position: int) -> None:
        pending = max(position, self._pending or 0)
        self._check_cooldown(pending)
        try:
            await self._advance(keys=[self._key], args=[_encode(pending)])
        except (RedisError, OSError, TimeoutError) as error:
            self._pending = pending
            raise self._failed(error) from None
        self._pending = None

    def _check_cooldown(self, pending: int | None = None) -> None:
        if self._down_until > time.monotonic():
            if pending is not None:
                self._pending = pending
            raise PositionsUnavailable("Redis is cooling down after a failure")

    def _failed(self, error: BaseException) -> PositionsUnavailable:
        if not self._distrust:
            log.warning("Redis unreachable for commit positions; reads use the primary: %s", error)
        self._distrust = True
        self._down_until = time.monotonic() + COOLDOWN_SECONDS
        return PositionsUnavailable(str(error) or type(error).__name__)

    async def close(self) -> None:
        await self._redis.aclose()
