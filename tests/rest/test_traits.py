"""A route's traits are read once, off its definition, and every reader agrees: the
document's security requirement, the caching layer's ``no-store`` and the response
cache's list of public reads."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from quillpress.api.response_cache.requests import ROUTES
from quillpress.api.rest import openapi
from quillpress.api.rest import router as rest_router
from quillpress.api.rest.traits import Access, Traits, is_personal
from quillpress.config import Settings

REQUIRED = [{"Token": []}, {"Bearer": []}, {"Cookie": []}]


def _app() -> FastAPI:
    app = FastAPI()
    app.include_router(rest_router, prefix="/api")
    return app


def _routes() -> list[RouteContext]:
    return [
        route
        for route in iter_route_contexts(_app().routes)
        if isinstance(route.original_route, APIRoute)
    ]


def test_the_document_and_the_caching_layer_read_the_same_traits() -> None:
    routes = _routes()
    document = openapi.build(_app().routes, Settings())
    personal = set()
    for route in routes:
        traits = Traits.of(route)
        assert is_personal(route.original_route) is traits.personal
        for method in route.methods or ():
            operation = document["paths"][route.path_format][method.lower()]
            assert (operation["security"] == REQUIRED) is (traits.access is Access.REQUIRED)
        if traits.personal:
            personal.add((route.path_format, *sorted(route.methods or ())))
    assert ("/api/user", "GET") in personal
    assert ("/api/admin/users", "GET") in personal
    # Sign-in only, but public articles picked for the viewer: declared so on the route.
    assert ("/api/articles/feed", "GET") not in personal


def test_the_response_cache_serves_only_reads_anyone_may_make() -> None:
    gets = {route.path_format: Traits.of(route) for route in _routes() if route.methods == {"GET"}}
    for cached in ROUTES:
        traits = gets[cached.template]
        assert traits.access is not Access.REQUIRED, cached.template
        assert not traits.personal
        assert not traits.writes
