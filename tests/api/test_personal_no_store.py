"""Personal data is ``Cache-Control: no-store`` by the route's trait, not by a list of
paths: a sign-in-only route added tomorrow (the admin API, say) is personal without anyone
remembering to say so; the feed is the one sign-in-only read marked cacheable per viewer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from quillpress.api.rest.deps import CurrentPrincipal, CurrentViewer
from quillpress.api.rest.responses import JsonResponse
from quillpress.api.rest.traits import is_personal
from quillpress.app import create_app
from tests.conftest import make_settings, migrate_database
from tests.helpers import register


def _app(url: str) -> FastAPI:
    """The real app plus two routes of the kind other work adds: one only a signed-in user
    may call, one anyone may."""
    app = create_app(make_settings(url))

    async def new_personal(viewer: CurrentPrincipal) -> JsonResponse:
        return JsonResponse({"users": [{"id": viewer.user_id, "email": "x@example.com"}]})

    async def new_public(viewer: CurrentViewer) -> JsonResponse:
        return JsonResponse({"hello": "world"})

    app.add_api_route("/api/admin/probe", new_personal, methods=["GET"])
    app.add_api_route("/api/probe", new_public, methods=["GET"])
    return app


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'personal.db'}"
    await migrate_database(url)
    app = _app(url)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.mark.parametrize("path", ["/api/user", "/api/user/sessions", "/api/admin/probe"])
async def test_sign_in_only_reads_are_never_stored(client: httpx.AsyncClient, path: str) -> None:
    signed_in = await register(client, "ada")
    response = await client.get(path, headers=signed_in)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers
    again = await client.get(path, headers={**signed_in, "If-None-Match": "*"})
    assert again.status_code == 200  # no validator, so never a 304


async def test_a_write_to_a_sign_in_only_route_is_never_stored(client: httpx.AsyncClient) -> None:
    signed_in = await register(client, "ada")
    response = await client.put("/api/user", json={"user": {"bio": "hi"}}, headers=signed_in)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"  # the account's email, in a PUT


async def test_a_sign_in_on_a_public_route_is_no_store_for_the_token_it_carries(
    client: httpx.AsyncClient,
) -> None:
    """Register is not personal by route (anyone may call it), but its answer carries a
    token: ``no-store`` from the handler (every login, register and refresh)."""
    body = {"user": {"username": "bob", "email": "bob@example.com", "password": "x" * 12}}
    response = await client.post("/api/users", json=body)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"


async def test_the_feed_is_cacheable_per_viewer(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/articles/feed", headers=await register(client, "ada"))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-cache"
    assert response.headers["etag"].startswith('W/"')


async def test_a_new_public_read_is_not_personal(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/api/probe")
    assert anonymous.headers["cache-control"] == "public, no-cache"
    signed_in = await client.get("/api/probe", headers=await register(client, "ada"))
    assert signed_in.headers["cache-control"] == "private, no-cache"


def test_every_sign_in_only_get_but_the_feed_is_personal(tmp_path: Path) -> None:
    """Over the app's real routes, so a route merged from another branch is covered too."""
    app = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"))
    personal = {
        context.path_format
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and "GET" in (context.original_route.methods or ())
        and is_personal(context.original_route)
    }
    assert {"/api/user", "/api/user/sessions"} <= personal
    assert "/api/articles/feed" not in personal
    public = {"/api/articles", "/api/articles/{slug}", "/api/profiles/{username}", "/api/tags"}
    assert not personal & public
    assert all(path.startswith("/api/") for path in personal)
