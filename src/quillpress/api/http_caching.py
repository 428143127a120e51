"""HTTP caching for ``GET /api``: an ``ETag`` on every 200, ``304`` for a matching
``If-None-Match``, and a ``Cache-Control`` per kind of data.

- Anonymous reads are the same for everyone: ``public, no-cache`` (any cache may keep
  them, and must revalidate: the server's own cache is never stale, so neither are these).
- Signed-in reads of public resources carry the viewer's flags: ``private, no-cache``.
- Personal data is never stored anywhere: ``no-store``, and no ETag. What is personal is
  read off the matched route, not a list of paths (``api.rest.traits``): every route only
  a signed-in user may call (a required-authentication dependency) is personal,
  ``/api/user``, its sessions and the admin API among them, and so is every such route
  added later, unless its handler is marked ``cacheable_per_viewer`` (the feed: public
  articles the viewer's follows pick, as cacheable as a signed-in article list).

The answer to any other method on a personal route (``PUT /api/user``, the admin API's
``PUT``) says ``no-store`` too, so no route has to set it by hand.

Every GET response also says ``Vary: Authorization``, and one to a request carrying cookie
mode's session cookie ``Vary: Authorization, Cookie`` (its answer depends on the cookie:
a cache must never hand it to a request without that cookie, nor the reverse), merged into
the ``Vary`` the response already has (``Host`` on a page whose ``Link`` names the
request's host): one header, each name once.

Plain ASGI rather than a framework middleware: it buffers only ``GET /api`` bodies (small
JSON), nothing else is touched. The ETag is a weak hash of the body, so a 304 still costs
the server its (cached) read, but not the transfer."""

from __future__ import annotations

import hashlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quillpress.api.rest.traits import is_personal

DROPPED_ON_304 = {b"content-length", b"content-type"}
NO_STORE = (b"cache-control", b"no-store")
SESSION_COOKIE = b"qp_session="
"""Cookie mode's session cookie in a ``Cookie`` header (``__Host-qp_session=`` too)."""
VARY = b"Authorization"
VARY_WITH_COOKIE = b"Authorization, Cookie"


def vary_for(cookie: bytes | None) -> bytes:
    """``Vary`` of a GET answer to a request with this ``Cookie`` header (or none)."""
    return VARY_WITH_COOKIE if cookie is not None and SESSION_COOKIE in cookie else VARY


def with_vary(headers: list[tuple[bytes, bytes]], *names: bytes) -> list[tuple[bytes, bytes]]:
    """``headers`` with one ``Vary`` (last) naming what theirs named and ``names``, each
    once whatever its case: another layer's ``Vary`` is added to, never replaced."""
    kept: list[tuple[bytes, bytes]] = []
    varies: list[bytes] = []
    for name, value in headers:
        if name.lower() == b"vary":
            varies += [part.strip() for part in value.split(b",") if part.strip()]
        else:
            kept.append((name, value))
    seen: set[bytes] = set()
    merged = []
    for name in (*varies, *names):
        if name.lower() not in seen:
            seen.add(name.lower())
            merged.append(name)
    return [*kept, (b"vary", b", ".join(merged))]


def etag_of(body: bytes) -> bytes:
    return b'W/"' + hashlib.blake2b(body, digest_size=16).hexdigest().encode() + b'"'


def matches(if_none_match: bytes, etag: bytes) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): ``W/`` prefixes do not count."""
    wanted = etag.removeprefix(b"W/")
    for candidate in if_none_match.split(b","):
        candidate = candidate.strip()
        if candidate == b"*" or candidate.removeprefix(b"W/") == wanted:
            return True
    return False


class HttpCaching:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # id(route) → is_personal(route): routes live as long as the app, and Starlette's
        # routes compare by value, so they cannot be dict keys themselves.
        self._personal: dict[int, bool] = {}

    def _is_personal(self, route: object) -> bool:
        known = self._personal.get(id(route))
        if known is None:
            known = self._personal[id(route)] = is_personal(route)
        return known

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        if scope["method"] != "GET":  # a HEAD body is empty: no ETag to compute
            await self.app(scope, receive, self._no_store_if_personal(scope, send))
            return
        request_headers = dict(scope["headers"])
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffering_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            # The router has matched by now and left the route in the (shared) scope.
            personal = self._is_personal(scope.get("route"))
            await self._finish(start, b"".join(chunks), request_headers, personal, send)

        await self.app(scope, receive, buffering_send)

    def _no_store_if_personal(self, scope: Scope, send: Send) -> Send:
        async def marking_send(message: Message) -> None:
            if message["type"] == "http.response.start" and self._is_personal(scope.get("route")):
                message = {**message, "headers": [*message.get("headers", []), NO_STORE]}
            await send(message)

        return marking_send

    async def _finish(
        self,
        start: Message,
        body: bytes,
        request_headers: dict[bytes, bytes],
        personal: bool,
        send: Send,
    ) -> None:
        headers = list(start.get("headers", []))
        if start["status"] != 200:
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        vary = vary_for(request_headers.get(b"cookie"))
        if personal:
            policy = b"no-store"
        elif b"authorization" in request_headers or vary is VARY_WITH_COOKIE:
            policy = b"private, no-cache"  # signed in by header or by the session cookie
        else:
            policy = b"public, no-cache"
        headers = with_vary([*headers, (b"cache-control", policy)], *vary.split(b", "))
        if not personal:
            etag = etag_of(body)
            headers.append((b"etag", etag))
            if_none_match = request_headers.get(b"if-none-match")
            if if_none_match is not None and matches(if_none_match, etag):
                kept = [(name, value) for name, value in headers if name not in DROPPED_ON_304]
                await send({**start, "status": 304, "headers": kept})
                await send({"type": "http.response.body", "body": b""})
                return
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
