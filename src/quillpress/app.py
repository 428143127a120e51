"""The application factory. Resources (database, security, event bus…) belong to the
lifespan; nothing connects at import time, and tests build their own app from their own
settings."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi._body_limit import AppBodyLimitMiddleware
from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from fastapi.telemetry import TelemetryConfig
from fastapi.telemetry._asgi import ExceptionTelemetryMiddleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp, ExceptionHandler

from quillpress import __version__
from quillpress.api import (
    allow,
    avatars,
    console,
    cors,
    docs,
    edge,
    front,
    health,
    http_caching,
    jwks,
    middleware,
    response_cache,
    route_index,
)
from quillpress.api import metrics as metrics_endpoint
from quillpress.api.graphql.endpoint import GraphQLEndpoint
from quillpress.api.rest import errors as rest_errors
from quillpress.api.rest import openapi
from quillpress.api.rest import router as rest_router
from quillpress.api.rest.responses import JsonResponse
from quillpress.config import Settings
from quillpress.infra.logging import configure_logging
from quillpress.infra.security import Security
from quillpress.wiring import open_resources

log = logging.getLogger("quillpress.lifespan")


class Quillpress(FastAPI):
    """FastAPI with the middleware stack built here, with the layers every request pays for
    kept to what it needs::

        Edge → ServerErrorMiddleware → (ExceptionTelemetry, tracing only) → user middleware
        (CORS → ResponseCache → HttpCaching) → ExceptionMiddleware → AsyncExitStack → router

    :class:`~quillpress.api.edge.Edge` (request id, statement stats and the request's log
    line, body limit, security headers) is outermost: the 500 ServerErrorMiddleware answers
    an unhandled exception with goes straight to the server otherwise, and must carry the
    request id and the security headers too. FastAPI's own stack also has a body-limit
    layer (left out: ``max_body_size`` is not set, the edge's limit answers in JSON) and an
    exception-telemetry layer that does nothing unless tracing is on (left out otherwise)."""

    hsts_max_age: int | None = None
    max_body_bytes: int = 1_048_576
    tracing: bool = False
    allowed_methods: allow.AllowedMethods | None = None
    """Every route's methods by path, for a 405's ``Allow`` (``api.allow``)."""
    trusted_proxies: tuple[str, ...] = ()
    index_routes: bool = True
    """Routes found by :class:`~quillpress.api.route_index.RouteIndex` (off: FastAPI's
    router finds every one; the differential test compares the two)."""
    route_index: route_index.RouteIndex | None = None

    def build_middleware_stack(self) -> ASGIApp:
        # Starlette builds the stack on the first request, once every route is registered.
        self.allowed_methods = allow.AllowedMethods(self.router.routes)
        error_handler: ExceptionHandler | None = None
        handlers: dict[Any, ExceptionHandler] = {}
        for key, value in self.exception_handlers.items():
            if key in (500, Exception):
                error_handler = value
            else:
                handlers[key] = value
        # FastAPI's file handling needs its exit stack in the scope (fastapi.routing).
        self.route_index = route_index.RouteIndex(
            self.router, enabled=self.index_routes and not self.tracing
        )
        app: ASGIApp = AsyncExitStackMiddleware(self.route_index)
        app = ExceptionMiddleware(app, handlers=handlers, debug=self.debug)
        for cls, args, kwargs in reversed(self.user_middleware):  # the first is outermost
            app = cls(app, *args, **kwargs)
        if self.max_body_size is not None:
            app = AppBodyLimitMiddleware(app, max_body_size=self.max_body_size)
        if self.tracing:
            app = ExceptionTelemetryMiddleware(app)
        app = ServerErrorMiddleware(app, handler=error_handler, debug=self.debug)
        return edge.Edge(
            app,
            max_body_bytes=self.max_body_bytes,
            hsts_max_age=self.hsts_max_age,
            trusted_proxies=self.trusted_proxies,
        )


def telemetry(settings: Settings) -> TelemetryConfig:
    """FastAPI's native OpenTelemetry spans (the request as a SERVER span named after its
    route template, with ``traceparent`` continued, and its dependency and endpoint
    spans), only with ``QUILLPRESS_TRACING=true``: otherwise off even if some provider is
    installed in the process. Its metrics and log export stay off: Prometheus and the
    structured log are the metrics and the logs."""
    config: TelemetryConfig = {
        "tracing": settings.tracing,
        "operation_spans": settings.tracing,
        "metrics": False,
        "logs": False,
        "auto_configure": False,
        "exclude": lambda scope: scope.get("path") in middleware.UNTIMED_ROUTES,
    }
    if settings.tracing:
        from quillpress.infra import otel  # the otel extra (Settings checked it is there)

        config["tracer_provider"] = otel.provider()
    return config


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings)  # also in each uvicorn worker process
    security = Security.from_settings(settings)  # `serve` has checked the secret in its parent

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(settings, security=security) as resources:
            app.state.resources = resources  # read through api.resources.resources()
            # What startup built (modules, schema, compiled statements) lives as long as
            # the process: frozen, full collections stop walking it again (measured: gen-2
            # pauses of ~160 ms every few seconds under load became ~4 ms; bench/tail.py).
            if settings.gc_freeze:
                gc.collect()
                gc.freeze()
            try:
                yield
            finally:
                if settings.gc_freeze:
                    gc.unfreeze()  # an app built again in this process starts clean
        # After SIGTERM's graceful part: what an operator (and tests/cli/
        # test_graceful_shutdown.py) reads to know no connection was left open.
        log.info("Closed the database pool and the cache")

    app = Quillpress(
        title="Quillpress",
        version=__version__,
        description="RealWorld-compatible blogging backend.",
        lifespan=lifespan,
        default_response_class=JsonResponse,
        docs_url=None,  # served offline by docs.install, not from CDNs
        redoc_url=None,
        telemetry=telemetry(settings),
    )
    app.hsts_max_age = settings.hsts_max_age_sent
    app.max_body_bytes = settings.max_body_bytes
    app.tracing = settings.tracing
    app.trusted_proxies = tuple(settings.trusted_proxies)
    rest_errors.install(app)
    # /graphql first: routes are matched in order, and FastAPI tries every route of an
    # included router in turn (measured ~4 µs each); behind /api's ~27 a GraphQL request
    # paid ~0.1 ms just to be routed. It is not in the OpenAPI document, whose order is
    # the routes' order, so that stays as it was.
    graphql = GraphQLEndpoint(settings)
    app.add_route("/graphql", graphql.handle, methods=["GET", "POST"], include_in_schema=False)
    app.include_router(rest_router, prefix="/api")
    health.install(app)  # /healthz, /readyz: outside /api and its guards
    metrics_endpoint.install(app)  # /metrics
    app.include_router(avatars.router)
    app.include_router(jwks.router)
    docs.install(app)
    console.install(app)  # /admin: the moderation console's pages
    front.install(app)
    openapi.install(app, settings)

    app.add_middleware(http_caching.HttpCaching)  # inside CORS: a 304 gets CORS headers too
    # Cached anonymous reads are answered here, before routing (inside CORS and the
    # request-id/stats layers, so a hit carries every header a miss does).
    app.add_middleware(response_cache.ResponseCache, resources_of=response_cache.resources_of_app)
    # Credentialed CORS for trusted origins only (api.cors: the allow-list, and loopback
    # in development); the CSRF origin check trusts exactly the same ones.
    app.add_middleware(cors.Cors, settings=settings)
    # Request id, statement stats, body limit and security headers: the edge layer,
    # outside ServerErrorMiddleware (Quillpress.build_middleware_stack).
    return app


def openapi_document(settings: Settings) -> dict[str, Any]:
    """The OpenAPI document the app serves, without building the app (``quillpress
    openapi``, the drift test): the REST routes under ``/api`` and the probes, included as
    ``create_app`` includes them."""
    app = FastAPI()
    app.include_router(rest_router, prefix=openapi.API_PREFIX)
    app.include_router(health.router)
    return openapi.build(app.routes, settings)
