"""``api.rest.binding``: the hot reads bound without FastAPI's dependency solver answer
exactly what FastAPI's own binding answers, for valid and invalid parameters alike."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from fastapi.routing import APIRoute

from quillpress.api.rest import articles, comments, profiles, tags, users
from quillpress.api.rest.binding import BoundRoute, plan_of
from quillpress.app import create_app
from quillpress.config import Settings
from tests.helpers import create_article, register

HOT = {
    "/articles",
    "/articles/feed",
    "/articles/{slug}",
    "/profiles/{username}",
    "/user",
    "/tags",
    "/articles/{slug}/comments",
}

QUERIES = [
    "",
    "?limit=2",
    "?limit=2&offset=1",
    "?limit=1&limit=3",  # the last value counts, as FastAPI reads it
    "?limit=abc",
    "?limit=-1",
    "?limit=+2",
    "?limit=%C2%B2",  # a superscript two: a digit to str.isdigit, not to FastAPI
    "?limit=0",
    "?limit=100000",
    "?offset=x",
    "?offset=1&cursor=abc",
    "?cursor=" + "x" * 201,
    "?cursor=garbage",
    "?tag=dragons",
    "?tag=" + "t" * 201,
    "?author=ann&favorited=bob",
    "?tag=",
    "?unknown=1",
    "?session=cookie",
    "?q=dragons",
    "?q=dragons&limit=1",
    "?q=dragons&tag=dragons&author=ann",
    "?q=%22dragons",
    "?q=-dragons",
    "?q=",
    "?q=" + "q" * 201,
    "?q=dragons&cursor=garbage",
    "?q=dragons&offset=1&cursor=abc",
    "?q=nothing",
]


def test_every_hot_read_is_bound_and_no_write_is() -> None:
    routes = [
        route
        for module in (articles, comments, profiles, tags, users)
        for route in module.router.routes
        if isinstance(route, APIRoute)
    ]
    assert all(isinstance(route, BoundRoute) for route in routes)
    bound = {route.path for route in routes if plan_of(route) is not None}
    assert bound == HOT


@pytest.fixture
async def unbound_app(settings: Settings, app: FastAPI) -> AsyncIterator[FastAPI]:
    """A second app on the same database whose routes all bind through FastAPI. The routes
    are module-level objects shared by both apps, and each app builds its handlers on its
    first request to them: ``app``'s are built first, with the binder."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        for path in ("/api/articles", "/api/profiles/x", "/api/user", "/api/tags"):
            await http.get(path)
        await http.get("/api/articles/x/comments")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BoundRoute, "get_route_handler", APIRoute.get_route_handler)
        other = create_app(settings)
        async with LifespanManager(other, startup_timeout=30, shutdown_timeout=30):
            yield other


async def answer(
    app: FastAPI, path: str, headers: dict[str, str]
) -> tuple[int, bytes, dict[str, str]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get(path, headers=headers)
    kept = {
        name: value
        for name, value in response.headers.items()
        if name not in {"x-request-id", "server-timing", "content-security-policy"}
    }
    return response.status_code, response.content, kept


async def test_bound_and_solved_answers_are_the_same(
    app: FastAPI, unbound_app: FastAPI, client: httpx.AsyncClient
) -> None:
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    slug = (await create_article(client, ann, title="Dragons", tagList=["dragons"]))["slug"]
    await create_article(client, bob, title="Other")
    await client.post(f"/api/articles/{slug}/favorite", headers=bob)
    await client.post("/api/profiles/ann/follow", headers=bob)
    await client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": "Hi"}}, headers=bob
    )
    paths = [f"/api/articles{query}" for query in QUERIES]
    paths += [f"/api/articles/feed{query}" for query in QUERIES[:6]]
    paths += [f"/api/articles/{slug}", "/api/articles/missing", f"/api/articles/{slug}?x=1"]
    paths += ["/api/profiles/ann", "/api/profiles/nobody", "/api/tags", "/api/user"]
    paths += [f"/api/articles/{slug}/comments", "/api/articles/missing/comments"]
    compared = 0
    for headers in ({}, bob, {"Authorization": "Token not-a-token"}):
        for path in paths:
            bound = await answer(app, path, headers)
            solved = await answer(unbound_app, path, headers)
            assert bound == solved, (path, headers)
            compared += 1
    assert compared == 3 * len(paths)
    statuses = {(await answer(app, path, bob))[0] for path in paths}
    assert {200, 404, 422} <= statuses  # the matrix reaches answers and refusals
