"""Rate limits in Redis: two instances share one count, and a Redis that goes away mid-run
is replaced by memory (one warning, never a 5xx) until it answers again; from then on
the very next request counts in Redis (no stale pooled connection reports a second
outage)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from redis.asyncio import Redis

from quillpress.infra.limits import Limiter
from tests.conftest import make_settings
from tests.epoch_support import OwnRedis, own_redis
from tests.helpers import register
from tests.limiting import assert_rate_limited, client_at, limiter_log, login, running
from tests.tcp_proxy import TcpProxy, through

UNAVAILABLE = "rate limits: Redis unavailable"


def counted_in(server: OwnRedis, prefix: str) -> list[int]:
    """How many hits each moving-window key under ``prefix`` holds."""
    with server.client() as redis:
        return sorted(redis.llen(key) for key in redis.keys(f"{prefix}limits:*"))


async def test_two_instances_over_one_redis_share_the_failure_count(
    database_url: str, redis_server: str, redis_prefix: str
) -> None:
    settings = make_settings(database_url, redis_url=redis_server, redis_prefix=redis_prefix)
    async with (
        running(settings) as first,
        running(settings, empty_after=False) as second,
        client_at(first, "198.51.100.1") as a,
        client_at(second, "198.51.100.1") as b,
    ):
        await register(a, "ann")
        for _ in range(5):
            assert (await login(a, "ann", "wrong")).status_code == 401
            assert (await login(b, "ann", "wrong")).status_code == 401
        assert_rate_limited(await login(a, "ann"), limit=10)
        assert_rate_limited(await login(b, "ann"), limit=10)
    async with Redis.from_url(redis_server) as client:
        keys = [key async for key in client.scan_iter(match=f"{redis_prefix}limits:*")]
    assert keys  # counted under this deployment's prefix, nowhere else


async def test_instances_with_different_prefixes_count_apart(
    database_url: str, redis_server: str, redis_prefix: str
) -> None:
    first_settings = make_settings(database_url, redis_url=redis_server, redis_prefix=redis_prefix)
    other = make_settings(database_url, redis_url=redis_server, redis_prefix=redis_prefix + "b:")
    async with (
        running(first_settings) as first,
        running(other, empty_after=False) as second,
        client_at(first, "198.51.100.2") as a,
        client_at(second, "198.51.100.2") as b,
    ):
        await register(a, "ann")
        for _ in range(10):
            await login(a, "ann", "wrong")
        assert (await login(a, "ann")).status_code == 429
        assert (await login(b, "ann")).status_code == 200


async def test_redis_down_at_startup_limits_in_memory_with_one_warning(
    database_url: str, redis_prefix: str
) -> None:
    settings = make_settings(
        database_url, redis_url="redis://127.0.0.1:1/0", redis_prefix=redis_prefix
    )
    with limiter_log() as log:
        async with running(settings) as app, client_at(app, "198.51.100.3") as http:
            await register(http, "ann")
            for _ in range(10):
                assert (await login(http, "ann", "wrong")).status_code == 401
            assert_rate_limited(await login(http, "ann"), limit=10)
    warnings = [m for m in log.messages(logging.WARNING) if m.startswith(UNAVAILABLE)]
    assert len(warnings) == 1, log.messages()


async def test_redis_lost_mid_run_falls_back_to_memory_and_comes_back(
    database_url: str,
    redis_server: str,
    redis_prefix: str,
    redis_proxy: TcpProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Limiter, "PROBE_SECONDS", 0.5)
    cut = make_settings(
        database_url,
        redis_url=through(redis_server, redis_proxy),
        redis_prefix=redis_prefix,
        redis_timeout_ms=500,  # a loaded machine's slow answer is not an outage
    )
    direct = make_settings(database_url, redis_url=redis_server, redis_prefix=redis_prefix)
    with limiter_log() as log:
        async with running(cut) as app, running(direct, empty_after=False) as witness:
            async with client_at(app, "198.51.100.4") as http:
                await register(http, "ann")
                bob = await register(http, "bob")
                assert (await login(http, "ann", "wrong")).status_code == 401  # in Redis

                await redis_proxy.stop()
                statuses = []
                for _ in range(9):  # counted in memory now: the rule still holds
                    statuses.append((await login(http, "ann", "wrong")).status_code)
                    statuses.append((await http.get("/api/user", headers=bob)).status_code)
                    follow = await http.post("/api/profiles/ann/follow", headers=bob)
                    statuses.append(follow.status_code)
                assert set(statuses) <= {200, 401}, statuses  # never a 5xx
                assert (await login(http, "ann", "wrong")).status_code == 401
                assert (await login(http, "ann")).status_code == 429  # 10 failures in memory
                warnings = [m for m in log.messages(logging.WARNING) if m.startswith(UNAVAILABLE)]
                assert len(warnings) == 1, log.messages()  # once, not per request

                await redis_proxy.start()
                await asyncio.sleep(0.6)  # the next probe is due
                for _ in range(10):  # counted in Redis again: the other instance sees it
                    await login(http, "bob", "wrong")
                assert any("Redis answers again" in m for m in log.messages(logging.INFO))
            async with client_at(witness, "198.51.100.4") as other:
                assert (await login(other, "bob")).status_code == 429


async def test_the_first_request_after_redis_restarts_counts_there(
    database_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restarted ``redis-server`` (same port, empty): the pool's connections from before
    are dead. The request after the probe counts in Redis, and the outage was reported
    once: no second "unavailable" and no seconds more in memory."""
    monkeypatch.setattr(Limiter, "PROBE_SECONDS", 0.5)
    with own_redis() as server, limiter_log() as log:
        settings = make_settings(
            database_url, redis_url=server.url, redis_prefix=redis_prefix, redis_timeout_ms=500
        )
        async with running(settings) as app, client_at(app, "198.51.100.6") as http:
            limiter = app.state.resources.limiter
            await register(http, "ann")
            # Concurrent failures: several connections in the pool, all dead after the restart.
            failed = await asyncio.gather(*(login(http, "ann", "wrong") for _ in range(4)))
            assert [r.status_code for r in failed] == [401] * 4

            await asyncio.to_thread(server.stop)
            for _ in range(2):  # counted in memory, as documented
                assert (await login(http, "ann", "wrong")).status_code == 401
            assert not limiter.shared

            await asyncio.to_thread(server.start)  # the same port, nothing stored
            await asyncio.sleep(0.6)  # the next probe is due
            assert (await login(http, "nobody", "wrong")).status_code == 401
            assert limiter.shared
            assert counted_in(server, redis_prefix) == [1, 1, 1]  # the three failure rules
            # Concurrent requests draw every pooled connection: none is a dead one.
            await asyncio.gather(*(login(http, "nobody", "wrong") for _ in range(4)))
            assert limiter.shared
            assert counted_in(server, redis_prefix) == [5, 5, 5]
    warnings = [m for m in log.messages(logging.WARNING) if m.startswith(UNAVAILABLE)]
    assert len(warnings) == 1, log.messages()
    assert sum("Redis answers again" in m for m in log.messages(logging.INFO)) == 1
