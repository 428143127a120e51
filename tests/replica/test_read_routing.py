"""Reads go to the streaming replica only when it has every committed write; else to the
primary. Real primary, real replica (pg_basebackup), replay paused and resumed for real."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from quillpress.config import Settings
from tests.helpers import create_article, db_route, register, statement_count
from tests.replica.conftest import replica_settings, serving
from tests.replica_pair import ReplicaPair
from tests.tcp_proxy import TcpProxy


@pytest.fixture(params=["in-process", "redis"])
def settings_for(request: pytest.FixtureRequest, pair: ReplicaPair) -> object:
    """Settings over the pair, with commit positions kept in process or in Redis."""
    extra: dict[str, object] = {}
    if request.param == "redis":
        extra = {
            "redis_url": request.getfixturevalue("redis_server"),
            "redis_prefix": request.getfixturevalue("redis_prefix"),
        }

    def build(**overrides: object) -> Settings:
        return replica_settings(pair, **{**extra, **overrides})

    return build


async def read_until_replica(
    client: httpx.AsyncClient, path: str, **kwargs: object
) -> httpx.Response:
    """GET ``path`` until a replica serves it (a few tries: the pair settles first)."""
    for _ in range(100):
        response = await client.get(path, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 200, response.text
        if db_route(response) == "replica":
            return response
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} never served by the replica")


async def test_reads_go_to_a_replica_that_has_replayed_every_write(
    pair: ReplicaPair, settings_for: object
) -> None:
    async with serving(settings_for()) as (app, client):  # type: ignore[operator]
        writer = await register(client, "ada")
        article = await create_article(client, writer, "Replicated")
        await pair.wait_caught_up()
        response = await read_until_replica(client, f"/api/articles/{article['slug']}")
        assert response.json()["article"]["title"] == "Replicated"
        routing = app.state.resources.database.routing
        assert routing.reads["replica"] >= 1
        assert 0 < routing.replica_share <= 1
        assert (routing.replicas[0].lag_bytes, routing.replicas[0].lag_seconds) == (0, 0)


async def test_with_replay_paused_every_reader_sees_a_write_at_once_from_the_primary(
    pair: ReplicaPair, settings_for: object
) -> None:
    async with serving(settings_for()) as (app, client):  # type: ignore[operator]
        writer = await register(client, "ada")
        article = await create_article(client, writer, "Paused", body="first")
        path = f"/api/articles/{article['slug']}"
        await pair.wait_caught_up()
        await read_until_replica(client, path)
        await pair.on_replica("SELECT pg_wal_replay_pause()")
        for version in range(3):
            body = f"edit {version}"
            edited = await client.put(path, json={"article": {"body": body}}, headers=writer)
            assert edited.status_code == 200, edited.text
            mine = await client.get(path, headers=writer)
            anyone = await client.get(path)
            assert mine.json()["article"]["body"] == body
            assert anyone.json()["article"]["body"] == body
            assert (db_route(mine), db_route(anyone)) == ("primary", "primary")
        stale = await pair.on_replica("SELECT body FROM article WHERE slug = $1", article["slug"])
        lagging = app.state.resources.database.routing.replicas[0]
        assert lagging.lag_bytes is not None
        assert lagging.lag_bytes > 0
        assert lagging.lag_seconds is not None
        assert lagging.lag_seconds >= 0
        assert stale == "first"  # the replica really is behind
        await pair.on_replica("SELECT pg_wal_replay_resume()")
        back = await read_until_replica(client, path)
        assert back.json()["article"]["body"] == "edit 2"
        assert app.state.resources.database.routing.reads["primary"] >= 6


async def test_another_instance_never_reads_a_write_the_replica_lacks(
    pair: ReplicaPair, redis_server: str, redis_prefix: str
) -> None:
    """Two app instances sharing Redis: the second learns the first's commit position."""
    shared = {"redis_url": redis_server, "redis_prefix": redis_prefix}
    async with (
        serving(replica_settings(pair, **shared)) as (_, first),
        serving(replica_settings(pair, **shared)) as (_, second),
    ):
        writer = await register(first, "ada")
        article = await create_article(first, writer, "Shared", body="first")
        path = f"/api/articles/{article['slug']}"
        await pair.wait_caught_up()
        await read_until_replica(second, path)
        await pair.on_replica("SELECT pg_wal_replay_pause()")
        await first.put(path, json={"article": {"body": "second"}}, headers=writer)
        seen = await second.get(path)
        assert seen.json()["article"]["body"] == "second"
        assert db_route(seen) == "primary"


