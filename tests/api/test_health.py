"""``/healthz`` answers without I/O; ``/readyz`` checks the database, the schema revision
and Redis: a lost database or a schema behind the release is 503, a lost Redis is only
"degraded" (the instance still serves, from the database).

Dependencies are cut by TCP proxies the tests own, never by stopping the shared servers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from quillpress.db import migrate
from quillpress.db.engine import create_engine
from quillpress.services.health import SchemaHead
from tests.conftest import make_settings, migrate_database
from tests.helpers import serve
from tests.tcp_proxy import TcpProxy, through

READY = {"database": "ok", "primary": "ok", "replicas": [], "migrations": "ok"}


async def test_healthz_is_ok_without_touching_the_database(tmp_path: Path) -> None:
    # A database file that does not exist (and a directory that cannot hold one): any
    # I/O would fail, yet the process is alive.
    settings = make_settings("sqlite+aiosqlite:////nonexistent-dir/qp.db")
    async with serve(settings) as (_app, client):
        response = await client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert (await client.get("/readyz")).status_code == 503


async def test_readyz_is_ready_with_every_check_named(
    client: httpx.AsyncClient, backend: str
) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "checks": {**READY, "redis": "disabled"}}
    assert response.headers["cache-control"] == "no-store"


async def test_readyz_reports_redis_ok_when_it_answers(
    database_url: str, redis_server: str, redis_prefix: str
) -> None:
    settings = make_settings(database_url, redis_url=redis_server, redis_prefix=redis_prefix)
    async with serve(settings) as (_app, client):
        response = await client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["checks"] == {**READY, "redis": "ok"}


async def test_a_schema_behind_the_release_is_not_ready(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/behind.db"
    await migrate_database(url)
    engine = create_engine(url, null_pool=True)
    try:
        await migrate.downgrade(engine, "-1")
    finally:
        await engine.dispose()
    async with serve(make_settings(url)) as (_app, client):
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {
            "status": "unavailable",
            "checks": {
                "database": "ok",
                "primary": "ok",
                "replicas": [],
                "migrations": "behind",
                "redis": "disabled",
            },
        }


async def test_a_schema_from_a_newer_release_stays_ready(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/ahead.db"
    await migrate_database(url)
    engine = create_engine(url, null_pool=True)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        await engine.dispose()
    async with serve(make_settings(url)) as (_app, client):
        response = await client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["checks"]["migrations"] == "ahead"


def test_the_schema_head_judges_revisions() -> None:
    schema = SchemaHead.of_package()
    assert schema.head is not None
    assert schema.judge(schema.head) == "ok"
    assert schema.judge(None) == "behind"
    assert schema.judge("0001") == "behind"
    assert schema.judge("not-a-revision-of-ours") == "ahead"


@pytest.fixture
async def postgres_proxy(database_url: str, backend: str) -> AsyncIterator[TcpProxy]:
    if backend != "postgresql":
        pytest.skip("cutting the database connection needs a database server (PostgreSQL)")
    url = make_url(database_url)
    tcp = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await tcp.start()
    yield tcp
    await tcp.stop()


async def test_a_lost_database_is_503_with_the_database_marked_and_recovers(
    database_url: str, postgres_proxy: TcpProxy
) -> None:
    settings = make_settings(through(database_url, postgres_proxy))
    async with serve(settings) as (_app, client):
        assert (await client.get("/readyz")).status_code == 200
        await postgres_proxy.stop()
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {
            "status": "unavailable",
            "checks": {
                "database": "unavailable",
                "primary": "down",
                "replicas": [],
                "migrations": "unknown",
                "redis": "disabled",
            },
        }
        assert (await client.get("/healthz")).status_code == 200  # alive all the same
        await postgres_proxy.start()
        response = await client.get("/readyz")
        assert response.status_code == 200, response.text


async def test_a_lost_redis_is_degraded_and_still_ready(
    database_url: str, redis_server: str, redis_prefix: str, redis_proxy: TcpProxy
) -> None:
    settings = make_settings(
        database_url, redis_url=through(redis_server, redis_proxy), redis_prefix=redis_prefix
    )
    async with serve(settings) as (_app, client):
        assert (await client.get("/readyz")).json()["checks"]["redis"] == "ok"
        await redis_proxy.stop()
        response = await client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ready", "checks": {**READY, "redis": "degraded"}}
