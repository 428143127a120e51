"""A ban or a demotion through one instance applies to the very next request through
another, though both cache session lookups in one Redis: the write's after-commit events
(``SessionRevoked`` for a ban, ``UserUpdated`` for any role or ban change) purge them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import make_settings, truncate
from tests.helpers import gql, register, serve, sign_in, statement_count

Pair = tuple[httpx.AsyncClient, httpx.AsyncClient]
INVALID_TOKEN = {"errors": {"token": ["is invalid"]}}


@pytest.fixture
async def pair(database_url: str, redis_settings: dict[str, object]) -> AsyncIterator[Pair]:
    async with AsyncExitStack() as stack:
        a_app, a = await stack.enter_async_context(
            serve(make_settings(database_url, **redis_settings))
        )
        _, b = await stack.enter_async_context(serve(make_settings(database_url, **redis_settings)))
        try:
            await register(a, "root")
            async with a_app.state.resources.database.engine.begin() as conn:
                await conn.execute(
                    text("UPDATE app_user SET role = 'admin' WHERE username = 'root'")
                )
            yield a, b
        finally:
            await truncate(a_app.state.resources.database.engine)


async def test_a_ban_on_one_instance_refuses_the_cached_session_on_the_other(pair: Pair) -> None:
    a, b = pair
    root = await sign_in(a, "root")
    ann = await register(a, "ann")
    await b.get("/api/tags", headers=ann)
    warm = await b.get("/api/tags", headers=ann)
    assert statement_count(warm) == 0  # the session lookup is served by Redis
    banned = await a.put("/api/admin/users/ann", json={"user": {"banned": True}}, headers=root)
    assert banned.status_code == 200, banned.text
    assert (await b.get("/api/tags", headers=ann)).json() == INVALID_TOKEN
    graphql = await gql(b, "{ viewer { username } }", headers=ann)
    assert graphql.status_code == 401


async def test_a_demotion_on_one_instance_is_403_on_the_other_at_once(pair: Pair) -> None:
    a, b = pair
    root = await sign_in(a, "root")
    await register(a, "second")
    await a.put("/api/admin/users/second", json={"user": {"role": "admin"}}, headers=root)
    second = await sign_in(a, "second")
    assert (await b.get("/api/admin/users", headers=second)).status_code == 200
    again = await b.get("/api/admin/users", headers=second)
    assert statement_count(again) == 2  # the page and the total: the session was cached
    demoted = await a.put("/api/admin/users/second", json={"user": {"role": "user"}}, headers=root)
    assert demoted.status_code == 200, demoted.text
    refused = await b.get("/api/admin/users", headers=second)
    assert refused.status_code == 403
    assert refused.json() == {"errors": {"admin": ["forbidden"]}}
    graphql = await gql(b, "{ adminUsers { totalCount } }", headers=second)
    assert graphql.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