async def test_cache_fills_never_store_what_a_lagging_replica_holds(pair: ReplicaPair) -> None:
    async with serving(replica_settings(pair, cache="memory")) as (_, client):
        writer = await register(client, "ada")
        article = await create_article(client, writer, "Cached", body="first")
        path = f"/api/articles/{article['slug']}"
        await pair.wait_caught_up()
        await client.get(path)
        await pair.on_replica("SELECT pg_wal_replay_pause()")
        await client.put(path, json={"article": {"body": "second"}}, headers=writer)
        filled = await client.get(path)  # a miss: the fill reads the primary
        again = await client.get(path)  # a hit on what that fill stored
        assert filled.json()["article"]["body"] == again.json()["article"]["body"] == "second"


async def test_a_stopped_replica_sends_reads_to_the_primary_without_errors(
    pair: ReplicaPair, settings_for: object
) -> None:
    async with serving(settings_for()) as (app, client):  # type: ignore[operator]
        writer = await register(client, "ada")
        article = await create_article(client, writer, "Down")
        path = f"/api/articles/{article['slug']}"
        await pair.wait_caught_up()
        await read_until_replica(client, path)
        # In a thread, as a replica dies in production: the event loop runs meanwhile and
        # sees the server close the pooled connections.
        await asyncio.to_thread(pair.stop_replica)
        for _ in range(5):
            response = await client.get(path, headers=writer)
            assert response.status_code == 200, response.text
            assert db_route(response) == "primary"
        assert not app.state.resources.database.routing.replicas[0].healthy
        await asyncio.to_thread(pair.start_replica)
        await asyncio.sleep(5.5)  # the replica's trip time (db.replicas.TRIP_SECONDS)
        await read_until_replica(client, path)


async def test_a_cut_redis_sends_reads_to_the_primary_and_distrusts_it_after(
    pair: ReplicaPair, redis_server: str, redis_prefix: str
) -> None:
    """Writes made while Redis was cut were never published there: once it answers
    again, the app reseeds from the primary instead of trusting the old position."""
    url = httpx.URL(redis_server)
    proxy = TcpProxy(url.host, url.port or 6379)
    await proxy.start()
    redis_url = f"redis://127.0.0.1:{proxy.port}{url.path or '/0'}"
    settings = replica_settings(pair, redis_url=redis_url, redis_prefix=redis_prefix)
    try:
        async with serving(settings) as (_, client):
            writer = await register(client, "ada")
            article = await create_article(client, writer, "Cut", body="first")
            path = f"/api/articles/{article['slug']}"
            await pair.wait_caught_up()
            await read_until_replica(client, path)
            await proxy.stop()
            await pair.on_replica("SELECT pg_wal_replay_pause()")
            edited = await client.put(path, json={"article": {"body": "second"}}, headers=writer)
            assert edited.status_code == 200, edited.text
            during = await client.get(path)
            assert during.status_code == 200, during.text
            assert (db_route(during), during.json()["article"]["body"]) == ("primary", "second")
            await proxy.start()  # same port
            await asyncio.sleep(1.1)  # past the positions store's cooldown
            for _ in range(3):
                after = await client.get(path)
                assert (db_route(after), after.json()["article"]["body"]) == ("primary", "second")
            await pair.on_replica("SELECT pg_wal_replay_resume()")
            back = await read_until_replica(client, path)
            assert back.json()["article"]["body"] == "second"
    finally:
        await proxy.stop()


async def test_routing_adds_no_statement_to_a_request(pair: ReplicaPair) -> None:
    plain = replica_settings(pair, database_replica_urls=[])
    async with serving(replica_settings(pair)) as (_, client), serving(plain) as (_, unrouted):
        writer = await register(client, "ada")
        article = await create_article(client, writer, "Counted")
        path = f"/api/articles/{article['slug']}"
        await pair.wait_caught_up()
        on_replica = await read_until_replica(client, path, headers=writer)
        await pair.on_replica("SELECT pg_wal_replay_pause()")
        await client.post(f"{path}/favorite", headers=writer)
        on_primary = await client.get(path, headers=writer)
        without = await unrouted.get(path, headers=writer)
    assert (db_route(on_primary), db_route(without)) == ("primary", None)
    assert statement_count(on_replica) == statement_count(on_primary) == statement_count(without)
