"""Cookie mode and its CSRF defence: the tokens as HttpOnly cookies, double-submit CSRF
plus an origin check on unsafe requests authenticated by cookie, for REST and GraphQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from quillpress.config import Settings
from tests.conftest import make_settings
from tests.helpers import PASSWORD, error_fields, gql, register, serve

OWN = "http://testserver"
CSRF_REJECTED = {"csrf": ["missing or invalid"]}


async def cookie_login(client: httpx.AsyncClient, name: str = "ann") -> httpx.Response:
    await register(client, name)
    response = await client.post(
        "/api/users/login?session=cookie",
        json={"user": {"email": f"{name}@example.com", "password": PASSWORD}},
    )
    assert response.status_code == 200, response.text
    return response


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Each Set-Cookie header by cookie name (the whole header, attributes included)."""
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


def csrf(client: httpx.AsyncClient, origin: str | None = OWN) -> dict[str, str]:
    headers = {"X-CSRF-Token": client.cookies["qp_csrf"]}
    if origin is not None:
        headers["Origin"] = origin
    return headers


async def test_cookie_login_keeps_the_realworld_body_and_sets_the_three_cookies(
    client: httpx.AsyncClient,
) -> None:
    response = await cookie_login(client)
    user = response.json()["user"]
    assert user["token"] == ""
    assert "refreshToken" not in user
    cookies = set_cookies(response)
    assert set(cookies) == {"qp_session", "qp_refresh", "qp_csrf"}
    session, refresh, token = cookies["qp_session"], cookies["qp_refresh"], cookies["qp_csrf"]
    assert "HttpOnly" in session
    assert "SameSite=lax" in session
    assert "Path=/;" in session + ";"
    assert "HttpOnly" in refresh
    assert "SameSite=strict" in refresh
    assert "Path=/api/users/refresh" in refresh
    assert "HttpOnly" not in token
    assert "SameSite=lax" in token
    assert all("Secure" not in header for header in cookies.values())  # development


async def test_secure_cookies_and_the_host_prefix(database_url: str) -> None:
    async with serve(make_settings(database_url, cookie_secure=True)) as (_app, client):
        response = await cookie_login(client, "sec")
    cookies = set_cookies(response)
    assert set(cookies) == {"__Host-qp_session", "qp_refresh", "qp_csrf"}
    assert all("Secure" in header for header in cookies.values())
    assert "Domain" not in cookies["__Host-qp_session"]
    assert Settings(env="production", secret_key="x" * 40).cookies_secure is True


async def test_register_in_cookie_mode_sets_cookies_too(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/users?session=cookie",
        json={"user": {"username": "cyd", "email": "cyd@example.com", "password": PASSWORD}},
    )
    assert response.status_code == 201
    assert response.json()["user"]["token"] == ""
    assert "qp_session" in set_cookies(response)


async def test_the_cookie_authenticates_safe_requests_without_csrf(
    client: httpx.AsyncClient,
) -> None:
    await cookie_login(client)
    response = await client.get("/api/user")
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "ann"


async def test_an_unsafe_cookie_request_needs_the_csrf_token_and_a_trusted_origin(
    client: httpx.AsyncClient,
) -> None:
    await cookie_login(client)
    body = {"user": {"bio": "hello"}}
    missing = await client.put("/api/user", json=body, headers={"Origin": OWN})
    assert error_fields(missing, 403) == CSRF_REJECTED
    forged = await client.put(
        "/api/user", json=body, headers={"X-CSRF-Token": "forged", "Origin": OWN}
    )
    assert error_fields(forged, 403) == CSRF_REJECTED
    elsewhere = await client.put(
        "/api/user", json=body, headers=csrf(client, "https://evil.example")
    )
    assert error_fields(elsewhere, 403) == CSRF_REJECTED
    no_origin = await client.put("/api/user", json=body, headers=csrf(client, None))
    assert error_fields(no_origin, 403) == CSRF_REJECTED
    by_referer = await client.put(
        "/api/user", json=body, headers={**csrf(client, None), "Referer": f"{OWN}/editor"}
    )
    assert by_referer.status_code == 200, by_referer.text
    ok = await client.put("/api/user", json=body, headers=csrf(client))
    assert ok.status_code == 200
    assert ok.json()["user"]["bio"] == "hello"


