"""Generic error handling: bad bodies, size limits, unknown routes and methods, bad tokens,
CORS, and the one error shape ``{"errors": {key: [message, ...]}}`` with never a 500."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from quillpress.app import create_app
from tests.conftest import TEST_SECRET, make_settings
from tests.helpers import auth, create_article, error_fields, register

JSON = {"Content-Type": "application/json"}
SMALL_LIMIT = 2048


async def _never_a_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, f"{response.request.url} → {response.status_code}"


@pytest.fixture(autouse=True)
def guard_against_server_errors(client: httpx.AsyncClient) -> None:
    """Every response in this module is checked: no request here may yield a 5xx."""
    client.event_hooks["response"].append(_never_a_server_error)


async def _client_for(application: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            event_hooks={"response": [_never_a_server_error]},
        ) as http:
            yield http


@pytest.fixture
async def small_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that accepts request bodies of at most 2 KiB (writes nothing)."""
    async for http in _client_for(
        create_app(make_settings(database_url, max_body_bytes=SMALL_LIMIT))
    ):
        yield http


@pytest.fixture
async def production_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a production app whose CORS allow-list holds one origin."""
    settings = make_settings(database_url, env="production", cors_origins="https://app.example")
    async for http in _client_for(create_app(settings)):
        yield http


@pytest.fixture
async def ann(client: httpx.AsyncClient) -> dict[str, str]:
    return await register(client, "ann")


# --- malformed and ill-typed bodies -----------------------------------------------------


@pytest.mark.parametrize("raw", [b'{"article": ', b"{'article': {}}", b"{,}", b"\xff\xfe\x00"])
async def test_malformed_json_is_422_is_not_valid_json(
    client: httpx.AsyncClient, ann: dict[str, str], raw: bytes
) -> None:
    response = await client.post("/api/articles", content=raw, headers={**ann, **JSON})
    assert error_fields(response, 422) == {"body": ["is not valid JSON"]}


async def test_malformed_json_on_an_open_endpoint_is_422_too(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/users", content=b'{"user": {', headers=JSON)
    assert error_fields(response, 422) == {"body": ["is not valid JSON"]}


@pytest.mark.parametrize("raw", [b"null", b"[]", b'[{"article": {}}]', b"5", b'"article"', b"true"])
async def test_a_body_that_is_not_an_object_is_422(
    client: httpx.AsyncClient, ann: dict[str, str], raw: bytes
) -> None:
    response = await client.post("/api/articles", content=raw, headers={**ann, **JSON})
    assert error_fields(response, 422) == {"body": ["must be an object"]}


async def test_an_empty_json_body_is_422_blank(
    client: httpx.AsyncClient, ann: dict[str, str]
) -> None:
    response = await client.post("/api/articles", content=b"", headers={**ann, **JSON})
    assert error_fields(response, 422) == {"body": ["can't be blank"]}


async def test_a_missing_envelope_is_422_keyed_by_the_envelope(
    client: httpx.AsyncClient, ann: dict[str, str]
) -> None:
    response = await client.post(
        "/api/articles", json={"title": "t", "description": "d", "body": "b"}, headers=ann
    )
    assert error_fields(response, 422) == {"article": ["can't be blank"]}


@pytest.mark.parametrize("envelope", [None, "x", 5, [], ["x"]])
async def test_an_envelope_that_is_not_an_object_is_422(
    client: httpx.AsyncClient, ann: dict[str, str], envelope: Any
) -> None:
    response = await client.post("/api/articles", json={"article": envelope}, headers=ann)
    assert error_fields(response, 422) == {"article": ["must be an object"]}


async def test_wrong_field_types_are_each_reported_by_field(
    client: httpx.AsyncClient, ann: dict[str, str]
) -> None:
    response = await client.post(
        "/api/articles",
        json={"article": {"title": 1, "description": ["d"], "body": {}, "tagList": "a"}},
        headers=ann,
    )
    assert error_fields(response, 422) == {
        "title": ["must be a string"],
        "description": ["must be a string"],
        "body": ["must be a string"],
        "tagList": ["must be a list"],
    }


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ([1], "must be a string"),
        ([["nested"]], "must be a string"),
        ([{"name": "x"}], "must be a string"),
        (["ok", None], "can't be blank"),
        (["ok", "  "], "can't be blank"),
    ],
)
async def test_bad_tags_are_422_keyed_by_tag_list(
    client: httpx.AsyncClient, ann: dict[str, str], tags: list[Any], message: str
) -> None:
    response = await client.post(
        "/api/articles",
        json={"article": {"title": "t", "description": "d", "body": "b", "tagList": tags}},
        headers=ann,
    )
    assert error_fields(response, 422) == {"tagList": [message]}


async def test_too_many_tags_is_422(client: httpx.AsyncClient, ann: dict[str, str]) -> None:
    tags = [f"t{index}" for index in range(21)]
    response = await client.post(
        "/api/articles",
        json={"article": {"title": "t", "description": "d", "body": "b", "tagList": tags}},
        headers=ann,
    )
    assert error_fields(response, 422) == {"tagList": ["has too many items (maximum is 20)"]}


async def test_an_update_with_a_wrong_type_is_422_and_changes_nothing(
    client: httpx.AsyncClient, ann: dict[str, str]
) -> None:
    created = await create_article(client, ann, title="Typed")
    response = await client.put(
        "/api/articles/typed", json={"article": {"title": 5, "body": "new"}}, headers=ann
    )
    assert error_fields(response, 422) == {"title": ["must be a string"]}
    assert (await client.get("/api/articles/typed")).json()["article"] == created


# --- content type -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}],
)
async def test_a_json_body_without_a_json_content_type_is_422_saying_so(
    client: httpx.AsyncClient, ann: dict[str, str], headers: dict[str, str]
) -> None:
    raw = b'{"article": {"title": "t", "description": "d", "body": "b"}}'
    response = await client.post("/api/articles", content=raw, headers={**ann, **headers})
    assert error_fields(response, 422) == {
        "body": ["must be JSON, sent with Content-Type: application/json"]
    }
    assert (await client.get("/api/articles")).json()["articlesCount"] == 0


async def test_a_json_content_type_with_a_charset_is_accepted(
    client: httpx.AsyncClient, ann: dict[str, str]
) -> None:
    raw = b'{"article": {"title": "t", "description": "d", "body": "b"}}'
    response = await client.post(
        "/api/articles",
        content=raw,
        headers={**ann, "Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201, response.text


async def test_every_error_response_is_json(client: httpx.AsyncClient) -> None:
    for response in [
        await client.get("/api/nope"),
        await client.patch("/api/articles"),
        await client.get("/api/articles/feed"),
        await client.get("/api/articles?limit=0"),
        await client.get("/api/articles/none"),
    ]:
        assert response.headers["content-type"].startswith("application/json"), response
        error_fields(response, response.status_code)


# --- size limit -------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_413_by_declared_length(
    small_client: httpx.AsyncClient,
) -> None:
    response = await small_client.post("/api/users", content=b"x" * (SMALL_LIMIT + 1), headers=JSON)
    assert error_fields(response, 413) == {
        "body": [f"is too large (maximum is {SMALL_LIMIT} bytes)"]
    }


async def test_a_streamed_body_over_the_limit_is_413(small_client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 500

    response = await small_client.post("/api/users", content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers
    assert error_fields(response, 413) == {
        "body": [f"is too large (maximum is {SMALL_LIMIT} bytes)"]
    }


async def test_a_body_at_the_limit_reaches_the_app(small_client: httpx.AsyncClient) -> None:
    padded = b'{"user": {}}'.ljust(SMALL_LIMIT, b" ")
    response = await small_client.post("/api/users", content=padded, headers=JSON)
    assert set(error_fields(response, 422)) == {"username", "email", "password"}


async def test_a_streamed_body_under_the_limit_reaches_the_app(
    small_client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"user": '
        yield b"{}}"

    response = await small_client.post("/api/users", content=chunks(), headers=JSON)
    assert set(error_fields(response, 422)) == {"username", "email", "password"}


async def test_the_size_limit_applies_to_authenticated_endpoints_too(
    small_client: httpx.AsyncClient,
) -> None:
    response = await small_client.post(
        "/api/articles",
        json={"article": {"title": "t", "description": "d", "body": "b" * 5000}},
        headers=auth("whatever"),
    )
    assert list(error_fields(response, 413)) == ["body"]


# --- routes, methods, tokens ------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/nope", "/nope", "/api", "/api/articles/slug/unknown", "/api/users/me/x"]
)
async def test_unknown_routes_are_404_in_the_errors_shape(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert error_fields(response, 404) == {"path": ["not found"]}


WRONG_METHODS = [
    ("PATCH", "/api/articles", "GET, POST"),
    ("DELETE", "/api/tags", "GET"),
    ("PUT", "/api/users", "POST"),
    ("GET", "/api/users/login", "POST"),
    # Paths several routes serve (one per method): every route's methods, not the
    # first matching route's (what Starlette answers on its own).
    ("POST", "/api/user", "GET, PUT"),
    ("PATCH", "/api/user", "GET, PUT"),
    ("PATCH", "/api/articles/some-slug", "GET, PUT, DELETE"),
    ("POST", "/api/articles/some-slug", "GET, PUT, DELETE"),
    ("PATCH", "/api/articles/feed", "GET, PUT, DELETE"),  # {slug} matches "feed" too
    ("GET", "/api/profiles/ann/follow", "POST, DELETE"),
    ("PUT", "/api/articles/some-slug/favorite", "POST, DELETE"),
    ("PUT", "/api/articles/some-slug/comments", "GET, POST"),
    ("GET", "/api/articles/some-slug/comments/3", "DELETE"),
    # The other app routes, outside /api.
    ("PUT", "/graphql", "GET, HEAD, POST"),
    ("DELETE", "/graphql", "GET, HEAD, POST"),
    ("POST", "/healthz", "GET"),
    ("POST", "/", "GET"),
    ("POST", "/static/front/front.css", "GET, HEAD"),
]


async def test_a_wrong_method_is_405_with_every_method_the_path_allows(
    client: httpx.AsyncClient,
) -> None:
    """One app for every case (none reads the database)."""
    for method, path, allowed in WRONG_METHODS:
        response = await client.request(method, path)
        assert error_fields(response, 405) == {"method": ["not allowed"]}, (method, path)
        assert response.headers.get_list("allow") == [allowed], (method, path)
        for listed in allowed.split(", "):  # and each of them is routed (no 405)
            if listed != "HEAD":
                assert (await client.request(listed, path)).status_code != 405, (listed, path)


def _token(secret: str = TEST_SECRET, **claims: Any) -> str:
    """A JWT shaped like ours, with ``claims`` overriding the defaults."""
    now = int(time.time())
    payload = {"sub": "1", "role": "user", "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}
    return jwt.encode({**payload, **claims}, secret, algorithm="HS256")


@pytest.mark.parametrize(
    "header",
    [
        "Token garbage",
        "Token a.b.c",
        "Basic YW5uOnB3",
        "Token",
        "Bearer",
        "garbage",
        f"Token {_token(exp=1)}",
        f"Token {_token(secret='another-secret-' + 'y' * 40)}",
        f"Token {_token(role='emperor')}",
        f"Token {_token(sub='not-a-number')}",
    ],
)
@pytest.mark.parametrize(
    "path", ["/api/articles", "/api/articles/feed", "/api/user", "/api/tags", "/api/profiles/ann"]
)
async def test_an_invalid_token_is_401_on_every_endpoint(
    client: httpx.AsyncClient, ann: dict[str, str], header: str, path: str
) -> None:
    response = await client.get(path, headers={"Authorization": header})
    assert error_fields(response, 401) == {"token": ["is invalid"]}
    assert response.headers["www-authenticate"] == "Token"


async def test_a_missing_token_on_a_protected_endpoint_is_401_is_missing(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/user")
    assert error_fields(response, 401) == {"token": ["is missing"]}
    assert response.headers["www-authenticate"] == "Token"


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "token", "bearer"])
async def test_token_and_bearer_schemes_are_both_accepted(
    client: httpx.AsyncClient, scheme: str
) -> None:
    headers = await register(client, "ann")
    token = headers["Authorization"].split(" ", 1)[1]
    response = await client.get("/api/user", headers=auth(token, scheme))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("query", ["limit=0", "limit=-1", "limit=101", "limit=abc", "offset=-1"])
async def test_bad_query_values_are_422_in_the_errors_shape(
    client: httpx.AsyncClient, query: str
) -> None:
    response = await client.get(f"/api/articles?{query}")
    assert list(error_fields(response, 422)) == [query.split("=")[0]]


@pytest.mark.parametrize("name", ["tag", "author", "favorited"])
async def test_an_overlong_filter_value_is_422_not_a_server_error(
    client: httpx.AsyncClient, name: str
) -> None:
    response = await client.get(f"/api/articles?{name}={'x' * 201}")
    assert list(error_fields(response, 422)) == [name]


@pytest.mark.parametrize("slug", ["x" * 5000, "%C3%A9t%C3%A9", "a%20b", "..", "%2e%2e", "-"])
async def test_odd_slugs_are_404_not_a_server_error(client: httpx.AsyncClient, slug: str) -> None:
    response = await client.get(f"/api/articles/{slug}")
    assert response.status_code == 404, response.text
    error_fields(response, 404)


# --- CORS -------------------------------------------------------------------------------

PREFLIGHT = {
    "Origin": "https://frontend.example",
    "Access-Control-Request-Method": "PUT",
    "Access-Control-Request-Headers": "authorization, content-type",
}
LOCAL_FRONTEND = "http://localhost:4100"


@pytest.mark.parametrize("path", ["/api/articles", "/api/articles/some-slug", "/api/user"])
async def test_cors_preflight_allows_any_origin_in_development(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.options(path, headers=PREFLIGHT)
    assert response.status_code == 200, response.text
    # Any origin, without credentials (token mode); credentials only for loopback ones.
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    local = await client.options(path, headers={**PREFLIGHT, "Origin": LOCAL_FRONTEND})
    assert local.status_code == 200, local.text
    # Credentialed CORS (cookie mode) needs the origin echoed, never "*".
    assert local.headers["access-control-allow-origin"] == LOCAL_FRONTEND
    assert local.headers["access-control-allow-credentials"] == "true"
    allowed_headers = {
        part.strip().lower() for part in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"authorization", "content-type"} <= allowed_headers
    allowed_methods = {
        part.strip() for part in response.headers["access-control-allow-methods"].split(",")
    }
    assert {"GET", "POST", "PUT", "DELETE"} <= allowed_methods


async def test_cors_headers_are_on_actual_responses_errors_included(
    client: httpx.AsyncClient,
) -> None:
    origin = {"Origin": LOCAL_FRONTEND}
    ok = await client.get("/api/tags", headers=origin)
    assert ok.headers["access-control-allow-origin"] == origin["Origin"]
    failed = await client.get("/api/articles/feed", headers=origin)
    assert failed.status_code == 401
    assert failed.headers["access-control-allow-origin"] == origin["Origin"]


async def test_cors_in_production_allows_only_the_allow_list(
    production_client: httpx.AsyncClient,
) -> None:
    allowed = await production_client.options(
        "/api/articles", headers={**PREFLIGHT, "Origin": "https://app.example"}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"

    refused = await production_client.options(
        "/api/articles", headers={**PREFLIGHT, "Origin": "https://evil.example"}
    )
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers

    simple = await production_client.get("/api/tags", headers={"Origin": "https://evil.example"})
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers


@pytest.mark.parametrize(
    "path",
    ["/api/articles/a%00b", "/api/profiles/a%00b", "/api/articles/a%00b/comments"],
)
async def test_a_nul_byte_in_a_path_is_a_client_error_on_every_backend(
    client: httpx.AsyncClient, path: str
) -> None:
    """PostgreSQL cannot even compare text holding NUL; that is bad input, never a 500."""
    response = await client.get(path)
    assert response.status_code in {404, 422}, response.text
    assert "errors" in response.json()


@pytest.mark.parametrize("name", ["tag", "author", "favorited"])
async def test_a_nul_byte_in_a_filter_is_rejected_by_name(
    client: httpx.AsyncClient, name: str
) -> None:
    response = await client.get(f"/api/articles?{name}=a%00b")
    assert response.status_code == 422
    assert response.json() == {"errors": {name: ["contains a NUL character"]}}


async def test_a_nul_byte_in_a_body_field_is_rejected_by_name(client: httpx.AsyncClient) -> None:
    headers = await register(client, "nul_writer")
    article = {"title": "ok", "description": "a\u0000b", "body": "b", "tagList": ["x\u0000"]}
    response = await client.post("/api/articles", json={"article": article}, headers=headers)
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "description": ["contains a NUL character"],
            "tagList": ["contains a NUL character"],
        }
    }
