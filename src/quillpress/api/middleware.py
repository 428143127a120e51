"""Plain ASGI middleware shared by both adapters (no per-request framework overhead)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import orjson
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quillpress.db.stats import StatementStats, current_stats
from quillpress.infra.cache import CacheStats, current_cache_stats
from quillpress.infra.metrics import UNMATCHED, Metrics
from quillpress.infra.request_context import (
    begin_request_facts,
    bind_request_id,
    end_request_facts,
    unbind_request_id,
)

log = logging.getLogger("quillpress.request")

REQUEST_ID_HEADER = b"x-request-id"
SANE_REQUEST_ID = re.compile(rb"[\x21-\x7e]{1,128}")
"""1 to 128 printable ASCII characters, no spaces: what proxies and tracing systems send
(UUIDs, hex trace ids), safe to echo in a header and to log unescaped, short enough that a
client cannot bloat every log line."""


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The client's ``X-Request-ID`` when it is sane, else a new random one."""
    for name, value in headers:
        if name.lower() == REQUEST_ID_HEADER:
            if SANE_REQUEST_ID.fullmatch(value):
                return value.decode("ascii")
            break
    return uuid.uuid4().hex


class RequestId:
    """Gives every HTTP request an id: a sane incoming ``X-Request-ID`` or a new one.

    The id is current (:func:`quillpress.infra.request_context.current_request_id`) while
    the request runs, so every log line it causes carries it, and it is returned in the
    response's ``X-Request-ID`` header. Added last, it is the outermost user middleware:
    the 413 of :class:`BodySizeLimit` and every 404 carry it too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope["headers"])
        header = (REQUEST_ID_HEADER, request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append(header)
            await send(message)

        token = bind_request_id(request_id)
        await self.app(scope, receive, send_with_id)
        # Not in a `finally`: on an unhandled exception the id stays bound, because
        # Starlette's ServerErrorMiddleware (outside every user middleware) logs it and
        # answers the 500 after this frame is gone, and that line must carry the id too.
        # The request's task ends right after, taking the binding with it.
        unbind_request_id(token)


def statement_stats() -> StatementStats | None:
    """The current request's SQL statement counter (``None`` outside a request)."""
    return current_stats.get()


UNTIMED_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
"""Operational routes: counted in ``http_requests_total`` but kept out of the latency and
statement histograms (probes every few seconds would drown the real traffic's figures)."""


ROUTE_KEY = "quillpress.route"
"""Where a layer that answers before routing names the route template it answered."""


def route_template(scope: Scope) -> str:
    """The matched route's template (``/api/articles/{slug}``), read after routing; never
    the raw path (one series per slug would explode), ``"unmatched"`` when nothing matched.

    FastAPI keeps the route of an included router without the router's prefix; the
    effective route (prefix applied) is what it put in its own scope entry. Plain
    Starlette routes (``/graphql``, ``/metrics``, the ``/static`` mount) leave only their
    endpoint in the scope: their template is looked up among the app's routes."""
    named = scope.get(ROUTE_KEY)
    if isinstance(named, str):  # answered before routing (api.response_cache)
        return named
    effective = (scope.get("fastapi") or {}).get("effective_route_context")
    template = getattr(effective, "path_format", None) or getattr(
        scope.get("route"), "path_format", None
    )
    if not template and "endpoint" in scope:
        template = _template_of_endpoint(scope.get("app"), scope["endpoint"])
    return template if isinstance(template, str) and template else UNMATCHED


def _template_of_endpoint(app: Any, endpoint: Any) -> str | None:
    for route in getattr(app, "routes", ()):
        if isinstance(route, Mount) and route.app is endpoint:
            return f"{route.path}/{{path}}"
        if getattr(route, "endpoint", None) == endpoint:
            found: str | None = getattr(route, "path_format", None)
            return found
    return None


def _metrics_of(scope: Scope) -> Metrics | None:
    resources = getattr(getattr(scope.get("app"), "state", None), "resources", None)
    return getattr(resources, "metrics", None)


class RequestStats:
    """Counts the SQL statements, database time and cache outcome (hit, miss, bypass or
    none) of each request, reports them in a ``Server-Timing`` header, records them in the
    request metrics and writes the one structured log line per request (uvicorn's access
    log is off: this line is the access log)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        stats = StatementStats()
        token = current_stats.set(stats)
        cache = CacheStats()
        cache_token = current_cache_stats.set(cache)
        facts, facts_token = begin_request_facts()
        started = time.perf_counter()
        status = 500

        async def send_with_timing(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                noun = "statement" if stats.count == 1 else "statements"
                timing = (
                    f'db;dur={stats.milliseconds:.1f};desc="{stats.count} {noun}", '
                    f'cache;desc="{cache.description}"'
                )
                if stats.route is not None:  # only with replicas configured
                    timing += f', dbroute;desc="{stats.route}"'

                message.setdefault("headers", []).append((b"server-timing", timing.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_timing)
        finally:
            seconds = time.perf_counter() - started
            current_stats.reset(token)
            current_cache_stats.reset(cache_token)
            end_request_facts(facts_token)
            route = route_template(scope)
            metrics = _metrics_of(scope)
            if metrics is not None:
                metrics.request(
                    method=scope["method"],
                    route=route,
                    status=status,
                    seconds=seconds,
                    statements=stats.count,
                    timed=route not in UNTIMED_ROUTES,
                )
                metrics.cache_result(cache.outcome)
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": route,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "user_id": facts.user_id,
                    "sql_statements": stats.count,
                    "sql_ms": round(stats.milliseconds, 2),
                    "cache": cache.outcome,
                    "cache_hits": cache.hits,
                    "cache_misses": cache.misses,
                },
            )


class _BodyTooLarge(BaseException):
    """A BaseException: FastAPI turns any Exception raised while it reads a body into a 400."""


class BodySizeLimit:
    """Rejects bodies over ``max_bytes`` with 413, by declared length or as they stream in.

    Hand-written although FastAPI has ``max_body_size``: Starlette's limiter answers some
    cases with a plain-text 413, and every error here must have the RealWorld JSON shape,
    on the REST routes and on ``/graphql`` alike."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        body = orjson.dumps(
            {"errors": {"body": [f"is too large (maximum is {self.max_bytes} bytes)"]}}
        )
        headers: list[Any] = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
