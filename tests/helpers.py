"""Small, explicit helpers for driving the API in tests."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

PASSWORD = "correct-horse-battery"

AUTH_STATEMENTS = 1
"""What presenting a token costs: the one way in looks the session up (live? role?).
With Redis, a session already looked up is cached and costs nothing
(``CACHED_AUTH_STATEMENTS``)."""

CACHED_AUTH_STATEMENTS = 0


def auth_statements(cache_mode: str) -> int:
    """The statements of the one way in for a session seen before, in ``cache_mode``."""
    return CACHED_AUTH_STATEMENTS if cache_mode == "redis" else AUTH_STATEMENTS


def auth(token: str, scheme: str = "Token") -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}"}


async def register(
    client: httpx.AsyncClient, username: str, *, password: str = PASSWORD
) -> dict[str, str]:
    """Register ``username`` and return its auth headers."""
    response = await client.post(
        "/api/users",
        json={
            "user": {"username": username, "email": f"{username}@example.com", "password": password}
        },
    )
    assert response.status_code == 201, response.text
    return auth(response.json()["user"]["token"])


async def sign_in(
    client: httpx.AsyncClient, name: str, agent: str = "test-agent"
) -> dict[str, str]:
    """Log ``name`` (registered with :data:`PASSWORD`) in again: a new session's headers."""
    response = await client.post(
        "/api/users/login",
        json={"user": {"email": f"{name}@example.com", "password": PASSWORD}},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 200, response.text
    return auth(response.json()["user"]["token"])


async def create_article(
    client: httpx.AsyncClient, headers: dict[str, str], title: str = "A title", **fields: Any
) -> dict[str, Any]:
    article = {"title": title, "description": "About it", "body": "The body", **fields}
    response = await client.post("/api/articles", json={"article": article}, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()["article"]
    return result


def statement_count(response: httpx.Response) -> int:
    """SQL statements the request issued, from its ``Server-Timing`` header
    (``desc="1 statement"``, ``desc="2 statements"``)."""
    match = re.search(r'desc="(\d+) statements?"', response.headers["server-timing"])
    assert match, response.headers.get("server-timing")
    return int(match.group(1))


def cache_outcome(response: httpx.Response) -> str:
    """The request's cache outcome (hit, miss, bypass, none), from ``Server-Timing``."""
    match = re.search(r'cache;desc="(\w+)[",]', response.headers["server-timing"])
    assert match, response.headers.get("server-timing")
    return match.group(1)


def cache_round_trips(response: httpx.Response) -> int | None:
    """The store round trips a hit cost (``cache;desc="hit, 1 round trip"``), ``None``
    when the request was no hit."""
    match = re.search(r'cache;desc="hit, (\d+) round trips?"', response.headers["server-timing"])
    return int(match.group(1)) if match else None


def db_route(response: httpx.Response) -> str | None:
    """Where the request's reads went (replica, primary, mixed), from ``Server-Timing``;
    ``None`` when nothing was routed (no replicas configured, or no read)."""
    match = re.search(r'dbroute;desc="(\w+)"', response.headers["server-timing"])
    return match.group(1) if match else None


def error_fields(response: httpx.Response, status: int) -> dict[str, list[str]]:
    """The ``errors`` object of an error response, after checking its status and that the
    body has the RealWorld shape ``{"errors": {key: [message, ...]}}``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["errors"], body
    fields = body["errors"]
    assert isinstance(fields, dict), body
    assert fields, body
    for key, messages in fields.items():
        assert isinstance(key, str), body
        assert isinstance(messages, list), body
        assert messages, body
        assert all(isinstance(message, str) and message for message in messages), body
    result: dict[str, list[str]] = fields
    return result


MakeAdmin = Callable[[httpx.AsyncClient, str], Awaitable[dict[str, str]]]
"""Register a user, promote it to admin and return its auth headers (see ``make_admin``)."""


async def make_admin(app: Any, client: httpx.AsyncClient, username: str) -> dict[str, str]:
    """Register ``username``, promote it to admin in the database, and return the auth
    headers of a fresh login (the role travels in the token)."""
    return await make_admin_in(app.state.resources.database.engine, client, username)


async def make_admin_in(engine: Any, client: httpx.AsyncClient, username: str) -> dict[str, str]:
    """``make_admin`` for any server whose database ``engine`` reaches (an app of the test
    process, or a deployed topology's primary)."""
    from sqlalchemy import text

    await register(client, username)
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE app_user SET role = 'admin' WHERE username = :name"), {"name": username}
        )
    response = await client.post(
        "/api/users/login",
        json={"user": {"email": f"{username}@example.com", "password": PASSWORD}},
    )
    assert response.status_code == 200, response.text
    return auth(response.json()["user"]["token"])


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a GraphQL operation to ``/graphql``."""
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    return await client.post("/graphql", json=payload, headers=headers or {})


async def gql_data(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The ``data`` of a GraphQL response that must have succeeded without errors."""
    response = await gql(client, query, variables, headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def gql_error(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    """The single error of a GraphQL response, after checking its HTTP status."""
    assert response.status_code == status, response.text
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    error: dict[str, Any] = errors[0]
    assert error["message"], error
    return error


def graphql_endpoint(app: Any) -> Any:
    """The app's ``GraphQLEndpoint`` (the object behind the ``/graphql`` route)."""
    for route in app.routes:
        if getattr(route, "path", None) == "/graphql":
            return route.endpoint.__self__
    raise AssertionError("no /graphql route")


@asynccontextmanager
async def serve(settings: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """An app built from ``settings`` (lifespan running) and a client for it. The tables
    are not emptied afterwards: seed through the ``client`` fixture, whose app does that."""
    from asgi_lifespan import LifespanManager

    from quillpress.app import create_app

    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield application, http
