"""Cookie mode and its CSRF defence: the tokens as HttpOnly cookies, never in a body; on
unsafe requests authenticated by cookie (the refresh cookie's spending included) a trusted
origin and the session's CSRF token, for REST and GraphQL; credentialed CORS only for
trusted origins."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from quillpress.config import Settings
from tests.conftest import make_settings
from tests.helpers import PASSWORD, error_fields, gql, register, serve

OWN = "http://testserver"


def csrf_refused(reason: str) -> dict[str, list[str]]:
    return {"csrf": [reason]}


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


def plant_csrf_cookie(client: httpx.AsyncClient, value: str) -> None:
    """Replace the jar's ``qp_csrf`` (as a cookie written by someone else would)."""
    (cookie,) = [cookie for cookie in client.cookies.jar if cookie.name == "qp_csrf"]
    client.cookies.set("qp_csrf", value, domain=cookie.domain, path=cookie.path)


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
    """Each refusal names the check that failed: the origin first, then the token."""
    await cookie_login(client)
    body = {"user": {"bio": "hello"}}
    missing = await client.put("/api/user", json=body, headers={"Origin": OWN})
    assert error_fields(missing, 403) == csrf_refused("token missing")
    forged = await client.put(
        "/api/user", json=body, headers={"X-CSRF-Token": "forged", "Origin": OWN}
    )
    assert error_fields(forged, 403) == csrf_refused("token mismatch")
    elsewhere = await client.put(
        "/api/user", json=body, headers=csrf(client, "https://evil.example")
    )
    assert error_fields(elsewhere, 403) == csrf_refused("origin not allowed")
    opaque = await client.put("/api/user", json=body, headers=csrf(client, "null"))
    assert error_fields(opaque, 403) == csrf_refused("origin not allowed")
    no_origin = await client.put("/api/user", json=body, headers=csrf(client, None))
    assert error_fields(no_origin, 403) == csrf_refused("origin missing")
    by_referer = await client.put(
        "/api/user", json=body, headers={**csrf(client, None), "Referer": f"{OWN}/editor"}
    )
    assert by_referer.status_code == 200, by_referer.text
    ok = await client.put("/api/user", json=body, headers=csrf(client))
    assert ok.status_code == 200
    assert ok.json()["user"]["bio"] == "hello"


async def test_a_planted_csrf_cookie_with_a_matching_header_is_refused(
    client: httpx.AsyncClient,
) -> None:
    """The token is the session's (an HMAC of its id), not whatever ``qp_csrf`` holds: a
    cookie written by someone else (a sibling subdomain, plain HTTP) proves nothing."""
    await cookie_login(client)
    plant_csrf_cookie(client, "planted-by-attacker")
    planted = {"X-CSRF-Token": "planted-by-attacker", "Origin": OWN}
    response = await client.put("/api/user", json={"user": {"bio": "x"}}, headers=planted)
    assert error_fields(response, 403) == csrf_refused("token mismatch")
    mutation = 'mutation { updateViewer(input: {bio: "gql"}) { bio } }'
    refused = await gql(client, mutation, headers=planted)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["reason"] == "token mismatch"


async def test_the_csrf_token_is_the_sessions_and_no_other_sessions(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Login sets ``qp_csrf`` to the new session's token; another session of the same
    user has another token, and one session's token does not pass for the other."""
    await cookie_login(client)
    security = app.state.resources.security
    session_id = security.tokens.verify(client.cookies["qp_session"]).session_id
    assert client.cookies["qp_csrf"] == security.csrf.token(session_id)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=OWN) as other:
        login = {"user": {"email": "ann@example.com", "password": PASSWORD}}
        assert (await other.post("/api/users/login?session=cookie", json=login)).is_success
        assert other.cookies["qp_csrf"] != client.cookies["qp_csrf"]
        crossed = {"X-CSRF-Token": client.cookies["qp_csrf"], "Origin": OWN}
        response = await other.put("/api/user", json={"user": {"bio": "x"}}, headers=crossed)
        assert error_fields(response, 403) == csrf_refused("token mismatch")
        assert (await other.put("/api/user", json={"user": {}}, headers=csrf(other))).is_success


async def test_a_cookie_authenticated_answer_never_carries_the_token(
    client: httpx.AsyncClient,
) -> None:
    """The session cookie is HttpOnly so that no script reads it: ``/api/user`` by cookie
    answers ``token: ""`` as cookie-mode login does; by header it still names the token."""
    await cookie_login(client)
    read = await client.get("/api/user")
    assert read.json()["user"]["token"] == ""
    written = await client.put("/api/user", json={"user": {"bio": "b"}}, headers=csrf(client))
    assert written.status_code == 200, written.text
    assert written.json()["user"]["token"] == ""
    assert client.cookies["qp_session"] not in read.text + written.text
    headers = await register(client, "hdr")
    by_header = await client.get("/api/user", headers=headers)
    assert by_header.json()["user"]["token"] == headers["Authorization"].removeprefix("Token ")


