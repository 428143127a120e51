"""Through nginx and across instances: with replay paused on the replica and writes going
on, every read is fresh (it goes to the primary); after ``pg_wal_replay_resume()`` the
reads move back to the replica. Each response's ``Server-Timing`` says where its reads
went (``dbroute;desc="replica"|"primary"``); a read answered from the shared response
cache reads no database at all (``cache;desc="hit…"``), and is fresh all the same (the
write purged what it changed before it was acknowledged). Where a read must reach a
database to show its route, it is a signed-in GraphQL query, which always executes. Run
with ``-s`` for a readable trace."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text

from quillpress.db.engine import create_engine
from tests.cluster.conftest import Topology, replica_caught_up, unique
from tests.helpers import cache_outcome, create_article, db_route, gql, register, statement_count

EDITS = 5


def _body(response: httpx.Response) -> str:
    found = response.json()
    article = found["data"]["article"] if "data" in found else found["article"]
    return str(article["body"])


def trace(step: str, where: str, response: httpx.Response) -> None:
    print(
        f"  {step:<10} {where:<19} {response.status_code} body={_body(response)!r:<12} "
        f"dbroute={db_route(response)!s:<8} statements={statement_count(response)} "
        f"cache={cache_outcome(response)}"
    )


ARTICLE = "query Article($slug: String!) { article(slug: $slug) { body } }"


async def on_replica(topology: Topology, statement: str) -> object:
    engine = create_engine(topology.replica_url, null_pool=True)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(statement))).scalar()
    finally:
        await engine.dispose()


async def read_until(
    client: httpx.AsyncClient, slug: str, headers: dict[str, str], route: str
) -> httpx.Response:
    """A signed-in GraphQL read of the article (it always executes) until ``route`` serves it."""
    for _ in range(100):
        response = await gql(client, ARTICLE, {"slug": slug}, headers=headers)
        assert response.status_code == 200, response.text
        if db_route(response) == route:
            return response
        await asyncio.sleep(0.1)
    raise AssertionError(f"article {slug} never read from the {route}")


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
        trace("caught-up", name, await read_until(client, article["slug"], reader, "replica"))

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
                # Fresh from the primary, or from what a read from the primary stored.
                assert db_route(seen) == "primary" or cache_outcome(seen) == "hit"
                executed = await gql(client, ARTICLE, {"slug": article["slug"]}, headers=headers)
                trace("read", f"{where} (gql)", executed)
                assert _body(executed) == body
                assert db_route(executed) == "primary"
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
        back = await read_until(client, article["slug"], reader, "replica")
        trace("resumed", name, back)
        assert _body(back) == f"edit {EDITS}"
    via_nginx = await read_until(through_nginx, article["slug"], writer, "replica")
    trace("resumed", "nginx", via_nginx)
