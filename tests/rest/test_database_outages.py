"""Every kind of database outage is a fast 503 with ``Retry-After``, never a 500 and never
a hang: a database refusing connections (55000), too many connections (53300), the
database dropped (3D000), a read-only primary (25006 on writes, reads still served), a
cut connection, a black hole (a paused proxy: only the deadline gets past it) and a lock
held past the deadline (the server's statement_timeout). REST, GraphQL and the readiness
probe alike, with the app back by itself once the database is.

Each test owns its database (copied from a migrated template) and, where it cuts the
connection, a TCP proxy; the shared server is never stopped. Each burst prints its
figures (run with ``-s`` to see them)."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import httpx

from tests.conftest import make_settings
from tests.helpers import serve
from tests.outages import (
    BOUND_SECONDS,
    DEADLINE_MS,
    Figures,
    admin,
    app_url,
    assert_outage_answers,
    assert_unavailable,
    burst,
    dsn_of,
    eventually_ok,
    prepare,
    primary_up,
    terminate_backends,
)
from tests.tcp_proxy import TcpProxy, through


def _settings(url: str, deadline_ms: int = DEADLINE_MS) -> object:
    # No cache: every read must reach the database, so each one meets the outage.
    return make_settings(url, database_timeout_ms=deadline_ms, cache="off")


async def _primary_metric(client: httpx.AsyncClient) -> float:
    return primary_up((await client.get("/metrics")).text)


async def _renew_the_pool(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """After the sessions were ended, each pooled connection fails once (a 503) and is
    replaced: read until a whole round of concurrent reads succeeds."""
    for _ in range(20):
        answers = await asyncio.gather(
            *(client.get("/api/articles", headers=headers) for _ in range(12))
        )
        if all(answer.status_code == 200 for answer in answers):
            return
    raise AssertionError("the pool was not renewed")


async def _readiness(client: httpx.AsyncClient) -> tuple[int, dict[str, object], float]:
    started = time.perf_counter()
    response = await client.get("/readyz")
    return response.status_code, response.json()["checks"], time.perf_counter() - started


async def test_a_database_refusing_connections_is_503_never_500(own_database: str) -> None:
    """``ALLOW_CONNECTIONS false`` and the sessions ended: 57P01 on the pooled
    connections, then 55000 ("not currently accepting connections") on every new one."""
    figures = Figures()
    async with serve(_settings(app_url(own_database))) as (_app, client):
        actor = await prepare(client)
        assert await _primary_metric(client) == 1
        await admin(f'ALTER DATABASE "{own_database}" ALLOW_CONNECTIONS false')
        await terminate_backends(own_database)

        assert_outage_answers(await burst(client, actor, figures=figures))
        status, checks, seconds = await _readiness(client)
        assert (status, checks["database"], checks["primary"]) == (503, "unavailable", "down")
        assert seconds < 2.0
        assert await _primary_metric(client) == 0
        assert (await client.get("/healthz")).status_code == 200

        await admin(f'ALTER DATABASE "{own_database}" ALLOW_CONNECTIONS true')
        await eventually_ok(client, actor.headers)
        assert (await client.get("/readyz")).status_code == 200
        assert await _primary_metric(client) == 1
    print(figures.line("refused (55000)"))


async def test_too_many_connections_is_503_never_500(own_database: str) -> None:
    """The app's role at its connection limit (53300 on every new connection). A role of
    the test's own: a superuser is exempt from connection limits."""
    role = f"qp_outage_{uuid.uuid4().hex[:10]}"
    await admin(f'CREATE ROLE "{role}" LOGIN')
    figures = Figures()
    try:
        await admin(
            f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"',
            f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
            database=own_database,
        )
        async with serve(_settings(app_url(own_database, user=role))) as (_app, client):
            actor = await prepare(client)
            await admin(f'ALTER ROLE "{role}" CONNECTION LIMIT 0')
            await terminate_backends(own_database)
            assert_outage_answers(await burst(client, actor, figures=figures))
            await admin(f'ALTER ROLE "{role}" CONNECTION LIMIT -1')
            await eventually_ok(client, actor.headers)
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{own_database}" WITH (FORCE)')
        await admin(f'DROP ROLE IF EXISTS "{role}"')
    print(figures.line("too many connections (53300)"))


async def test_a_dropped_database_is_503_never_500(own_database: str) -> None:
    """The database dropped under the app: its sessions end, then 3D000 on every new one."""
    figures = Figures()
    async with serve(_settings(app_url(own_database))) as (_app, client):
        actor = await prepare(client)
        await admin(f'DROP DATABASE "{own_database}" WITH (FORCE)')
        assert_outage_answers(await burst(client, actor, figures=figures))
        assert (await client.get("/healthz")).status_code == 200
    print(figures.line("dropped (3D000)"))


