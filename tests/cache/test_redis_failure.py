"""Redis failing or slow never fails a request: reads are served from the database with
short timeouts, the outage is logged once, and the cache is used again (without stale
entries) once Redis answers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

import pytest

from tests.conftest import make_settings, truncate
from tests.helpers import cache_outcome, create_article, register, serve
from tests.tcp_proxy import TcpProxy, through

READS = ["/api/articles", "/api/articles/a-title", "/api/profiles/ann", "/api/tags"]


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self) -> list[str]:
        return [record.getMessage() for record in self.records]


@pytest.fixture
def cache_log() -> Iterator[Records]:
    """The cache's log lines (the app's ``quillpress`` logger does not propagate)."""
    handler = Records()
    logger = logging.getLogger("quillpress.cache")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


async def test_redis_down_at_startup_serves_from_the_database(
    database_url: str, redis_prefix: str, cache_log: Records
) -> None:
    settings = make_settings(
        database_url, cache="redis", redis_url="redis://127.0.0.1:1/0", redis_prefix=redis_prefix
    )
    async with serve(settings) as (app, client):
        try:
            headers = await register(client, "ann")
            await create_article(client, headers)
            for _ in range(3):
                for path in READS:
                    response = await client.get(path)
                    assert response.status_code == 200, (path, response.text)
                    assert cache_outcome(response) == "bypass"
        finally:
            await truncate(app.state.resources.database.engine)
    assert any("unreachable at startup" in message for message in cache_log.messages())


async def test_redis_lost_mid_run_serves_from_the_database_and_recovers(
    database_url: str,
    redis_server: str,
    redis_prefix: str,
    redis_proxy: TcpProxy,
    cache_log: Records,
) -> None:
    settings = make_settings(
        database_url,
        cache="redis",
        redis_url=through(redis_server, redis_proxy),
        redis_prefix=redis_prefix,
        # The cut below refuses connections at once; a generous timeout keeps a loaded
        # machine's slow answers before the cut from counting as an outage of their own.
        redis_timeout_ms=500,
    )
    async with serve(settings) as (app, client):
        try:
            headers = await register(client, "ann")
            await create_article(client, headers)
            for path in READS:
                await client.get(path)
                assert cache_outcome(await client.get(path)) == "hit"

            await redis_proxy.stop()
            started = time.monotonic()
            # A write while Redis is away: its purge is lost, to be made up on recovery.
            body = {"user": {"bio": "Changed while Redis was away"}}
            assert (await client.put("/api/user", json=body, headers=headers)).is_success
            for _ in range(5):
                for path in READS:
                    response = await client.get(path)
                    assert response.status_code == 200, (path, response.text)
            elapsed = time.monotonic() - started
            outages = [m for m in cache_log.messages() if m.startswith("cache unavailable")]
            assert len(outages) == 1  # logged once, not per request
            assert elapsed < 5.0  # 21 requests, each failing fast (connections refused)

            await redis_proxy.start()
            profile = None
            for _ in range(50):  # the cooldown passes, the client reconnects
                profile = await client.get("/api/profiles/ann")
                if cache_outcome(profile) != "bypass":
                    break
                await asyncio.sleep(0.05)
            assert profile is not None
            assert cache_outcome(profile) in {"hit", "miss"}
            assert profile.json()["profile"]["bio"] == "Changed while Redis was away"
            # Cached again within a few requests (a pooled connection the cut left dead can
            # fail one fill), and never with the bio from before the outage.
            outcomes = []
            for _ in range(10):
                again = await client.get("/api/profiles/ann")
                assert again.json()["profile"]["bio"] == "Changed while Redis was away"
                outcomes.append(cache_outcome(again))
                if outcomes[-1] == "hit":
                    break
                await asyncio.sleep(0.1)
            assert outcomes[-1] == "hit", outcomes
        finally:
            await truncate(app.state.resources.database.engine)
