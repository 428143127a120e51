"""A committed write is answered as committed, even when the database goes away the moment
the commit returns. (Reading the result back on a new connection after the commit turned
such a write into a 503, and the client's retry into a duplicate.)

The database is cut by a TCP proxy the test owns, from an after-commit subscriber: after
the COMMIT returned and the connection went back to the pool, before the response."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx

from quillpress.domain.events import Event
from tests.conftest import make_settings
from tests.helpers import PASSWORD, serve
from tests.outages import DEADLINE_MS, app_url, count_rows, prepare
from tests.tcp_proxy import TcpProxy, through

ROWS = {
    "article": "SELECT count(*) FROM article WHERE title = 'Committed'",
    "comment": "SELECT count(*) FROM comment WHERE body = 'committed comment'",
    "register": "SELECT count(*) FROM app_user WHERE username = 'bob'",
    "user": "SELECT count(*) FROM app_user WHERE bio = 'committed bio'",
    "article edit": "SELECT count(*) FROM article WHERE body = 'committed body'",
    "favorite": "SELECT count(*) FROM favorite",
    "graphql article": "SELECT count(*) FROM article WHERE title = 'Committed by GraphQL'",
}
"""For each write the test makes: its rows afterwards (exactly one each)."""


class CutAfterCommit:
    """An after-commit subscriber that cuts the database once, when armed."""

    def __init__(self, proxy: TcpProxy) -> None:
        self.proxy = proxy
        self.armed = False

    async def __call__(self, _events: Sequence[Event]) -> None:
        if self.armed:
            self.armed = False
            await self.proxy.stop()


async def _until_committed(
    client: httpx.AsyncClient,
    cut: CutAfterCommit,
    method: str,
    path: str,
    body: Any,
    headers: dict[str, str],
) -> httpx.Response:
    """The write, sent again (as a client would) while it is a 503 that committed nothing
    (the cut was not reached: on a loaded machine a write may miss the short deadline)."""
    for _ in range(5):
        response = await client.request(method, path, json=body, headers=headers)
        if not cut.armed:  # committed: the cut came right after
            return response
        assert response.status_code == 503, response.text
    raise AssertionError(f"{path}: never committed")


async def _healthy(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Back after a cut: every pooled connection replaced (each dead one fails once)."""
    for _ in range(20):
        answers = await asyncio.gather(
            *(client.get("/api/user", headers=headers) for _ in range(12))
        )
        if all(answer.status_code == 200 for answer in answers):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the app did not recover")


async def test_writes_committed_as_the_database_goes_away_are_answered_as_committed(
    own_database: str,
) -> None:
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    cut = CutAfterCommit(proxy)
    settings = make_settings(
        through(app_url(own_database), proxy), database_timeout_ms=DEADLINE_MS, cache="off"
    )
    acknowledged: dict[str, int] = {}
    try:
        async with serve(settings) as (app, client):
            actor = await prepare(client)
            app.state.resources.events.subscribe(cut)
            h = actor.headers
            writes: list[tuple[str, str, str, Any, int]] = [
                ("article", "POST", "/api/articles",
                 {"article": {"title": "Committed", "description": "d", "body": "b"}}, 201),
                ("comment", "POST", f"/api/articles/{actor.slug}/comments",
                 {"comment": {"body": "committed comment"}}, 201),
                ("register", "POST", "/api/users",
                 {"user": {"username": "bob", "email": "bob@x.io", "password": PASSWORD}}, 201),
                ("user", "PUT", "/api/user", {"user": {"bio": "committed bio"}}, 200),
                ("article edit", "PUT", f"/api/articles/{actor.slug}",
                 {"article": {"body": "committed body"}}, 200),
                ("favorite", "POST", f"/api/articles/{actor.slug}/favorite", None, 200),
            ]  # fmt: skip
            for name, method, path, body, status in writes:
                await _healthy(client, h)
                cut.armed = True
                response = await _until_committed(client, cut, method, path, body, h)
                assert response.status_code == status, (name, response.text)
                acknowledged[name] = 1
                await proxy.start()

            await _healthy(client, h)
            cut.armed = True
            mutation = (
                'mutation { createArticle(input: {title: "Committed by GraphQL", '
                'description: "d", body: "b"}) { slug title } }'
            )
            response = await _until_committed(
                client, cut, "POST", "/graphql", {"query": mutation}, h
            )
            assert response.status_code == 200, response.text
            assert response.json()["data"]["createArticle"]["title"] == "Committed by GraphQL"
            acknowledged["graphql article"] = 1
            await proxy.start()
    finally:
        await proxy.stop()

    found = {name: await count_rows(own_database, sql) for name, sql in ROWS.items()}
    assert found == acknowledged
    print(f"committed writes: {sum(acknowledged.values())} acknowledged, rows found {found}")
