"""The admin API's GraphQL twins: ``adminUsers``, ``adminUpdateUser`` and ``auditEvents``,
with their errors (FORBIDDEN, CONFLICT, NOT_FOUND, BAD_USER_INPUT), cursor paging, and a
banned or demoted viewer's next request."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import PASSWORD, gql, gql_data, gql_error, make_admin, register

Headers = dict[str, str]

USERS = """query($q: String, $first: Int, $after: String) {
  adminUsers(query: $q, first: $first, after: $after) {
    totalCount
    edges { cursor node { username email role banned createdAt lastLoginAt } }
    pageInfo { hasNextPage endCursor }
  }
}"""
UPDATE = """mutation($u: String!, $role: String, $banned: Boolean) {
  adminUpdateUser(username: $u, role: $role, banned: $banned) { username role banned }
}"""
EVENTS = """query($actor: String, $action: String, $since: String, $first: Int, $after: String) {
  auditEvents(actor: $actor, action: $action, since: $since, first: $first, after: $after) {
    totalCount
    nodes { id at actor action target ip userAgent requestId outcome }
    pageInfo { hasNextPage endCursor }
  }
}"""


@pytest.fixture
async def root(app: FastAPI, client: httpx.AsyncClient) -> Headers:
    return await make_admin(app, client, "root")


async def test_admin_users_pages_by_cursor(client: httpx.AsyncClient, root: Headers) -> None:
    for name in ("ann", "annie", "bob"):
        await register(client, name)
    first = (await gql_data(client, USERS, {"q": "ANN", "first": 1}, root))["adminUsers"]
    assert first["totalCount"] == 2
    assert [e["node"]["username"] for e in first["edges"]] == ["annie"]
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": first["edges"][0]["cursor"]}
    after = first["pageInfo"]["endCursor"]
    rest = (await gql_data(client, USERS, {"q": "ann", "first": 5, "after": after}, root))[
        "adminUsers"
    ]
    assert [e["node"]["username"] for e in rest["edges"]] == ["ann"]
    assert rest["pageInfo"]["hasNextPage"] is False
    node = rest["edges"][0]["node"]
    assert (node["email"], node["role"], node["banned"], node["lastLoginAt"]) == (
        "ann@example.com",
        "user",
        False,
        None,
    )


async def test_admin_update_user_changes_only_what_is_given(
    client: httpx.AsyncClient, root: Headers
) -> None:
    await register(client, "ann")
    promoted = await gql_data(client, UPDATE, {"u": "ann", "role": "admin"}, root)
    assert promoted["adminUpdateUser"] == {"username": "ann", "role": "admin", "banned": False}
    banned = await gql_data(client, UPDATE, {"u": "ann", "banned": True}, root)
    assert banned["adminUpdateUser"] == {"username": "ann", "role": "admin", "banned": True}


@pytest.mark.parametrize(
    ("variables", "code", "fields"),
    [
        ({"u": "nobody", "banned": True}, "NOT_FOUND", {"user": ["not found"]}),
        ({"u": "ann", "role": "owner"}, "BAD_USER_INPUT", {"role": ["must be admin or user"]}),
        ({"u": "ann", "role": None}, "BAD_USER_INPUT", {"role": ["can't be blank"]}),
        (
            {"u": "root", "role": "user"},
            "CONFLICT",
            {"role": ["the last admin cannot be removed"]},
        ),
        (
            {"u": "root", "banned": True},
            "CONFLICT",
            {"role": ["the last admin cannot be removed"]},
        ),
    ],
)
async def test_admin_update_user_errors(
    client: httpx.AsyncClient,
    root: Headers,
    variables: dict[str, Any],
    code: str,
    fields: dict[str, list[str]],
) -> None:
    await register(client, "ann")
    error = gql_error(await gql(client, UPDATE, variables, root))
    assert (error["extensions"]["code"], error["extensions"]["fields"]) == (code, fields)


@pytest.mark.parametrize(
    ("query", "variables"),
    [(USERS, {}), (EVENTS, {}), (UPDATE, {"u": "ann", "role": "admin"})],
)
async def test_only_admins_get_in(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any]
) -> None:
    ann = await register(client, "ann")
    anonymous = gql_error(await gql(client, query, variables))
    assert anonymous["extensions"]["code"] == "UNAUTHENTICATED"
    forbidden = gql_error(await gql(client, query, variables, ann))
    assert forbidden["extensions"]["code"] == "FORBIDDEN"
    assert forbidden["extensions"]["fields"] == {"admin": ["forbidden"]}


async def test_a_demoted_admin_is_refused_on_the_next_request(
    app: FastAPI, client: httpx.AsyncClient, root: Headers
) -> None:
    second = await make_admin(app, client, "second")
    assert (await gql_data(client, EVENTS, {}, second))["auditEvents"]["totalCount"] > 0
    await gql_data(client, UPDATE, {"u": "second", "role": "user"}, root)
    error = gql_error(await gql(client, EVENTS, {}, second))
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_a_banned_viewer_is_unauthenticated_mid_session_and_cannot_log_in(
    client: httpx.AsyncClient, root: Headers
) -> None:
    ann = await register(client, "ann")
    assert (await gql_data(client, "{ viewer { username } }", None, ann))["viewer"]
    await gql_data(client, UPDATE, {"u": "ann", "banned": True}, root)
    refused = gql_error(await gql(client, "{ viewer { username } }", None, ann), status=401)
    assert refused["extensions"]["code"] == "UNAUTHENTICATED"
    login = """mutation($i: LoginInput!) { login(input: $i) { token } }"""
    variables = {"i": {"email": "ann@example.com", "password": PASSWORD}}
    error = gql_error(await gql(client, login, variables))
    assert (error["extensions"]["code"], error["extensions"]["fields"]) == (
        "FORBIDDEN",
        {"user": ["banned"]},
    )


async def test_audit_events_filter_and_page(client: httpx.AsyncClient, root: Headers) -> None:
    ann = await register(client, "ann")
    await gql(client, "mutation { logout }", None, ann)
    by_ann = (await gql_data(client, EVENTS, {"actor": "Ann", "first": 1}, root))["auditEvents"]
    assert by_ann["totalCount"] == 2
    [latest] = by_ann["nodes"]
    assert (latest["action"], latest["actor"], latest["outcome"], latest["ip"]) == (
        "session.logout",
        "ann",
        "success",
        "127.0.0.1",
    )
    assert latest["requestId"]
    after = by_ann["pageInfo"]["endCursor"]
    older = (await gql_data(client, EVENTS, {"actor": "ann", "after": after}, root))["auditEvents"]
    assert [n["action"] for n in older["nodes"]] == ["user.register"]
    none = await gql_data(client, EVENTS, {"since": "2999-01-01T00:00:00+02:00"}, root)
    assert none["auditEvents"]["totalCount"] == 0
    bad = gql_error(await gql(client, EVENTS, {"since": "soon"}, root))
    assert bad["extensions"]["code"] == "BAD_USER_INPUT"
    assert list(bad["extensions"]["fields"]) == ["since"]
