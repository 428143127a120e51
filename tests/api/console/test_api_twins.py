"""Every action the console offers (each of its form posts) has a twin in the admin API
or the API's own sessions: the table below names it, and the test checks both sides
exist, so a console action added without its API twin (or a twin removed) fails here."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

TWINS = {
    "/admin/users/{username}": ("PUT", "/api/admin/users/{username}"),
    "/admin/users/{username}/sessions": ("DELETE", "/api/admin/users/{username}/sessions"),
    "/admin/users/{username}/sessions/{session_id}": (
        "DELETE",
        "/api/admin/users/{username}/sessions/{id}",
    ),
    "/admin/articles/{slug}/delete": ("DELETE", "/api/admin/articles/{slug}"),
    "/admin/comments/{comment_id}/delete": ("DELETE", "/api/admin/comments/{id}"),
    "/admin/sign-in": ("POST", "/api/users/login"),
    "/admin/sign-out": ("POST", "/api/users/logout"),
}


def _routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route, included routers flattened with their prefix."""
    return {
        (method, route.path_format)
        for route in iter_route_contexts(app.routes)
        for method in route.methods or ()
    }


def test_every_console_action_has_an_api_twin() -> None:
    from quillpress.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings("sqlite+aiosqlite:///:memory:"))
    routes = _routes(app)
    actions = {
        path
        for method, path in routes
        if method == "POST" and path.startswith("/admin/") and path != "/admin/{rest}"
    }
    assert actions == set(TWINS)
    missing = [twin for twin in TWINS.values() if twin not in routes]
    assert not missing, missing
