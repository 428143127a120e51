"""``GET /api/user`` answered by the response cache: the account kept by the use case,
the session in the same round trip (with Redis), the answer header for header what the
app sends; every change to the account, the session or the user shows at once."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import (
    auth_statements,
    cache_outcome,
    cache_round_trips,
    register,
    statement_count,
)

PER_REQUEST = {"x-request-id", "server-timing"}


def kept_headers(response: httpx.Response) -> list[tuple[str, str]]:
    return sorted(
        (name, value) for name, value in response.headers.multi_items() if name not in PER_REQUEST
    )


async def test_the_signed_in_user_is_a_hit_with_the_session_in_the_same_round_trip(
    client: httpx.AsyncClient, cache_mode: str
) -> None:
    ann = await register(client, "ann")
    miss = await client.get("/api/user", headers=ann)
    assert miss.status_code == 200, miss.text
    assert cache_outcome(miss) == "miss"
    hit = await client.get("/api/user", headers=ann)
    assert cache_outcome(hit) == "hit"
    assert hit.content == miss.content
    assert kept_headers(hit) == kept_headers(miss)
    assert hit.headers["cache-control"] == "no-store"
    assert hit.json()["user"]["token"] == ann["Authorization"].removeprefix("Token ")
    assert statement_count(hit) == auth_statements(cache_mode)  # no account statement
    assert cache_round_trips(hit) == (1 if cache_mode == "redis" else 0)


async def test_an_account_edit_shows_at_once(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await client.get("/api/user", headers=ann)
    await client.get("/api/user", headers=ann)
    edited = await client.put(
        "/api/user", json={"user": {"bio": "new", "email": "ann2@example.com"}}, headers=ann
    )
    assert edited.status_code == 200, edited.text
    shown = (await client.get("/api/user", headers=ann)).json()["user"]
    assert (shown["bio"], shown["email"]) == ("new", "ann2@example.com")


@pytest.mark.parametrize("ending", ["/api/users/logout", "/api/users/logout-all"])
async def test_an_ended_session_is_refused_though_its_account_is_cached(
    client: httpx.AsyncClient, ending: str
) -> None:
    ann = await register(client, "ann")
    await client.get("/api/user", headers=ann)
    assert cache_outcome(await client.get("/api/user", headers=ann)) == "hit"
    ended = await client.post(ending, headers=ann)
    assert ended.status_code in {200, 204}, ended.text
    refused = await client.get("/api/user", headers=ann)
    assert refused.status_code == 401
    assert refused.json() == {"errors": {"token": ["is invalid"]}}


async def test_a_bad_token_is_answered_by_the_app_as_before(client: httpx.AsyncClient) -> None:
    refused = await client.get("/api/user", headers={"Authorization": "Token not-a-token"})
    assert refused.status_code == 401
    assert cache_outcome(refused) != "hit"