async def test_graphql_never_answers_a_cookie_viewer_its_token(client: httpx.AsyncClient) -> None:
    """GraphQL's ``User`` has no token field (only ``AuthPayload`` of a password login or
    a refresh by argument has): a cookie viewer reads and updates itself without one."""
    await cookie_login(client)
    read = await gql(client, "{ viewer { username } }", headers=csrf(client))
    assert read.json() == {"data": {"viewer": {"username": "ann"}}}
    asked = await gql(client, "{ viewer { token } }", headers=csrf(client))
    assert asked.status_code == 400  # no such field
    assert client.cookies["qp_session"] not in read.text + asked.text


async def test_the_current_user_read_sends_the_sessions_csrf_cookie_when_it_is_not_there(
    client: httpx.AsyncClient,
) -> None:
    """A page that lost ``qp_csrf`` (or holds one from before tokens were bound to the
    session) gets it back from ``GET /api/user`` and can write again."""
    await cookie_login(client)
    right = client.cookies["qp_csrf"]
    assert "qp_csrf" not in set_cookies(await client.get("/api/user"))  # already right
    plant_csrf_cookie(client, "stale-random-value")
    healed = await client.get("/api/user")
    assert f"qp_csrf={right};" in set_cookies(healed)["qp_csrf"]
    assert client.cookies["qp_csrf"] == right
    assert (await client.put("/api/user", json={"user": {}}, headers=csrf(client))).is_success


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
    assert error["extensions"]["reason"] == "token missing"
    assert error["message"] == "CSRF check failed: token missing"
    accepted = await gql(client, mutation, headers=csrf(client))
    assert accepted.json() == {"data": {"updateViewer": {"bio": "gql"}}}
    over_get = await client.get("/graphql", params={"query": mutation})
    assert over_get.status_code == 405


async def test_refresh_without_a_body_spends_the_refresh_cookie(client: httpx.AsyncClient) -> None:
    login = await cookie_login(client)
    before = set_cookies(login)["qp_session"]
    token = client.cookies["qp_csrf"]
    # The refresh cookie's path is /api/users/refresh: httpx's jar sends it there only.
    response = await client.post("/api/users/refresh", headers=csrf(client))
    assert response.status_code == 200, response.text
    assert response.json()["user"]["token"] == ""
    renewed = set_cookies(response)
    assert {"qp_session", "qp_refresh", "qp_csrf"} <= set(renewed)
    assert renewed["qp_session"] != before
    assert f"qp_csrf={token};" in renewed["qp_csrf"]  # the same session: the same token
    assert (await client.get("/api/user")).status_code == 200
    assert (await client.put("/api/user", json={"user": {}}, headers=csrf(client))).is_success


async def test_refresh_by_cookie_needs_the_csrf_proof_and_a_refusal_spends_nothing(
    database_url: str,
) -> None:
    """Spending the refresh cookie is an unsafe cookie request like any other. Without
    a grace window, a refusal that had rotated the token would make the final refresh a
    reuse (401, session revoked): it succeeds, so nothing was spent."""
    async with serve(make_settings(database_url, refresh_grace_seconds=0)) as (_app, client):
        await cookie_login(client, "ref")
        token = client.cookies["qp_csrf"]
        refusals = {
            "origin missing": {"X-CSRF-Token": token},
            "origin not allowed": {"X-CSRF-Token": token, "Origin": "https://evil.example"},
            "token missing": {"Origin": OWN},
            "token mismatch": {"X-CSRF-Token": "planted", "Origin": OWN},
        }
        for reason, headers in refusals.items():
            response = await client.post("/api/users/refresh", headers=headers)
            assert error_fields(response, 403) == csrf_refused(reason)
        ok = await client.post("/api/users/refresh", headers=csrf(client))
        assert ok.status_code == 200, ok.text
        assert "qp_refresh" in set_cookies(ok)


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


LOOPBACK = [
    "http://127.0.0.1:5173",
    "http://localhost:3000",
    "http://[::1]:8080",
    "https://localhost",
    "http://LOCALHOST:4100",
]
FOREIGN = [
    "https://any.example",
    "null",
    "http://localhost.evil.example",
    "http://127.0.0.1.evil.example:80",
    "file://",
]


