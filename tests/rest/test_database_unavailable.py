"""When the database goes away while serving, every request that needs it gets 503 with
``Retry-After`` (REST and GraphQL alike), and the app recovers by itself when it returns.

The connection is cut by a TCP proxy the test owns, never by stopping the shared server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.engine import make_url

from quillpress.db.engine import create_engine
from tests.conftest import make_settings, truncate
from tests.helpers import PASSWORD, auth, error_fields, gql, serve
from tests.tcp_proxy import TcpProxy

UNAVAILABLE = {"database": ["unavailable"]}


@pytest.fixture
async def proxy(database_url: str, backend: str) -> AsyncIterator[TcpProxy]:
    if backend != "postgresql":
        pytest.skip("cutting the database connection needs a database server (PostgreSQL)")
    url = make_url(database_url)
    tcp = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await tcp.start()
    yield tcp
    await tcp.stop()
    engine = create_engine(database_url, null_pool=True)
    try:
        await truncate(engine)
    finally:
        await engine.dispose()


def _through(database_url: str, proxy: TcpProxy) -> str:
    url = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    return url.render_as_string(hide_password=False)


def _assert_unavailable(response: httpx.Response) -> None:
    assert error_fields(response, 503) == UNAVAILABLE
    assert int(response.headers["retry-after"]) > 0


async def test_a_lost_database_is_503_for_rest_and_graphql_and_the_app_recovers(
    database_url: str, proxy: TcpProxy
) -> None:
    settings = make_settings(_through(database_url, proxy))
    async with serve(settings) as (_app, client):
        user = {"username": "ann", "email": "ann@example.com", "password": PASSWORD}
        registered = await client.post("/api/users", json={"user": user})
        assert registered.status_code == 201, registered.text
        ann = auth(registered.json()["user"]["token"])

        await proxy.stop()
        article = {"article": {"title": "t", "description": "d", "body": "b"}}
        for method, path, body, headers in [
            ("GET", "/api/articles", None, {}),
            ("GET", "/api/articles", None, ann),
            ("GET", "/api/tags", None, {}),
            ("POST", "/api/articles", article, ann),
            (
                "POST",
                "/api/users/login",
                {"user": {"email": user["email"], "password": PASSWORD}},
                {},
            ),
            ("POST", "/api/users", {"user": {**user, "username": "bob", "email": "b@x.io"}}, {}),
            ("GET", "/api/user", None, ann),
        ]:
            response = await client.request(method, path, json=body, headers=headers)
            _assert_unavailable(response)

        for headers in ({}, ann):
            response = await gql(client, "{ articles { totalCount } }", headers=headers)
            assert response.status_code == 503, response.text
            assert int(response.headers["retry-after"]) > 0
            codes = {error["extensions"]["code"] for error in response.json()["errors"]}
            assert codes == {"SERVICE_UNAVAILABLE"}
        response = await gql(
            client,
            'mutation { login(input: {email: "ann@example.com", password: "x"}) { token } }',
        )
        assert response.status_code == 503, response.text

        await proxy.start()
        recovered = await _eventually_ok(client)
        assert recovered.json()["articlesCount"] == 0
        created = await client.post("/api/articles", json=article, headers=ann)
        assert created.status_code == 201, created.text


async def _eventually_ok(client: httpx.AsyncClient) -> httpx.Response:
    """The first requests after the database returns may still meet a connection the pool
    had not yet discarded; within a few tries the app must answer by itself."""
    response = await client.get("/api/articles")
    for _ in range(5):
        if response.status_code == 200:
            return response
        _assert_unavailable(response)
        await asyncio.sleep(0.2)
        response = await client.get("/api/articles")
    assert response.status_code == 200, response.text
    return response
