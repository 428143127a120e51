"""Through nginx and across instances: with replay paused on the replica and writes going
on, every read is fresh (it goes to the primary); after ``pg_wal_replay_resume()`` the
reads move back to the replica. Each response's ``Server-Timing`` says where its reads
went (``dbroute;desc="replica"|"primary"``). Run with ``-s`` for a readable trace."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text

from quillpress.db.engine import create_engine
from tests.cluster.conftest import Topology, replica_caught_up, unique
from tests.helpers import create_article, db_route, register, statement_count

EDITS = 5


def trace(step: str, where: str, response: httpx.Response, body: str | None = None) -> None:
    shown = body if body is not None else response.json()["article"]["body"]
    print(
        f"  {step:<10} {where:<19} {response.status_code} body={shown!r:<12} "
        f"dbroute={db_route(response)!s:<8} statements={statement_count(response)}"
    )


async def on_replica(topology: Topology, statement: str) -> object:
    engine = create_engine(topology.replica_url, null_pool=True)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(statement))).scalar()
    finally:
        await engine.dispose()


async def read_until(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], route: str
) -> httpx.Response:
    for _ in range(100):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, response.text
        if db_route(response) == route:
            return response
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} never read from the {route}")


async def test_paused_replay_keeps_reads_fresh_and_resume_moves_them_back_to_the_replica(
    topology: Topology,
    fresh: None,
    through_nginx: httpx.AsyncClient,
    instances: list[httpx.AsyncClient],
) -> None:
    writer = await register(through_nginx, unique("writer"))
    reader = await register(through_nginx, unique("reader"))
    article = await create_article(through_nginx, writer, "Paused replay", body="original")
    path = f"/api/articles/{article['slug']}"
    names = [f"instance-{n}" for n in range(1, len(instances) + 1)]
    await replica_caught_up(topology)
    print("\nreplica caught up: each instance reads from the replica")
    for name, client in zip(names, instances, strict=True):
        trace("caught-up", name, await read_until(client, path, reader, "replica"))

    await on_replica(topology, "SELECT pg_wal_replay_pause()")
    print("pg_wal_replay_pause(): writes through nginx, reads at once everywhere")
    try:
        for edit in range(1, EDITS + 1):
            body = f"edit {edit}"
            put = await through_nginx.put(path, json={"article": {"body": body}}, headers=writer)
            assert put.status_code == 200, put.text
            trace(f"write {edit}", "nginx", put)
            reads = [
                ("nginx, writer", through_nginx, writer),
                ("nginx, reader", through_nginx, reader),
            ]
            reads += [
                (f"{name}, reader", client, reader)
                for name, client in zip(names, instances, strict=True)
            ]
            for where, client, headers in reads:
                seen = await client.get(path, headers=headers)
                trace("read", where, seen)
                assert seen.json()["article"]["body"] == body
                assert db_route(seen) == "primary"
        behind = await on_replica(
            topology,
            f"SELECT body FROM article WHERE slug = '{article['slug']}'",  # noqa: S608
        )
        print(f"  the replica itself still holds body={behind!r}")
        assert behind == "original"
    finally:
        await on_replica(topology, "SELECT pg_wal_replay_resume()")

    print("pg_wal_replay_resume(): reads move back to the replica")
    for name, client in zip(names, instances, strict=True):
        back = await read_until(client, path, reader, "replica")
        trace("resumed", name, back)
        assert back.json()["article"]["body"] == f"edit {EDITS}"
    via_nginx = await read_until(through_nginx, path, writer, "replica")
    trace("resumed", "nginx", via_nginx)