@pytest.mark.parametrize("origin", LOOPBACK)
async def test_development_trusts_loopback_origins_with_credentials(
    client: httpx.AsyncClient, origin: str
) -> None:
    simple = await client.get("/api/tags", headers={"Origin": origin})
    assert simple.headers["access-control-allow-origin"] == origin
    assert simple.headers["access-control-allow-credentials"] == "true"
    assert "Origin" in simple.headers["vary"]
    preflight = await client.options(
        "/api/user",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type, x-csrf-token",
        },
    )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize("origin", FOREIGN)
async def test_development_gives_other_origins_cors_without_credentials(
    client: httpx.AsyncClient, origin: str
) -> None:
    """Token-mode clients work from anywhere in development; cookies from nowhere else:
    never the origin echoed together with ``Allow-Credentials``."""
    await cookie_login(client)  # the jar's cookies go along: the riskiest case
    for response in (
        await client.get("/api/tags", headers={"Origin": origin}),
        await client.options(
            "/api/user",
            headers={"Origin": origin, "Access-Control-Request-Method": "PUT"},
        ),
    ):
        assert "access-control-allow-credentials" not in response.headers, origin
        assert response.headers.get("access-control-allow-origin") in {"*", None}, origin


async def test_development_trusts_loopback_origins_for_the_csrf_check(
    client: httpx.AsyncClient,
) -> None:
    """The CSRF origin check trusts exactly the origins credentialed CORS trusts."""
    await cookie_login(client)
    body = {"user": {"bio": "x"}}
    local = await client.put("/api/user", json=body, headers=csrf(client, "http://localhost:3000"))
    assert local.status_code == 200, local.text


@pytest.fixture
async def production(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Production with non-Secure cookies: the test client speaks plain HTTP."""
    settings = make_settings(
        database_url,
        env="production",
        cors_origins="https://app.example",
        cookie_secure=False,
    )
    async with serve(settings) as (_app, client):
        yield client


async def test_credentialed_cors_allows_only_the_allow_list_in_production(
    production: httpx.AsyncClient,
) -> None:
    listed = await production.get("/api/tags", headers={"Origin": "https://app.example"})
    assert listed.headers["access-control-allow-origin"] == "https://app.example"
    assert listed.headers["access-control-allow-credentials"] == "true"
    for origin in ("https://evil.example", "http://localhost:3000", "null"):
        other = await production.get("/api/tags", headers={"Origin": origin})
        assert "access-control-allow-origin" not in other.headers
        assert "access-control-allow-credentials" not in other.headers


async def test_production_does_not_trust_loopback_for_the_csrf_check(
    production: httpx.AsyncClient,
) -> None:
    await cookie_login(production, "prod")
    body = {"user": {"bio": "x"}}
    local = await production.put(
        "/api/user", json=body, headers=csrf(production, "http://localhost:3000")
    )
    assert error_fields(local, 403) == csrf_refused("origin not allowed")
    listed = await production.put(
        "/api/user", json=body, headers=csrf(production, "https://app.example")
    )
    assert listed.status_code == 200, listed.text


# --- caching of credentials ------------------------------------------------------------


async def test_token_bearing_answers_are_never_stored(client: httpx.AsyncClient) -> None:
    """Login, register and refresh carry a token (in the body or a Set-Cookie)."""
    signup = {"user": {"username": "nst", "email": "nst@example.com", "password": PASSWORD}}
    login = {"user": {"email": "nst@example.com", "password": PASSWORD}}
    registered = await client.post("/api/users", json=signup)
    by_token = await client.post("/api/users/login", json=login)
    refreshed = await client.post(
        "/api/users/refresh", json={"refreshToken": by_token.json()["user"]["refreshToken"]}
    )
    by_cookie = await client.post("/api/users/login?session=cookie", json=login)
    cookie_refresh = await client.post("/api/users/refresh", headers=csrf(client))
    for response in (registered, by_token, refreshed, by_cookie, cookie_refresh):
        assert response.is_success, response.text
        assert response.headers["cache-control"] == "no-store", response.request.url


async def test_cookie_authenticated_reads_vary_on_the_cookie(client: httpx.AsyncClient) -> None:
    headers = await register(client, "hdr")
    anonymous = await client.get("/api/articles")  # before the jar holds a session
    by_header = await client.get("/api/articles", headers=headers)
    await cookie_login(client)
    by_cookie = await client.get("/api/articles")
    user_by_cookie = await client.get("/api/user")
    assert "Cookie" not in varies(anonymous)
    assert "Cookie" not in varies(by_header)
    assert {"Authorization", "Cookie"} <= varies(by_cookie)
    assert by_cookie.headers["cache-control"] == "private, no-cache"
    assert {"Authorization", "Cookie"} <= varies(user_by_cookie)
    assert user_by_cookie.headers["cache-control"] == "no-store"


def varies(response: httpx.Response) -> set[str]:
    return {part.strip() for part in response.headers["vary"].split(",")}
