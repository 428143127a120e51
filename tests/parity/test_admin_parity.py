"""The admin API through REST and through GraphQL on the same data: the same users, the
same audit events, the same changes, the same errors (see ``test_rest_graphql_parity``
for the method: writes run each adapter on a freshly seeded database)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import truncate
from tests.helpers import create_article, make_admin, register
from tests.parity.test_rest_graphql_parity import (
    Json,
    Scenario,
    _error,
    _via_graphql,
    _via_rest,
)

ADMIN_USER = "username email role banned createdAt lastLoginAt bio image banReason"
EVENT = "id at actor action target ip userAgent requestId outcome reason"
SESSION = "id createdAt lastSeenAt userAgent ip current"
COMMENT = "id createdAt body author article { slug title }"
USERS = (
    "query($q: String, $role: String, $banned: Boolean, $first: Int) "
    "{ adminUsers(query: $q, role: $role, banned: $banned, first: $first) "
    f"{{ totalCount nodes {{ {ADMIN_USER} }} }} }}"
)
USER = f"query($u: String!) {{ adminUser(username: $u) {{ {ADMIN_USER} }} }}"
SESSIONS = f"query($u: String!) {{ adminUserSessions(username: $u) {{ {SESSION} }} }}"
COMMENTS = (
    "query($article: String, $author: String, $first: Int) "
    "{ adminComments(article: $article, author: $author, first: $first) "
    f"{{ totalCount nodes {{ {COMMENT} }} }} }}"
)
EVENTS = (
    "query($actor: String, $target: String, $action: String, $since: String, $until: String, "
    "$first: Int) { auditEvents(actor: $actor, target: $target, action: $action, "
    "since: $since, until: $until, first: $first) "
    f"{{ totalCount nodes {{ {EVENT} }} }} }}"
)
UPDATE = (
    "mutation($u: String!, $role: String, $banned: Boolean, $banReason: String) "
    "{ adminUpdateUser(username: $u, role: $role, banned: $banned, banReason: $banReason) "
    "{ username email role banned bio image banReason } }"
)
REVOKE = "mutation($u: String!, $id: String!) { adminRevokeUserSession(username: $u, id: $id) }"
REVOKE_ALL = "mutation($u: String!) { adminRevokeUserSessions(username: $u) }"
DELETE_ARTICLE = (
    "mutation($slug: String!, $reason: String!) "
    "{ adminDeleteArticle(slug: $slug, reason: $reason) }"
)
DELETE_COMMENT = (
    "mutation($id: Int!, $reason: String!) { adminDeleteComment(id: $id, reason: $reason) }"
)


async def seed(client: httpx.AsyncClient, app: FastAPI) -> dict[str, Any]:
    """root (an admin, signed in), ann and bob; bob logged out once; ann wrote an
    article (``@a1``) that bob commented on twice (``@c1``, then ``@c2``); ``@s_ann`` is
    ann's session."""
    root = await make_admin(app, client, "root")
    users = {name: await register(client, name) for name in ("ann", "bob")}
    article = await create_article(client, users["ann"], "Ann one")
    comments = []
    for body in ("first", "second"):
        response = await client.post(
            f"/api/articles/{article['slug']}/comments",
            json={"comment": {"body": body}},
            headers=users["bob"],
        )
        comments.append(response.json()["comment"]["id"])
    sessions = (await client.get("/api/user/sessions", headers=users["ann"])).json()
    await client.post("/api/users/logout", headers=users["bob"])
    labels = {
        "a1": article["slug"],
        "c1": comments[0],
        "c2": comments[1],
        "s_ann": sessions["sessions"][0]["id"],
    }
    return {"headers": {"root": root, **users, "anon": {}}, "labels": labels}


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


def _comments(rest: bool) -> Any:
    def view(data: Json) -> Json:
        if rest:
            return {"items": data["comments"], "total": data["commentsCount"]}
        return {
            "items": data["adminComments"]["nodes"],
            "total": data["adminComments"]["totalCount"],
        }

    return view


def _read(name: str, rest: str, graphql: tuple[str, Json], kind: str) -> Scenario:
    views = {"users": _users, "events": _events, "comments": _comments}[kind]
    return Scenario(
        name, "root", ("GET", rest, None), graphql, rest_view=views(True), gql_view=views(False)
    )


def _one(name: str, rest: str, graphql: tuple[str, Json], rest_key: str, gql_key: str) -> Scenario:
    """A read whose answer is one object or one list under a key."""
    return Scenario(
        name,
        "root",
        ("GET", rest, None),
        graphql,
        rest_view=lambda data: data[rest_key],
        gql_view=lambda data: data[gql_key],
    )