async def test_an_allow_listed_origin_passes_the_origin_check(database_url: str) -> None:
    settings = make_settings(database_url, cors_origins="https://app.example")
    async with serve(settings) as (_app, client):
        await cookie_login(client, "org")
        response = await client.put(
            "/api/user",
            json={"user": {"bio": "x"}},
            headers=csrf(client, "https://app.example"),
        )
    assert response.status_code == 200, response.text


async def test_header_authenticated_requests_need_no_csrf(client: httpx.AsyncClient) -> None:
    headers = await register(client, "bob")
    response = await client.put(
        "/api/user",
        json={"user": {"bio": "x"}},
        headers={**headers, "Origin": "https://evil.example"},
    )
    assert response.status_code == 200


async def test_graphql_mutations_by_cookie_need_csrf_and_are_403_forbidden_without(
    client: httpx.AsyncClient,
) -> None:
    await cookie_login(client)
    mutation = 'mutation { updateViewer(input: {bio: "gql"}) { bio } }'
    refused = await gql(client, mutation, headers={"Origin": OWN})
    assert refused.status_code == 403
    (error,) = refused.json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "CSRF" in error["message"]
    accepted = await gql(client, mutation, headers=csrf(client))
    assert accepted.json() == {"data": {"updateViewer": {"bio": "gql"}}}
    over_get = await client.get("/graphql", params={"query": mutation})
    assert over_get.status_code == 405


async def test_refresh_without_a_body_spends_the_refresh_cookie(client: httpx.AsyncClient) -> None:
    login = await cookie_login(client)
    before = set_cookies(login)["qp_session"]
    # The refresh cookie's path is /api/users/refresh: httpx's jar sends it there only.
    response = await client.post("/api/users/refresh")
    assert response.status_code == 200, response.text
    assert response.json()["user"]["token"] == ""
    renewed = set_cookies(response)
    assert {"qp_session", "qp_refresh", "qp_csrf"} <= set(renewed)
    assert renewed["qp_session"] != before
    assert (await client.get("/api/user")).status_code == 200


async def test_refresh_without_a_body_or_a_cookie_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/users/refresh")
    assert error_fields(response, 401) == {"refreshToken": ["is invalid"]}


async def test_logout_by_cookie_ends_the_session_and_clears_the_cookies(
    client: httpx.AsyncClient,
) -> None:
    await cookie_login(client)
    session_cookie = client.cookies["qp_session"]
    response = await client.post("/api/users/logout", headers=csrf(client))
    assert response.status_code == 204
    cleared = set_cookies(response)
    assert 'qp_session=""' in cleared["qp_session"] or "Max-Age=0" in cleared["qp_session"]
    client.cookies.set("qp_session", session_cookie)  # the old cookie, presented again
    again = await client.get("/api/user")
    assert error_fields(again, 401) == {"token": ["is invalid"]}  # presented, and refused


@pytest.fixture
async def production(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        database_url,
        env="production",
        cors_origins="https://app.example",
        cookie_secure=True,
    )
    async with serve(settings) as (_app, client):
        yield client


async def test_credentialed_cors_echoes_any_origin_in_development(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/tags", headers={"Origin": "https://any.example"})
    assert response.headers["access-control-allow-origin"] == "https://any.example"
    assert response.headers["access-control-allow-credentials"] == "true"


async def test_credentialed_cors_allows_only_the_allow_list_in_production(
    production: httpx.AsyncClient,
) -> None:
    listed = await production.get("/api/tags", headers={"Origin": "https://app.example"})
    assert listed.headers["access-control-allow-origin"] == "https://app.example"
    assert listed.headers["access-control-allow-credentials"] == "true"
    other = await production.get("/api/tags", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
