"""Readiness with a replica tells the truth about the primary: while the replica serves
reads the instance stays ready (a red readiness on every pod would turn a read-only
degradation into a full outage), but ``checks.primary`` says ``down`` and
``quillpress_database_primary_up`` is 0 for the alert; each replica is ``ok``, ``lagging``
or ``down``. (Before, the check read from the replica and said "database: ok" while the
primary was gone.) Real primary and replica; the primary is cut by a TCP proxy."""

from __future__ import annotations

import asyncio
import time

import httpx
from sqlalchemy.engine import make_url

from quillpress.config import normalise_database_url
from tests.helpers import create_article, register
from tests.outages import BOUND_SECONDS, assert_unavailable, primary_up
from tests.replica.conftest import replica_settings, serving
from tests.replica_pair import ReplicaPair
from tests.tcp_proxy import TcpProxy, through


async def _ready(client: httpx.AsyncClient) -> tuple[int, dict[str, object]]:
    started = time.perf_counter()
    response = await client.get("/readyz")
    assert time.perf_counter() - started < 2.0
    return response.status_code, response.json()["checks"]


async def _metric(client: httpx.AsyncClient) -> float:
    return primary_up((await client.get("/metrics")).text)


async def test_a_lost_primary_is_reported_while_the_replica_keeps_the_instance_ready(
    pair: ReplicaPair,
) -> None:
    primary = make_url(pair.primary_url)
    proxy = TcpProxy(primary.host or "127.0.0.1", primary.port or 5432)
    await proxy.start()
    settings = replica_settings(pair, database_timeout_ms=500).model_copy(
        update={"database_url": normalise_database_url(through(pair.primary_url, proxy))}
    )
    try:
        async with serving(settings) as (_app, client):
            writer = await register(client, "ada")
            article = await create_article(client, writer, "Replicated")
            await pair.wait_caught_up()
            assert await _ready(client) == (
                200,
                {
                    "database": "ok",
                    "primary": "ok",
                    "replicas": ["ok"],
                    "migrations": "ok",
                    "redis": "disabled",
                },
            )
            assert await _metric(client) == 1

            await proxy.stop()
            for _ in range(30):  # until the replica has replayed the primary's last commit
                status, checks = await _ready(client)
                if status == 200:
                    break
                await asyncio.sleep(0.1)
            assert status == 200, checks  # reads are still served, by the replica
            assert (checks["database"], checks["primary"], checks["replicas"]) == (
                "ok",
                "down",
                ["ok"],
            )
            assert await _metric(client) == 0
            read = await client.get(f"/api/articles/{article['slug']}")
            assert read.status_code == 200, read.text
            started = time.perf_counter()
            write = await client.post(
                "/api/articles",
                json={"article": {"title": "t", "description": "d", "body": "b"}},
                headers=writer,
            )
            assert time.perf_counter() - started <= BOUND_SECONDS
            assert_unavailable(write)

            await proxy.start()
            for _ in range(30):
                status, checks = await _ready(client)
                if checks["primary"] == "ok":
                    break
                await asyncio.sleep(0.1)
            assert (status, checks["primary"]) == (200, "ok")
            assert await _metric(client) == 1
    finally:
        await proxy.stop()


async def test_a_lagging_or_stopped_replica_is_named_and_the_primary_serves(
    pair: ReplicaPair,
) -> None:
    async with serving(replica_settings(pair, database_timeout_ms=500)) as (_app, client):
        writer = await register(client, "bea")
        await pair.wait_caught_up()
        await asyncio.sleep(1.1)  # the replica's last replayed transaction is now 1 s old
        await pair.on_replica("SELECT pg_wal_replay_pause()")
        await create_article(client, writer, "Not replayed yet")
        status, checks = await _ready(client)
        assert (status, checks["primary"], checks["replicas"]) == (200, "ok", ["lagging"])

        await pair.on_replica("SELECT pg_wal_replay_resume()")
        await pair.wait_caught_up()
        # The position readiness compares with is the one the app published after its last
        # COMMIT, which the replica replays once the primary's WAL writer has flushed it
        # (within wal_writer_delay): ``ok`` from then on, ``lagging`` never again.
        seen = []
        for _ in range(50):  # up to about 5 s
            seen.append((await _ready(client))[1]["replicas"])
            if seen[-1] == ["ok"]:
                break
            await asyncio.sleep(0.1)
        assert seen[-1] == ["ok"], seen

        pair.stop_replica()
        status, checks = await _ready(client)
        assert (status, checks["database"], checks["primary"], checks["replicas"]) == (
            200,
            "ok",
            "ok",
            ["down"],
        )
