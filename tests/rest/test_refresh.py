"""Refresh tokens: rotation, the grace window for a token just spent, and reuse outside
it revoking the whole session (the attack a stolen refresh token is)."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from quillpress.config import Settings
from tests.helpers import PASSWORD, auth, error_fields, gql, gql_data, serve

INVALID_REFRESH = {"refreshToken": ["is invalid"]}


async def signed_up(client: httpx.AsyncClient, name: str = "ann") -> dict[str, Any]:
    response = await client.post(
        "/api/users",
        json={"user": {"username": name, "email": f"{name}@example.com", "password": PASSWORD}},
    )
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/users/refresh", json={"refreshToken": token})


async def shift(app: FastAPI, column: str, by: timedelta) -> None:
    """Move a timestamp of every session into the past (as if time had passed)."""
    async with app.state.resources.database.engine.begin() as conn:
        moment = datetime.now(UTC) - by
        await conn.execute(text(f"UPDATE user_session SET {column} = :t"), {"t": moment})  # noqa: S608


async def test_login_and_register_carry_a_refresh_token_and_other_reads_do_not(
    client: httpx.AsyncClient,
) -> None:
    user = await signed_up(client)
    assert user["refreshToken"]
    assert user["refreshToken"] != user["token"]
    login = await client.post(
        "/api/users/login", json={"user": {"email": "ann@example.com", "password": PASSWORD}}
    )
    assert login.json()["user"]["refreshToken"] not in {None, user["refreshToken"]}
    me = await client.get("/api/user", headers=auth(user["token"]))
    assert "refreshToken" not in me.json()["user"]


async def test_the_refresh_token_is_stored_only_as_its_hash(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    user = await signed_up(client)
    async with app.state.resources.database.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT refresh_hash FROM user_session"))).scalar()
    assert stored == hashlib.sha256(user["refreshToken"].encode()).hexdigest()


async def test_refresh_rotates_both_tokens_in_the_login_envelope(client: httpx.AsyncClient) -> None:
    user = await signed_up(client)
    response = await refresh(client, user["refreshToken"])
    assert response.status_code == 200, response.text
    fresh = response.json()["user"]
    assert set(fresh) == {"email", "token", "username", "bio", "image", "refreshToken"}
    assert fresh["username"] == "ann"
    assert fresh["refreshToken"] != user["refreshToken"]
    assert (await client.get("/api/user", headers=auth(fresh["token"]))).status_code == 200
    # The successor rotates in turn.
    assert (await refresh(client, fresh["refreshToken"])).status_code == 200


async def test_a_spent_token_within_the_grace_window_gets_the_same_successor_on_any_instance(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = await signed_up(client)
    first = (await refresh(client, user["refreshToken"])).json()["user"]
    async with serve(settings) as (_other_app, other):
        second = await refresh(other, user["refreshToken"])
    assert second.status_code == 200, second.text
    assert second.json()["user"]["refreshToken"] == first["refreshToken"]
    assert (await client.get("/api/user", headers=auth(first["token"]))).status_code == 200


async def test_reuse_outside_the_grace_window_revokes_the_whole_session(
    client: httpx.AsyncClient, app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    user = await signed_up(client)
    successor = (await refresh(client, user["refreshToken"])).json()["user"]
    await shift(app, "rotated_at", timedelta(seconds=60))
    with caplog.at_level(logging.WARNING, logger="quillpress.sessions"):
        reused = await refresh(client, user["refreshToken"])
    assert error_fields(reused, 401) == INVALID_REFRESH
    assert any("refresh token reuse" in record.getMessage() for record in caplog.records)
    # Everything the session issued is dead: the thief's and the owner's tokens alike.
    assert (await client.get("/api/user", headers=auth(successor["token"]))).status_code == 401
    assert (await client.get("/api/user", headers=auth(user["token"]))).status_code == 401
    assert error_fields(await refresh(client, successor["refreshToken"]), 401) == INVALID_REFRESH


async def test_a_token_spent_twice_over_is_refused(client: httpx.AsyncClient) -> None:
    """Once the successor was rotated too, the first token is no longer its predecessor."""
    user = await signed_up(client)
    second = (await refresh(client, user["refreshToken"])).json()["user"]
    assert (await refresh(client, second["refreshToken"])).status_code == 200
    assert error_fields(await refresh(client, user["refreshToken"]), 401) == INVALID_REFRESH


@pytest.mark.parametrize(
    ("column", "by"),
    [("refreshed_at", timedelta(days=8)), ("created_at", timedelta(days=31))],
    ids=["idle", "absolute"],
)
async def test_an_expired_session_cannot_be_refreshed(
    client: httpx.AsyncClient, app: FastAPI, column: str, by: timedelta
) -> None:
    user = await signed_up(client)
    await shift(app, column, by)
    assert error_fields(await refresh(client, user["refreshToken"]), 401) == INVALID_REFRESH


async def test_an_unknown_or_logged_out_refresh_token_is_refused(
    client: httpx.AsyncClient,
) -> None:
    assert error_fields(await refresh(client, "made-up"), 401) == INVALID_REFRESH
    user = await signed_up(client)
    await client.post("/api/users/logout", headers=auth(user["token"]))
    assert error_fields(await refresh(client, user["refreshToken"]), 401) == INVALID_REFRESH


async def test_a_refresh_body_without_a_token_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/users/refresh", json={})
    assert response.status_code == 422


async def test_graphql_refresh_rotates_like_rest(client: httpx.AsyncClient) -> None:
    user = await signed_up(client)
    mutation = (
        "mutation($t: String!) { refresh(refreshToken: $t) "
        "{ token refreshToken user { username } } }"
    )
    data = await gql_data(client, mutation, {"t": user["refreshToken"]})
    assert data["refresh"]["user"] == {"username": "ann"}
    assert data["refresh"]["refreshToken"] != user["refreshToken"]
    refused = await gql(client, mutation, {"t": "made-up"})
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
