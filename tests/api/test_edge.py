"""The edge layer on its own (``api.edge.Edge`` around a bare ASGI app): what it adds to
every response, the body limit, and the route a layer named before routing. The whole
app's behaviour (request ids, Server-Timing, 413s, security headers on a 500, metrics,
the request line) is covered in tests/api, tests/rest and tests/infra."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.types import Message, Receive, Scope, Send

from quillpress.api.edge import Edge
from quillpress.api.middleware import route_template
from quillpress.api.security_headers import API_POLICY
from quillpress.infra.request_context import current_request_id

SHARED_HEADERS = [(b"content-type", b"application/json")]


async def shared_headers_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with one module-level header list, as a response built once would."""
    await send({"type": "http.response.start", "status": 200, "headers": SHARED_HEADERS})
    await send({"type": "http.response.body", "body": b"{}"})


def client(app: Any, **options: Any) -> httpx.AsyncClient:
    edge = Edge(app, max_body_bytes=options.pop("max_body_bytes", 64), hsts_max_age=None)
    transport = httpx.ASGITransport(app=edge, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_every_response_gets_id_timing_and_security_headers_once() -> None:
    async with client(shared_headers_app) as http:
        first = await http.get("/", headers={"X-Request-ID": "edge-1"})
        second = await http.get("/")
    assert first.headers["x-request-id"] == "edge-1"
    assert first.headers["server-timing"] == 'db;dur=0.0;desc="0 statements", cache;desc="none"'
    assert first.headers.get_list("content-security-policy") == [API_POLICY]
    assert first.headers.get_list("x-frame-options") == ["DENY"]
    assert second.headers.get_list("x-request-id") != ["edge-1"]
    assert SHARED_HEADERS == [(b"content-type", b"application/json")]  # never grown


async def test_a_page_keeps_its_own_policy() -> None:
    async def page(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/html"), (b"Content-Security-Policy", b"x")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"<p>"})

    async with client(page) as http:
        response = await http.get("/")
    assert response.headers.get_list("content-security-policy") == ["x"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_500_of_server_error_middleware_carries_the_id_and_headers() -> None:
    seen: list[str | None] = []

    async def boom(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(current_request_id())
        raise RuntimeError("boom")

    async with client(ServerErrorMiddleware(boom)) as http:
        response = await http.get("/", headers={"X-Request-ID": "boom-2"})
    assert response.status_code == 500
    assert seen == ["boom-2"]
    assert response.headers["x-request-id"] == "boom-2"
    assert response.headers.get_list("content-security-policy") == [API_POLICY]


async def echo_body(scope: Scope, receive: Receive, send: Send) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_body_over_the_limit_is_a_json_413(streamed: bool) -> None:
    async def chunks() -> Any:
        for _ in range(4):
            yield b"x" * 20

    content: Any = chunks() if streamed else b"x" * 80
    async with client(echo_body) as http:
        response = await http.post("/", content=content, headers={"X-Request-ID": "big-1"})
    assert response.status_code == 413
    assert response.json() == {"errors": {"body": ["is too large (maximum is 64 bytes)"]}}
    assert response.headers["x-request-id"] == "big-1"
    assert response.headers["x-frame-options"] == "DENY"


async def test_a_body_at_the_limit_reaches_the_app() -> None:
    async with client(echo_body) as http:
        response = await http.post("/", content=b"x" * 64)
    assert (response.status_code, response.content) == (200, b"x" * 64)


async def test_a_body_over_the_limit_after_the_response_started_sends_nothing_more() -> None:
    async def answer_then_read(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"early", "more_body": True})
        while (await receive()).get("more_body", False):
            pass

    sent: list[Message] = []
    chunks = iter([b"x" * 50, b"x" * 50])

    async def receive() -> Message:
        return {"type": "http.request", "body": next(chunks), "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""}
    await Edge(answer_then_read, max_body_bytes=64, hsts_max_age=None)(scope, receive, send)
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 200


def test_a_route_named_before_routing_counts_first() -> None:
    assert route_template({"quillpress.route": "/api/articles"}) == "/api/articles"
    assert route_template({"quillpress.route": None}) == "unmatched"
    assert route_template({}) == "unmatched"


def test_hsts_only_when_configured() -> None:
    with_hsts = Edge(shared_headers_app, max_body_bytes=64, hsts_max_age=600)
    without = Edge(shared_headers_app, max_body_bytes=64, hsts_max_age=None)
    assert (b"strict-transport-security", b"max-age=600; includeSubDomains") in (
        with_hsts.security_headers
    )
    assert all(name != b"strict-transport-security" for name, _ in without.security_headers)
