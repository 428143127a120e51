"""How the OpenAPI builder documents a route: auth, error statuses and parameter limits are
read off the route itself, so a route added later is documented right with no list to
update. Throwaway routers stand in for such routes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from quillpress.api.rest import openapi
from quillpress.api.rest.deps import (
    Auth,
    CurrentPrincipal,
    CurrentViewer,
    Db,
    LimiterDep,
    Pagination,
)
from quillpress.api.rest.error_statuses import errors
from quillpress.app import openapi_document
from quillpress.config import Settings
from quillpress.domain.commands import MAX_OFFSET, make_page
from quillpress.domain.errors import Invalid
from tests.conftest import make_settings

OPTIONAL = [{}, {"Token": []}, {"Bearer": []}, {"Cookie": []}]
REQUIRED = [{"Token": []}, {"Bearer": []}, {"Cookie": []}]


class Thing(BaseModel):
    name: str


def build(router: APIRouter, settings: Settings | None = None) -> dict[str, Any]:
    app = FastAPI()
    app.include_router(router, prefix="/api")
    return openapi.build(app.routes, settings or Settings())


def operation(document: dict[str, Any], path: str, method: str = "get") -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path][method]
    return found


@pytest.fixture
def new_routes() -> dict[str, Any]:
    router = APIRouter()

    @router.get("/open")
    async def open_route(db: Db) -> None: ...

    @router.get("/maybe")
    async def maybe(viewer: CurrentViewer, db: Db) -> None: ...

    @router.get("/mine")
    async def mine(viewer: CurrentPrincipal, db: Db) -> None: ...

    @router.get("/token")
    async def token(auth: Auth) -> None: ...

    @router.put("/things/{name}", responses=errors(403))
    async def put_thing(name: str, body: Thing, viewer: CurrentPrincipal, db: Db) -> None: ...

    @router.get("/paged")
    async def paged(page: Pagination) -> None: ...

    @router.post("/limited")
    async def limited(body: Thing, limiter: LimiterDep) -> None: ...

    return build(router)


def test_auth_requirement_is_read_from_the_dependencies(new_routes: dict[str, Any]) -> None:
    assert operation(new_routes, "/api/open")["security"] == []
    assert operation(new_routes, "/api/maybe")["security"] == OPTIONAL
    assert operation(new_routes, "/api/mine")["security"] == REQUIRED
    assert operation(new_routes, "/api/token")["security"] == REQUIRED


def test_error_statuses_follow_the_route_traits(new_routes: dict[str, Any]) -> None:
    def statuses(path: str, method: str = "get") -> set[str]:
        return {code for code in operation(new_routes, path, method)["responses"] if code >= "4"}

    assert statuses("/api/open") == {"422", "503"}
    assert statuses("/api/maybe") == {"401", "422", "503"}
    # No database of its own, but the session check behind the token reads it: 503 too.
    assert statuses("/api/token") == {"401", "422", "503"}
    # path parameter → 404, body → 413, declared → 403, an authenticated write → 429
    assert statuses("/api/things/{name}", "put") == {
        "401",
        "403",
        "404",
        "413",
        "422",
        "429",
        "503",
    }
    # the handler takes the limiter (login, register): its use case limits it → 429
    assert statuses("/api/limited", "post") == {"413", "422", "429"}


def test_too_many_requests_documents_its_headers(new_routes: dict[str, Any]) -> None:
    response = operation(new_routes, "/api/limited", "post")["responses"]["429"]
    assert set(response["headers"]) == {
        "Retry-After",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
    }
    assert response["content"]["application/json"]["example"] == {
        "errors": {"rate": ["too many requests"]}
    }


def test_every_error_has_the_realworld_body(new_routes: dict[str, Any]) -> None:
    for path, item in new_routes["paths"].items():
        for method, op in item.items():
            for code, response in op["responses"].items():
                if code >= "4":
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/GenericErrorModel"}, (
                        method,
                        path,
                        code,
                    )
    schemas = new_routes["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # FastAPI's {"detail": [...]} is gone
    assert schemas["GenericErrorModel"]["required"] == ["errors"]


def test_unauthorized_and_unavailable_document_their_headers(new_routes: dict[str, Any]) -> None:
    responses = operation(new_routes, "/api/mine")["responses"]
    assert "WWW-Authenticate" in responses["401"]["headers"]
    assert responses["503"]["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert responses["503"]["content"]["application/json"]["example"] == {
        "errors": {"database": ["unavailable"]}
    }


def test_page_parameters_state_the_limits_make_page_enforces() -> None:
    router = APIRouter()

    @router.get("/paged")
    async def paged(page: Pagination) -> None: ...

    settings = make_settings("sqlite+aiosqlite:///:memory:", max_page_size=50)
    parameters = {
        p["name"]: p["schema"]
        for p in operation(build(router, settings), "/api/paged")["parameters"]
    }
    limit, offset = parameters["limit"], parameters["offset"]
    assert (limit["minimum"], limit["maximum"]) == (1, 50)
    assert limit["default"] == settings.default_page_size
    assert (offset["minimum"], offset["maximum"]) == (0, MAX_OFFSET)
    # The stated bounds are the real ones: inside is accepted, one step outside is not.
    make_page(limit["maximum"], offset["maximum"], max_limit=settings.max_page_size)
    make_page(limit["minimum"], offset["minimum"], max_limit=settings.max_page_size)
    for bad_limit, bad_offset in [(51, 0), (0, 0), (1, MAX_OFFSET + 1), (1, -1)]:
        with pytest.raises(Invalid):
            make_page(bad_limit, bad_offset, max_limit=settings.max_page_size)


def test_only_api_routes_and_the_probes_are_documented() -> None:
    app = FastAPI()
    app.include_router(APIRouter(), prefix="/api")

    @app.get("/healthz")
    async def healthz() -> None: ...

    @app.get("/internal")
    async def internal() -> None: ...

    @app.get("/api/thing")
    async def thing() -> None: ...

    assert list(openapi.build(app.routes, Settings())["paths"]) == ["/api/thing", "/healthz"]


def test_the_probes_are_documented_with_their_bodies_and_no_error_table() -> None:
    paths = openapi_document(Settings())["paths"]
    assert set(paths["/healthz"]["get"]["responses"]) == {"200"}
    readyz = paths["/readyz"]["get"]
    assert set(readyz["responses"]) == {"200", "503"}
    for status in ("200", "503"):
        schema = readyz["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ReadinessResponse"}
    assert readyz["security"] == []
    assert "/metrics" not in paths


def test_the_real_document_uses_the_realworld_response_names() -> None:
    document = openapi_document(Settings())
    names = {
        "UserResponse",
        "ProfileResponse",
        "SingleArticleResponse",
        "MultipleArticlesResponse",
        "SingleCommentResponse",
        "MultipleCommentsResponse",
        "TagsResponse",
        "SessionsResponse",  # Quillpress's own: the signed-in user's sessions
        "HealthResponse",  # the probes, /healthz and /readyz
        "ReadinessResponse",
        "AdminUsersResponse",  # Quillpress's own: the admin API
        "AdminUserResponse",
        "AdminCommentsResponse",
        "AuditEventsResponse",
    }
    used = set()
    for path, item in document["paths"].items():
        for method, op in item.items():
            successes = {code: r for code, r in op["responses"].items() if code < "300"}
            assert len(successes) == 1, (method, path)
            ((code, response),) = successes.items()
            if code == "204":
                assert "content" not in response
                continue
            ref = response["content"]["application/json"]["schema"]["$ref"]
            used.add(ref.rsplit("/", 1)[-1])
    assert used == names
    schemas = document["components"]["schemas"]
    assert "body" not in schemas["ArticleListItem"]["properties"]
    assert "body" in schemas["Article"]["required"]
    assert schemas["MultipleArticlesResponse"]["properties"]["articlesCount"]["type"] == "integer"
    assert schemas["Profile"]["properties"]["bio"]["anyOf"] == [
        {"type": "string"},
        {"type": "null"},
    ]
    assert schemas["Comment"]["properties"]["createdAt"]["format"] == "date-time"
