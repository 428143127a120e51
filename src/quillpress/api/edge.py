"""The edge: one plain ASGI layer around the whole application, doing per request what
four middleware classes did one after the other (measured: each layer is a coroutine
frame, a ``send`` closure and a copy of the response headers, on every request):

- **request id**: a sane incoming ``X-Request-ID`` or a new one, current while the request
  runs (:func:`quillpress.infra.request_context.current_request_id`, so every log line it
  causes carries it) and returned in the response's ``X-Request-ID``;
- **statement stats**: the SQL statements, database time and cache outcome of the request,
  in a ``Server-Timing`` header, in the request metrics and in the one structured log line
  per request (uvicorn's access log is off: this line is the access log);
- **body limit**: a body over ``max_body_bytes`` is answered 413 with the RealWorld JSON
  shape, by declared length before the app runs or as it streams in (hand-written although
  FastAPI has ``max_body_size``: Starlette's limiter answers some cases in plain text, and
  FastAPI's own limit is left unset, so its layer is not in the stack at all);
- **security headers** (:mod:`quillpress.api.security_headers`): on every response, a
  page's own ``Content-Security-Policy`` kept, never duplicated;
- **forwarding headers from an untrusted peer** (:mod:`quillpress.api.forwarding`): one
  warning per process naming ``QUILLPRESS_TRUSTED_PROXIES``.

It sits outside Starlette's ServerErrorMiddleware (:class:`quillpress.app.Quillpress`
builds the stack), so the 500 that one answers an unhandled exception with passes through
here too and carries the request id, the timing and the security headers. The stack:
``Edge → ServerErrorMiddleware → CORS → HttpCaching → … → the app``."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quillpress.api.forwarding import FORWARDED, X_FORWARDED_FOR, ForwardedCheck
from quillpress.api.idempotency import REPLAYED_NAME
from quillpress.api.middleware import (
    REQUEST_ID_HEADER,
    SANE_REQUEST_ID,
    UNTIMED_ROUTES,
    new_request_id,
    route_template,
)
from quillpress.api.security_headers import ALWAYS, API_POLICY, CSP_HEADER, HSTS_HEADER, hsts_value
from quillpress.infra.cache import CacheStats, current_cache_stats
from quillpress.infra.metrics import Metrics
from quillpress.infra.request_context import (
    begin_request_facts,
    bind_request_id,
    end_request_facts,
    unbind_request_id,
)
from quillpress.infra.statements import (
    StatementCount,
    begin_statement_count,
    end_statement_count,
)

log = logging.getLogger("quillpress.request")

PROBE_ROUTES = frozenset({"/healthz", "/readyz"})
"""Liveness and readiness probes: their request lines are DEBUG while they pass."""
CONTENT_LENGTH = b"content-length"
SERVER_TIMING = b"server-timing"


class _BodyTooLarge(BaseException):
    """A BaseException: FastAPI turns any Exception raised while it reads a body into a
    400, and ServerErrorMiddleware any Exception into a 500; this one passes both."""


class Edge:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        hsts_max_age: int | None,
        trusted_proxies: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.forwarding = ForwardedCheck(trusted_proxies)
        hsts = [] if hsts_max_age is None else [(HSTS_HEADER, hsts_value(hsts_max_age))]
        self.security_headers: list[tuple[bytes, bytes]] = [
            *ALWAYS,
            *hsts,
            (CSP_HEADER, API_POLICY.encode()),
        ]
        self._security_names = frozenset(name for name, _ in self.security_headers)
        self._too_large = orjson.dumps(
            {"errors": {"body": [f"is too large (maximum is {max_body_bytes} bytes)"]}}
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id: str | None = None
        declared: bytes | None = None
        forwarded_for: list[bytes] = []
        forwarded: list[bytes] = []
        for name, value in scope["headers"]:
            name = name.lower()
            if name == REQUEST_ID_HEADER:
                if request_id is None:  # the first one counts, as a sane value or not
                    request_id = value.decode("ascii") if SANE_REQUEST_ID.fullmatch(value) else ""
            elif name == CONTENT_LENGTH:
                declared = value
            elif name == X_FORWARDED_FOR:
                forwarded_for.append(value)
            elif name == FORWARDED:
                forwarded.append(value)
        if not request_id:
            request_id = new_request_id()

        cache = CacheStats()
        id_token = bind_request_id(request_id)
        if forwarded_for or forwarded:  # the warning, if any, carries the request id
            self.forwarding.inspect(scope.get("client"), forwarded_for, forwarded)
        stats, stats_token = begin_statement_count()
        cache_token = current_cache_stats.set(cache)
        facts, facts_token = begin_request_facts()
        started = time.perf_counter()
        status = 500
        responded = False
        replayed = False
        id_header = (REQUEST_ID_HEADER, request_id.encode("ascii"))
        security_headers, security_names = self.security_headers, self._security_names

        async def edge_send(message: Message) -> None:
            nonlocal status, responded, replayed
            if message["type"] == "http.response.start":
                status = message["status"]
                responded = True
                headers = list(message.get("headers", ()))  # a copy: never grow a shared list
                present = {name.lower() for name, _ in headers}
                replayed = REPLAYED_NAME in present
                noun = "statement" if stats.count == 1 else "statements"
                timing = (
                    f'db;dur={stats.seconds * 1000.0:.1f};desc="{stats.count} {noun}", '
                    f'cache;desc="{cache.description}"'
                )
                if stats.route is not None:  # only with replicas configured
                    timing += f', dbroute;desc="{stats.route}"'
                headers.append((SERVER_TIMING, timing.encode()))
                headers.append(id_header)
                if present.isdisjoint(security_names):
                    headers += security_headers
                else:
                    headers += [item for item in security_headers if item[0] not in present]
                message = {**message, "headers": headers}
            await send(message)

        limit = self.max_body_bytes
        try:
            if declared is not None and declared.isdigit() and int(declared) > limit:
                await self._reject(edge_send)
            else:
                received = 0

                async def limited_receive() -> Message:
                    nonlocal received
                    message = await receive()
                    if message["type"] == "http.request":
                        received += len(message.get("body", b""))
                        if received > limit:
                            raise _BodyTooLarge
                    return message

                try:
                    await self.app(scope, limited_receive, edge_send)
                except _BodyTooLarge:
                    if not responded:
                        await self._reject(edge_send)
        finally:
            seconds = time.perf_counter() - started
            end_statement_count(stats_token)
            current_cache_stats.reset(cache_token)
            end_request_facts(facts_token)
            self._record(scope, status, seconds, stats, cache, facts.user_id, replayed=replayed)
        # Not in the `finally`: on an unhandled exception the id stays bound, so the
        # server's own line about it (uvicorn's "Exception in ASGI application", logged in
        # this task right after) carries the id too; the task ends right after, taking the
        # binding with it.
        unbind_request_id(id_token)

    async def _reject(self, send: Send) -> None:
        body = self._too_large
        headers: list[Any] = [
            (b"content-type", b"application/json"),
            (CONTENT_LENGTH, str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _record(
        self,
        scope: Scope,
        status: int,
        seconds: float,
        stats: StatementCount,
        cache: CacheStats,
        user_id: int | None,
        *,
        replayed: bool,
    ) -> None:
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
            if replayed:  # an Idempotency-Key's first result answered again
                metrics.idempotent_replay(route)
        # A probe that passes is DEBUG: orchestrators ask every few seconds per instance,
        # and at INFO those lines outnumbered the traffic's. A failing one (a 503 from
        # /readyz) stays INFO: that is when an operator reads them.
        level = logging.DEBUG if route in PROBE_ROUTES and status < 400 else logging.INFO
        if log.isEnabledFor(level):  # the fields cost more than a disabled line
            log.log(
                level,
                "request",
                extra={
                    "method": scope["method"],
                    "route": route,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "user_id": user_id,
                    "sql_statements": stats.count,
                    "sql_ms": round(stats.seconds * 1000.0, 2),
                    "cache": cache.outcome,
                    "cache_hits": cache.hits,
                    "cache_misses": cache.misses,
                },
            )


def _metrics_of(scope: Scope) -> Metrics | None:
    resources = getattr(getattr(scope.get("app"), "state", None), "resources", None)
    return getattr(resources, "metrics", None)
