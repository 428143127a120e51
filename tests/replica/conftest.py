"""A real primary + streaming replica for the routing tests (the cluster leg:
``QUILLPRESS_TEST_CLUSTER=1``, as for tests/cluster; unset → skipped)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from quillpress.config import Settings, normalise_database_url
from tests.conftest import ON_CI, make_settings, migrate_database, truncate
from tests.helpers import serve
from tests.replica_pair import ReplicaPair

CLUSTER_ENV = "QUILLPRESS_TEST_CLUSTER"


@pytest.fixture(scope="session")
def replica_pair() -> Iterator[ReplicaPair]:
    if os.environ.get(CLUSTER_ENV) != "1":
        reason = f"{CLUSTER_ENV}=1 is not set (starts a PostgreSQL primary and replica)"
        if ON_CI:
            pytest.fail(f"CI=true requires the cluster leg: {reason}", pytrace=False)
        pytest.skip(reason)
    pair = ReplicaPair()
    try:
        pair.start()
        asyncio.run(migrate_database(normalise_database_url(pair.primary_url)))
        yield pair
    finally:
        pair.close()


@pytest.fixture
async def pair(replica_pair: ReplicaPair) -> AsyncIterator[ReplicaPair]:
    """The pair, replaying and running again after each test (tests pause or stop it)."""
    yield replica_pair
    if not (replica_pair.replica_dir / "postmaster.pid").exists():
        replica_pair.start_replica()
    await replica_pair.on_replica("SELECT pg_wal_replay_resume()")


def replica_settings(pair: ReplicaPair, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_replica_urls": [pair.replica_url],
        "cache": "off",  # every read reaches the database, so each one is routed
        **overrides,
    }
    return make_settings(normalise_database_url(pair.primary_url), **values)


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """An app over the pair and a client for it; the tables are emptied afterwards."""
    async with serve(settings) as (app, client):
        try:
            yield app, client
        finally:
            await truncate(app.state.resources.database.engine)