async def test_a_read_only_primary_serves_reads_and_refuses_writes_with_503(
    own_database: str,
) -> None:
    """A failover's read-only primary: new sessions are read-only, so every write meets
    25006. Reads are still served and the instance stays ready, with the primary ``down``
    (it takes no writes) in readiness and in the metric."""
    figures = Figures()
    # Nothing waits here (the refusal is immediate): a longer deadline keeps the reads that
    # must succeed clear of a loaded machine's stalls.
    async with serve(_settings(app_url(own_database), deadline_ms=2_000)) as (_app, client):
        actor = await prepare(client)
        await admin(f'ALTER DATABASE "{own_database}" SET default_transaction_read_only = on')
        await terminate_backends(own_database)
        await _renew_the_pool(client, actor.headers)

        answers = await burst(client, actor, figures=figures)
        assert_outage_answers(answers, served={"read", "probe"}, bound=3.0)
        status, checks, _seconds = await _readiness(client)
        assert (status, checks["database"], checks["primary"]) == (200, "ok", "down")
        assert await _primary_metric(client) == 0

        await admin(f'ALTER DATABASE "{own_database}" RESET default_transaction_read_only')
        await terminate_backends(own_database)
        await _renew_the_pool(client, actor.headers)
        await eventually_ok(client, actor.headers)
        status, checks, _seconds = await _readiness(client)
        assert (status, checks["primary"]) == (200, "ok")
        assert await _primary_metric(client) == 1
    print(figures.line("read-only primary (25006)"))


async def test_a_cut_connection_is_503_never_500(own_database: str) -> None:
    figures = Figures()
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    try:
        async with serve(_settings(through(app_url(own_database), proxy))) as (_app, client):
            actor = await prepare(client)
            await proxy.stop()
            assert_outage_answers(await burst(client, actor, figures=figures))
            assert await _primary_metric(client) == 0
            await proxy.start()
            await eventually_ok(client, actor.headers)
    finally:
        await proxy.stop()
    print(figures.line("cut (proxy stopped)"))


async def test_a_black_holed_database_costs_the_deadline_then_503(own_database: str) -> None:
    """The proxy holds every byte: nothing but the deadline gets a request past it (it
    waited for the whole outage before). Connections that ran out of time are discarded:
    after the database answers again, nothing hangs on one of them."""
    figures = Figures()
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    try:
        async with serve(_settings(through(app_url(own_database), proxy))) as (app, client):
            actor = await prepare(client)
            proxy.pause()
            assert_outage_answers(await burst(client, actor, figures=figures))
            status, checks, seconds = await _readiness(client)
            assert (status, checks["primary"]) == (503, "down")
            assert seconds < 2.0
            proxy.resume()
            await eventually_ok(client, actor.headers)
            started = time.perf_counter()
            answers = await burst(client, actor, rounds=1)
            assert all(response.status_code < 500 for _k, _p, response, _s in answers)
            assert time.perf_counter() - started < BOUND_SECONDS
            pool = app.state.resources.database.engine.sync_engine.pool
            assert pool.checkedout() == 0
    finally:
        proxy.resume()
        await proxy.stop()
    print(figures.line("black hole (proxy paused)"))


async def test_a_lock_held_past_the_deadline_is_503_and_other_requests_go_on(
    own_database: str,
) -> None:
    """A slow database rather than a lost one: another session holds the article's row
    lock; the edit waits for it until the server's statement_timeout (the deadline) ends
    it (57014), a 503, while reads go on."""
    async with serve(_settings(app_url(own_database))) as (_app, client):
        actor = await prepare(client)
        holder = await asyncpg.connect(dsn_of(own_database))
        try:
            lock = holder.transaction()
            await lock.start()
            await holder.execute("SELECT 1 FROM article FOR UPDATE")
            started = time.perf_counter()
            edit, listed = await asyncio.gather(
                client.put(
                    f"/api/articles/{actor.slug}",
                    json={"article": {"body": "new"}},
                    headers=actor.headers,
                ),
                client.get("/api/articles"),
            )
            assert time.perf_counter() - started <= BOUND_SECONDS
            assert_unavailable(edit)
            assert listed.status_code == 200
            await lock.rollback()
        finally:
            await holder.close()
        edited = await client.put(
            f"/api/articles/{actor.slug}", json={"article": {"body": "new"}}, headers=actor.headers
        )
        assert edited.status_code == 200, edited.text
