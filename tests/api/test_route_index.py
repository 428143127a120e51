"""``api.route_index``: routes found in one pass answer exactly what FastAPI's router
answers, route for route: the same status, body and headers, and the same route template
in the metrics, for every route of the app and for the cases left to FastAPI (a method a
route does not take, no match, a trailing slash, mounts and plain routes)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from quillpress.api.route_index import RouteIndex
from quillpress.app import Quillpress, create_app
from quillpress.config import Settings

PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
VOLATILE = {"x-request-id", "server-timing", "set-cookie", "date"}
NONCE = re.compile(rb"nonce[=-]\"?[A-Za-z0-9_-]+")
"""A page's per-response script nonce (in its body and its policy)."""
EXTRA = [
    ("GET", "/api/nope"),  # no match: 404
    ("DELETE", "/api/tags"),  # a method the route does not take: 405 with Allow
    ("PATCH", "/api/articles/some-slug"),
    ("GET", "/api/tags/"),  # the trailing-slash redirect
    ("GET", "/api/articles/feed"),  # also matches {slug}: the first route wins
    ("GET", "/api/articles/some-slug/comments/"),
    ("GET", "/static/console.css"),
    ("GET", "/healthz"),
    ("GET", "/"),
]


def sample_path(template: str) -> str:
    def value(found: re.Match[str]) -> str:
        return {"int": "1", "path": "a/b"}.get(found.group(2) or "", "sample")

    return PARAM.sub(value, template)


def requests_for(app: FastAPI) -> list[tuple[str, str]]:
    wanted: list[tuple[str, str]] = []
    for route in iter_route_contexts(app.router.routes):
        template = route.path_format
        if not template or template == "/metrics":
            continue
        for method in sorted(route.methods or {"GET"}):
            wanted.append((method, sample_path(template)))
    return wanted + EXTRA


async def answer(app: FastAPI, method: str, path: str) -> tuple[int, bytes, list[tuple[str, str]]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.request(method, path, headers={"Origin": "http://testserver"})
    headers = sorted(
        (name, NONCE.sub(b"nonce", value.encode()).decode())
        for name, value in response.headers.items()
        if name not in VOLATILE
    )
    return response.status_code, NONCE.sub(b"nonce", response.content), headers


def request_series(exposition: str) -> list[str]:
    """The ``http_requests_total`` series (method, route, status) with their counts."""
    return sorted(
        line
        for line in exposition.splitlines()
        if line.startswith("http_requests_total{") and "/metrics" not in line
    )


@pytest.fixture
async def router_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """A second app on the same database whose every route FastAPI's router finds."""
    other = create_app(settings)
    assert isinstance(other, Quillpress)
    other.index_routes = False  # read when the stack is built, at the lifespan's start
    async with LifespanManager(other, startup_timeout=30, shutdown_timeout=30):
        yield other


def index_of(app: FastAPI) -> RouteIndex:
    assert isinstance(app, Quillpress)
    assert app.route_index is not None
    return app.route_index


async def test_indexed_and_routed_answers_are_the_same(app: FastAPI, router_app: FastAPI) -> None:
    assert index_of(app).enabled
    assert not index_of(router_app).enabled
    wanted = requests_for(app)
    assert len(wanted) > 60  # every REST, console, GraphQL and operational route
    statuses = set()
    for method, path in wanted:
        indexed = await answer(app, method, path)
        routed = await answer(router_app, method, path)
        assert indexed == routed, (method, path)
        statuses.add(indexed[0])
    assert {200, 303, 307, 401, 404, 405, 422} <= statuses  # answers and refusals alike
    metrics = [await answer(each, "GET", "/metrics") for each in (app, router_app)]
    indexed_series, routed_series = (request_series(m[1].decode()) for m in metrics)
    assert indexed_series == routed_series
    assert any("/api/profiles/{username}" in line for line in indexed_series), indexed_series[:5]
