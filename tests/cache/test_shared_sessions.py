"""Two app instances sharing one Redis and one database: the session lookup is cached in
Redis (no statement on the hot path), and a revocation through one instance refuses the
token on the very next request through the other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
from sqlalchemy import text

from quillpress.db.engine import create_engine
from tests.conftest import make_settings, truncate
from tests.helpers import register, serve, sign_in, statement_count

INVALID_TOKEN = {"errors": {"token": ["is invalid"]}}
Pair = tuple[httpx.AsyncClient, httpx.AsyncClient]


@pytest.fixture
async def pair(database_url: str, redis_settings: dict[str, object]) -> AsyncIterator[Pair]:
    async with AsyncExitStack() as stack:
        a_app, a = await stack.enter_async_context(
            serve(make_settings(database_url, **redis_settings))
        )
        _, b = await stack.enter_async_context(serve(make_settings(database_url, **redis_settings)))
        try:
            yield a, b
        finally:
            await truncate(a_app.state.resources.database.engine)


async def warm(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Look the session up once, then check the next lookup is served by Redis."""
    assert (await client.get("/api/tags", headers=headers)).status_code == 200
    cached = await client.get("/api/tags", headers=headers)
    assert cached.status_code == 200
    assert statement_count(cached) == 0  # the tags are cached too: the session cost nothing


async def test_an_authenticated_hot_path_adds_no_statement_with_redis(pair: Pair) -> None:
    a, _ = pair
    headers = await register(a, "ann")
    await warm(a, headers)
    me = await a.get("/api/user", headers=headers)
    assert statement_count(me) == 1  # the account itself; the session check is cached


async def test_a_logout_on_one_instance_refuses_the_token_on_the_other(pair: Pair) -> None:
    a, b = pair
    headers = await register(a, "ann")
    await warm(b, headers)
    assert (await a.post("/api/users/logout", headers=headers)).status_code == 204
    assert (await b.get("/api/tags", headers=headers)).json() == INVALID_TOKEN


async def test_a_revoked_session_is_refused_on_the_other_instance(pair: Pair) -> None:
    a, b = pair
    laptop = await register(a, "ann")
    phone = await sign_in(a, "ann")
    await warm(b, phone)
    listed = (await a.get("/api/user/sessions", headers=phone)).json()["sessions"]
    phone_id = next(entry["id"] for entry in listed if entry["current"])
    assert (await a.delete(f"/api/user/sessions/{phone_id}", headers=laptop)).status_code == 204
    assert (await b.get("/api/tags", headers=phone)).json() == INVALID_TOKEN
    assert (await b.get("/api/tags", headers=laptop)).status_code == 200


async def test_logout_all_and_a_password_change_reach_the_other_instance(pair: Pair) -> None:
    a, b = pair
    laptop = await register(a, "ann")
    phone = await sign_in(a, "ann")
    tablet = await sign_in(a, "ann")
    for headers in (laptop, phone, tablet):
        await warm(b, headers)
    changed = await a.put(
        "/api/user", json={"user": {"password": "new-passphrase-1"}}, headers=laptop
    )
    assert changed.status_code == 200
    assert (await b.get("/api/tags", headers=phone)).json() == INVALID_TOKEN
    assert (await b.get("/api/tags", headers=laptop)).status_code == 200
    assert (await a.post("/api/users/logout-all", headers=laptop)).status_code == 204
    assert (await b.get("/api/tags", headers=laptop)).json() == INVALID_TOKEN


async def test_a_role_change_applies_on_the_next_request_of_the_other_instance(
    pair: Pair, database_url: str
) -> None:
    a, b = pair
    ann = await register(a, "ann")
    bob = await register(a, "bob")
    created = await a.post(
        "/api/articles",
        json={"article": {"title": "Bob's", "description": "d", "body": "b"}},
        headers=bob,
    )
    slug = created.json()["article"]["slug"]
    comment = await a.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": "x"}}, headers=bob
    )
    comment_id = comment.json()["comment"]["id"]
    await warm(b, ann)
    # No use case changes a role yet: write it in SQL, then any user update through the
    # use case publishes ``UserUpdated``, whose purge retires every cached session of ann.
    engine = create_engine(make_settings(database_url).database_url, null_pool=True)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE app_user SET role = 'admin' WHERE username = 'ann'"))
    finally:
        await engine.dispose()
    assert (
        await a.put("/api/user", json={"user": {"bio": "now admin"}}, headers=ann)
    ).status_code == 200
    deleted = await b.delete(f"/api/articles/{slug}/comments/{comment_id}", headers=ann)
    assert deleted.status_code == 204, deleted.text