def _done(name: str, rest: tuple[str, str, Json | None], graphql: tuple[str, Json]) -> Scenario:
    """A write answering nothing (REST 204, GraphQL true); what it did is checked by the
    moderation tests of each adapter."""
    return Scenario(
        name,
        "root",
        rest,
        graphql,
        rest_view=lambda data: data is None,
        gql_view=lambda data: next(iter(data.values())),
        writes=True,
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
    _read(
        "admin users by role and ban",
        "/api/admin/users?role=user&banned=false",
        (USERS, {"role": "user", "banned": False}),
        "users",
    ),
    _one("admin user", "/api/admin/users/ANN", (USER, {"u": "ANN"}), "user", "adminUser"),
    _one(
        "admin user sessions",
        "/api/admin/users/ann/sessions",
        (SESSIONS, {"u": "ann"}),
        "sessions",
        "adminUserSessions",
    ),
    _read("admin comments", "/api/admin/comments", (COMMENTS, {}), "comments"),
    _read(
        "admin comments by article and author",
        "/api/admin/comments?article=@a1&author=BOB&limit=1",
        (COMMENTS, {"article": "@a1", "author": "BOB", "first": 1}),
        "comments",
    ),
    _read(
        "audit events by target and until",
        "/api/admin/audit?target=ann&until=2999-01-01",
        (EVENTS, {"target": "ann", "until": "2999-01-01"}),
        "events",
    ),
    _update("promote", "ann", {"role": "admin"}),
    _update("ban with a reason", "bob", {"banned": True, "banReason": "Spam links"}),
    _done(
        "revoke a user's session",
        ("DELETE", "/api/admin/users/ann/sessions/@s_ann", None),
        (REVOKE, {"u": "ann", "id": "@s_ann"}),
    ),
    _done(
        "revoke every session of a user",
        ("DELETE", "/api/admin/users/ann/sessions", None),
        (REVOKE_ALL, {"u": "ann"}),
    ),
    _done(
        "moderate an article",
        ("DELETE", "/api/admin/articles/@a1", {"reason": "Spam"}),
        (DELETE_ARTICLE, {"slug": "@a1", "reason": "Spam"}),
    ),
    _done(
        "moderate a comment",
        ("DELETE", "/api/admin/comments/@c1", {"reason": "Abuse"}),
        (DELETE_COMMENT, {"id": "@c1", "reason": "Abuse"}),
    ),
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
        "an unknown admin user",
        "root",
        "NOT_FOUND",
        ("GET", "/api/admin/users/nobody", None),
        (USER, {"u": "nobody"}),
    ),
    _error(
        "a user's sessions anonymously",
        "anon",
        "UNAUTHENTICATED",
        ("GET", "/api/admin/users/ann/sessions", None),
        (SESSIONS, {"u": "ann"}),
    ),
    _error(
        "revoke a session of someone else",
        "root",
        "NOT_FOUND",
        ("DELETE", "/api/admin/users/bob/sessions/@s_ann", None),
        (REVOKE, {"u": "bob", "id": "@s_ann"}),
    ),
    _error(
        "revoke sessions as a user",
        "ann",
        "FORBIDDEN",
        ("DELETE", "/api/admin/users/bob/sessions", None),
        (REVOKE_ALL, {"u": "bob"}),
    ),
    _error(
        "admin comments as a user",
        "ann",
        "FORBIDDEN",
        ("GET", "/api/admin/comments", None),
        (COMMENTS, {}),
    ),
    _error(
        "moderate an article without a reason",
        "root",
        "BAD_USER_INPUT",
        ("DELETE", "/api/admin/articles/@a1", {"reason": " "}),
        (DELETE_ARTICLE, {"slug": "@a1", "reason": " "}),
    ),
    _error(
        "moderate an unknown article",
        "root",
        "NOT_FOUND",
        ("DELETE", "/api/admin/articles/nothing", {"reason": "Spam"}),
        (DELETE_ARTICLE, {"slug": "nothing", "reason": "Spam"}),
    ),
    _error(
        "moderate a comment as its article's author",
        "ann",
        "FORBIDDEN",
        ("DELETE", "/api/admin/comments/@c1", {"reason": "Abuse"}),
        (DELETE_COMMENT, {"id": "@c1", "reason": "Abuse"}),
    ),
    _error(
        "a ban reason too long",
        "root",
        "BAD_USER_INPUT",
        ("PUT", "/api/admin/users/ann", {"user": {"banned": True, "banReason": "x" * 501}}),
        (UPDATE, {"u": "ann", "banned": True, "banReason": "x" * 501}),
    ),
    _error(
        "a ban reason without a ban",
        "root",
        "BAD_USER_INPUT",
        ("PUT", "/api/admin/users/ann", {"user": {"banReason": "Spam"}}),
        (UPDATE, {"u": "ann", "banReason": "Spam"}),
    ),
    _error(
        "audit until is not a date",
        "root",
        "BAD_USER_INPUT",
        ("GET", "/api/admin/audit?until=someday", None),
        (EVENTS, {"until": "someday"}),
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
