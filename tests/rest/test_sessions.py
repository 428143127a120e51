"""Server-side sessions over REST: every sign-in is a session the user can list and end,
and an ended session's token is refused from the next request on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from tests.helpers import (
    AUTH_STATEMENTS,
    PASSWORD,
    auth,
    error_fields,
    register,
    sign_in,
    statement_count,
)

INVALID_TOKEN = {"errors": {"token": ["is invalid"]}}


async def sessions(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, object]]:
    response = await client.get("/api/user/sessions", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    result: list[dict[str, object]] = response.json()["sessions"]
    return result


async def test_every_sign_in_is_a_session_listed_newest_first_with_the_current_marked(
    client: httpx.AsyncClient,
) -> None:
    first = await register(client, "ann")
    second = await sign_in(client, "ann", agent="phone/1.0")
    listed = await sessions(client, second)
    assert len(listed) == 2
    assert [entry["current"] for entry in listed] == [True, False]
    assert listed[0]["userAgent"] == "phone/1.0"
    assert listed[0]["ip"] == "127.0.0.1"  # the ASGI scope's peer, never a forwarded header
    assert set(listed[0]) == {"id", "createdAt", "lastSeenAt", "userAgent", "ip", "current"}
    assert [entry["current"] for entry in await sessions(client, first)] == [False, True]


async def test_forwarded_for_is_not_the_recorded_address(client: httpx.AsyncClient) -> None:
    await register(client, "ann")
    response = await client.post(
        "/api/users/login",
        json={"user": {"email": "ann@example.com", "password": PASSWORD}},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    headers = auth(response.json()["user"]["token"])
    assert {entry["ip"] for entry in await sessions(client, headers)} == {"127.0.0.1"}


async def test_logout_ends_only_the_current_session(client: httpx.AsyncClient) -> None:
    laptop = await register(client, "ann")
    phone = await sign_in(client, "ann")
    response = await client.post("/api/users/logout", headers=laptop)
    assert response.status_code == 204
    assert response.content == b""
    refused = await client.get("/api/user", headers=laptop)
    assert refused.status_code == 401
    assert refused.json() == INVALID_TOKEN
    assert (await client.get("/api/user", headers=phone)).status_code == 200
    assert len(await sessions(client, phone)) == 1


async def test_logout_needs_a_token(client: httpx.AsyncClient) -> None:
    assert error_fields(await client.post("/api/users/logout"), 401) == {"token": ["is missing"]}


async def test_logout_all_ends_every_session_of_the_user_only(client: httpx.AsyncClient) -> None:
    laptop = await register(client, "ann")
    phone = await sign_in(client, "ann")
    bob = await register(client, "bob")
    assert (await client.post("/api/users/logout-all", headers=phone)).status_code == 204
    for headers in (laptop, phone):
        assert (await client.get("/api/user", headers=headers)).json() == INVALID_TOKEN
    assert (await client.get("/api/user", headers=bob)).status_code == 200


async def test_revoking_a_session_refuses_its_token_on_the_next_request(
    client: httpx.AsyncClient,
) -> None:
    laptop = await register(client, "ann")
    phone = await sign_in(client, "ann")
    phone_id = next(e["id"] for e in await sessions(client, phone) if e["current"])
    response = await client.delete(f"/api/user/sessions/{phone_id}", headers=laptop)
    assert response.status_code == 204
    assert (await client.get("/api/user", headers=phone)).json() == INVALID_TOKEN
    assert (await client.get("/api/user", headers=laptop)).status_code == 200


async def test_another_users_or_an_unknown_session_is_not_found(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    bobs = str((await sessions(client, bob))[0]["id"])
    for session_id in (bobs, "no-such-session"):
        response = await client.delete(f"/api/user/sessions/{session_id}", headers=ann)
        assert error_fields(response, 404) == {"session": ["not found"]}
    assert (await client.get("/api/user", headers=bob)).status_code == 200


async def test_a_password_change_ends_every_other_session_and_keeps_this_one(
    client: httpx.AsyncClient,
) -> None:
    laptop = await register(client, "ann")
    phone = await sign_in(client, "ann")
    response = await client.put(
        "/api/user", json={"user": {"password": "a-brand-new-passphrase"}}, headers=laptop
    )
    assert response.status_code == 200, response.text
    returned = auth(response.json()["user"]["token"])
    assert (await client.get("/api/user", headers=returned)).status_code == 200
    assert (await client.get("/api/user", headers=laptop)).status_code == 200
    assert (await client.get("/api/user", headers=phone)).json() == INVALID_TOKEN


async def test_other_profile_changes_keep_every_session(client: httpx.AsyncClient) -> None:
    laptop = await register(client, "ann")
    phone = await sign_in(client, "ann")
    response = await client.put("/api/user", json={"user": {"bio": "hi"}}, headers=laptop)
    assert response.status_code == 200
    assert (await client.get("/api/user", headers=phone)).status_code == 200


async def test_the_session_check_is_one_statement_and_last_seen_is_written_outside_it(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await register(client, "ann")
    engine = app.state.resources.database.engine
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE user_session SET last_seen_at = :t"), {"t": long_ago})
    response = await client.get("/api/user/sessions", headers=headers)
    # The lookup and the list; the "last seen" write is not the request's statement.
    assert statement_count(response) == AUTH_STATEMENTS + 1
    await app.state.resources.activity.drain()
    (entry,) = await sessions(client, headers)
    seen = datetime.fromisoformat(str(entry["lastSeenAt"]).replace("Z", "+00:00"))
    assert seen > long_ago + timedelta(minutes=30)
    # Within five minutes it is not written again.
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE user_session SET last_seen_at = :t"), {"t": long_ago})
    await client.get("/api/user", headers=headers)
    await app.state.resources.activity.drain()
    (entry,) = await sessions(client, headers)
    assert entry["lastSeenAt"].startswith(long_ago.isoformat()[:16])  # type: ignore[union-attr]
