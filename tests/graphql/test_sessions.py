"""The sessions over GraphQL: ``viewer { sessions }``, ``logout``, ``logoutAll`` and
``revokeSession``, and an ended session's token refused on the next request."""

from __future__ import annotations

import httpx

from tests.helpers import PASSWORD, auth, gql, gql_data, gql_error, register

SESSIONS = "{ viewer { sessions { id current userAgent ip } } }"


async def sign_in(client: httpx.AsyncClient, name: str) -> dict[str, str]:
    mutation = "mutation($input: LoginInput!) { login(input: $input) { token } }"
    data = await gql_data(
        client, mutation, {"input": {"email": f"{name}@example.com", "password": PASSWORD}}
    )
    return auth(data["login"]["token"])


async def test_viewer_sessions_lists_every_sign_in_with_the_current_marked(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "ann")
    phone = await sign_in(client, "ann")
    sessions = (await gql_data(client, SESSIONS, headers=phone))["viewer"]["sessions"]
    assert [session["current"] for session in sessions] == [True, False]
    assert sessions[0]["ip"] == "127.0.0.1"


async def test_logout_refuses_the_token_on_the_next_request(client: httpx.AsyncClient) -> None:
    headers = await register(client, "ann")
    assert (await gql_data(client, "mutation { logout }", headers=headers)) == {"logout": True}
    refused = await gql(client, SESSIONS, headers=headers)
    assert gql_error(refused, 401)["extensions"]["code"] == "UNAUTHENTICATED"


async def test_logout_all_ends_every_session(client: httpx.AsyncClient) -> None:
    laptop = await register(client, "ann")
    phone = await sign_in(client, "ann")
    assert (await gql_data(client, "mutation { logoutAll }", headers=phone)) == {"logoutAll": True}
    assert (await gql(client, SESSIONS, headers=laptop)).status_code == 401


async def test_revoke_session_ends_one_and_refuses_anothers(client: httpx.AsyncClient) -> None:
    laptop = await register(client, "ann")
    phone = await sign_in(client, "ann")
    bob = await register(client, "bob")
    revoke = "mutation($id: String!) { revokeSession(id: $id) }"
    bobs = (await gql_data(client, SESSIONS, headers=bob))["viewer"]["sessions"][0]["id"]
    error = gql_error(await gql(client, revoke, {"id": bobs}, headers=laptop))
    assert error["extensions"]["code"] == "NOT_FOUND"
    phones = (await gql_data(client, SESSIONS, headers=phone))["viewer"]["sessions"][0]["id"]
    assert await gql_data(client, revoke, {"id": phones}, headers=laptop) == {"revokeSession": True}
    assert (await gql(client, SESSIONS, headers=phone)).status_code == 401
    assert (await gql(client, SESSIONS, headers=bob)).status_code == 200
