"""The one way a Redis connection pool is built (cache, rate limits, commit positions)."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError


def blocking_pool(
    url: str, *, timeout_seconds: float, max_connections: int
) -> BlockingConnectionPool:
    """A pool that waits (up to ``timeout_seconds``) for a free connection once
    ``max_connections`` are busy: redis-py's plain pool raises instead, which under load
    turned every burst into errors. Every socket operation has the same short timeout, so
    a hung Redis costs a request that long, never more."""
    return BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=timeout_seconds,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
    )


async def answers_ping(url: str, *, timeout_seconds: float) -> bool:
    """Whether the Redis at ``url`` answers a PING within the timeout: once, at startup,
    for the summary line (``cache=redis (reachable)``); never an error."""
    client = Redis.from_url(
        url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
    )
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()
