"""The admin API through REST and through GraphQL on the same data: the same users, the
same audit events, the same changes, the same errors (see ``test_rest_graphql_parity``
for the method: writes run each adapter on a freshly seeded database)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import truncate
from tests.helpers import make_admin, register
from tests.parity.test_rest_graphql_parity import (
    Json,
    Scenario,
    _error,
    _via_graphql,
    _via_rest,
)

ADMIN_USER = "username email role banned createdAt lastLoginAt"
EVENT = "id at actor action target ip userAgent requestId outcome"
USERS = (
    "query($q: String, $first: Int) { adminUsers(query: $q, first: $first) "
    f"{{ totalCount nodes {{ {ADMIN_USER} }} }} }}"
)
EVENTS = (
    "query($actor: String, $action: String, $since: String, $first: Int) "
    "{ auditEvents(actor: $actor, action: $action, since: $since, first: $first) "
    f"{{ totalCount nodes {{ {EVENT} }} }} }}"
)
UPDATE = (
    "mutation($u: String!, $role: String, $banned: Boolean) "
    "{ adminUpdateUser(username: $u, role: $role, banned: $banned) { username email role banned } }"
)


async def seed(client: httpx.AsyncClient, app: FastAPI) -> dict[str, Any]:
    """root (an admin, signed in), ann and bob; bob logged out once."""
    root = await make_admin(app, client, "root")
    users = {name: await register(client, name) for name in ("ann", "bob")}
    await client.post("/api/users/logout", headers=users["bob"])
    return {"headers": {"root": root, **users, "anon": {}}, "labels": {}}


def _users(rest: bool) -> Any:
    def view(data: Json) -> Json:
        if rest:
            return {"items": data["users"], "total": data["usersCount"]}
        return {"items": data["adminUsers"]["nodes"], "total": data["adminUsers"]["totalCount"]}

    return view


def _events(rest: bool) -> Any:
    def view(data: Json) -> Json:
        if rest:
            return {"items": data["events"], "total": data["eventsCount"]}
        return {"items": data["auditEvents"]["nodes"], "total": data["auditEvents"]["totalCount"]}

    return view


def _changed(data: Json) -> Json:
    """The written user without the times that differ between the two runs."""
    user = dict(data["user"] if "user" in data else data["adminUpdateUser"])
    user.pop("createdAt", None)
    user.pop("lastLoginAt", None)
    return user


def _read(name: str, rest: str, graphql: tuple[str, Json], kind: str) -> Scenario:
    views = _users if kind == "users" else _events
    return Scenario(
        name, "root", ("GET", rest, None), graphql, rest_view=views(True), gql_view=views(False)
    )


def _update(name: str, username: str, change: Json) -> Scenario:
    return Scenario(
        name,
        "root",
        ("PUT", f"/api/admin/users/{username}", {"user": change}),
        (UPDATE, {"u": username, **change}),
        rest_view=_changed,
        gql_view=_changed,
        writes=True,
    )


SCENARIOS = [
    _read("admin users", "/api/admin/users", (USERS, {}), "users"),
    _read(
        "admin users by query",
        "/api/admin/users?query=AN&limit=1",
        (USERS, {"q": "AN", "first": 1}),
        "users",
    ),
    _read("audit events", "/api/admin/audit", (EVENTS, {}), "events"),
    _read(
        "audit events by actor and action",
        "/api/admin/audit?actor=bob&action=session.logout",
        (EVENTS, {"actor": "bob", "action": "session.logout"}),
        "events",
    ),
    _read(
        "audit events since",
        "/api/admin/audit?since=2999-01-01T00:00:00Z",
        (EVENTS, {"since": "2999-01-01T00:00:00Z"}),
        "events",
    ),
    _update("promote", "ann", {"role": "admin"}),
    _update("ban", "bob", {"banned": True}),
    _update("ban and demote nothing", "ann", {"role": "user", "banned": True}),
    _error(
        "admin users as a user",
        "ann",
        "FORBIDDEN",
        ("GET", "/api/admin/users", None),
        (USERS, {}),
    ),
    _error(
        "audit events anonymously",
        "anon",
        "UNAUTHENTICATED",
        ("GET", "/api/admin/audit", None),
        (EVENTS, {}),
    ),
    _error(
        "update a user as a user",
        "ann",
        "FORBIDDEN",
        ("PUT", "/api/admin/users/bob", {"user": {"banned": True}}),
        (UPDATE, {"u": "bob", "banned": True}),
    ),
    _error(
        "update an unknown user",
        "root",
        "NOT_FOUND",
        ("PUT", "/api/admin/users/nobody", {"user": {"role": "admin"}}),
        (UPDATE, {"u": "nobody", "role": "admin"}),
    ),
    _error(
        "an unknown role",
        "root",
        "BAD_USER_INPUT",
        ("PUT", "/api/admin/users/ann", {"user": {"role": "owner"}}),
        (UPDATE, {"u": "ann", "role": "owner"}),
    ),
    _error(
        "the last admin demotes themselves",
        "root",
        "CONFLICT",
        ("PUT", "/api/admin/users/root", {"user": {"role": "user"}}),
        (UPDATE, {"u": "root", "role": "user"}),
    ),
    _error(
        "the last admin bans themselves",
        "root",
        "CONFLICT",
        ("PUT", "/api/admin/users/root", {"user": {"banned": True}}),
        (UPDATE, {"u": "root", "banned": True}),
    ),
    _error(
        "audit since is not a date",
        "root",
        "BAD_USER_INPUT",
        ("GET", "/api/admin/audit?since=tomorrow", None),
        (EVENTS, {"since": "tomorrow"}),
    ),
    _error(
        "admin users page size zero",
        "root",
        "BAD_USER_INPUT",
        ("GET", "/api/admin/users?limit=0", None),
        (USERS, {"first": 0}),
        renamed={"limit": "first"},
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_rest_and_graphql_agree_on_the_admin_api(
    app: FastAPI, client: httpx.AsyncClient, scenario: Scenario
) -> None:
    world = await seed(client, app)
    rest = await _via_rest(client, scenario, world)
    if scenario.writes:
        await truncate(app.state.resources.database.engine)
        world = await seed(client, app)
    graphql = await _via_graphql(client, scenario, world)
    assert rest == graphql
    outcome = rest[0] if rest[0] == "ok" else rest[1]
    assert outcome == scenario.expect, rest
