"""``/api/admin``: the user list, role and ban changes, the audit log; who may call them
(admins only, read fresh on every request); a banned user mid-session; the last-admin
rule; client info in the audit rows taken from the connection, never from headers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from quillpress.api.rest import envelopes
from tests.helpers import (
    AUTH_STATEMENTS,
    PASSWORD,
    auth,
    create_article,
    error_fields,
    make_admin,
    register,
    statement_count,
)

Headers = dict[str, str]


@pytest.fixture
async def root(app: FastAPI, client: httpx.AsyncClient) -> Headers:
    return await make_admin(app, client, "root")


async def put_user(
    client: httpx.AsyncClient, headers: Headers, username: str, **fields: Any
) -> httpx.Response:
    return await client.put(f"/api/admin/users/{username}", json={"user": fields}, headers=headers)


async def login(client: httpx.AsyncClient, name: str) -> httpx.Response:
    return await client.post(
        "/api/users/login", json={"user": {"email": f"{name}@example.com", "password": PASSWORD}}
    )


async def events(client: httpx.AsyncClient, headers: Headers, query: str = "") -> list[Any]:
    response = await client.get(f"/api/admin/audit{query}", headers=headers)
    assert response.status_code == 200, response.text
    found: list[Any] = response.json()["events"]
    return found


async def test_the_user_list_has_the_documented_shape_and_is_never_stored(
    client: httpx.AsyncClient, root: Headers
) -> None:
    await register(client, "ann")
    response = await client.get("/api/admin/users", headers=root)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers
    body = response.json()
    assert body["usersCount"] == 2
    ann, admin = body["users"]
    assert set(ann) == {
        "username",
        "email",
        "role",
        "banned",
        "createdAt",
        "lastLoginAt",
        "bio",
        "image",
        "banReason",
    }
    assert (ann["username"], ann["role"], ann["banned"], ann["lastLoginAt"]) == (
        "ann",
        "user",
        False,
        None,
    )
    assert (admin["username"], admin["role"]) == ("root", "admin")
    assert admin["lastLoginAt"].endswith("Z")


async def test_the_user_list_filters_and_pages(client: httpx.AsyncClient, root: Headers) -> None:
    for name in ("ann", "annie", "bob"):
        await register(client, name)
    page = (await client.get("/api/admin/users?query=AnN&limit=1&offset=1", headers=root)).json()
    assert (page["usersCount"], [u["username"] for u in page["users"]]) == (2, ["ann"])
    email = (await client.get("/api/admin/users?query=bob@example", headers=root)).json()
    assert [u["username"] for u in email["users"]] == ["bob"]
    bad = await client.get("/api/admin/users?limit=0", headers=root)
    assert error_fields(bad, 422) == {"limit": ["must be greater than or equal to 1"]}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/admin/users", None),
        ("PUT", "/api/admin/users/ann", {"user": {"role": "admin"}}),
        ("GET", "/api/admin/audit", None),
    ],
)
async def test_only_admins_get_in(
    client: httpx.AsyncClient, method: str, path: str, body: Any
) -> None:
    ann = await register(client, "ann")
    anonymous = await client.request(method, path, json=body)
    assert error_fields(anonymous, 401) == {"token": ["is missing"]}
    forbidden = await client.request(method, path, json=body, headers=ann)
    assert error_fields(forbidden, 403) == {"admin": ["forbidden"]}
    me = (await client.get("/api/user", headers=ann)).json()
    assert me["user"]["username"] == "ann"


async def test_a_role_change_answers_the_user_and_applies_from_the_next_request(
    client: httpx.AsyncClient, root: Headers
) -> None:
    ann = await register(client, "ann")
    promoted = await put_user(client, root, "ann", role="admin")
    assert promoted.status_code == 200, promoted.text
    assert promoted.headers["cache-control"] == "no-store"
    assert promoted.json()["user"]["role"] == "admin"
    assert (await client.get("/api/admin/users", headers=ann)).status_code == 200
    demoted = await put_user(client, root, "ann", role="user")
    assert demoted.json()["user"]["role"] == "user"
    after = await client.get("/api/admin/users", headers=ann)  # the same token as before
    assert error_fields(after, 403) == {"admin": ["forbidden"]}


async def test_a_demoted_admin_is_refused_on_their_next_request(
    client: httpx.AsyncClient, root: Headers, app: FastAPI
) -> None:
    second = await make_admin(app, client, "second")
    assert (await put_user(client, second, "second", role="user")).status_code == 200
    assert error_fields(await client.get("/api/admin/audit", headers=second), 403)
    refused = await put_user(client, second, "root", role="user")
    assert error_fields(refused, 403) == {"admin": ["forbidden"]}


async def test_bad_bodies_and_unknown_users(client: httpx.AsyncClient, root: Headers) -> None:
    await register(client, "ann")
    unknown = await put_user(client, root, "nobody", banned=True)
    assert error_fields(unknown, 404) == {"user": ["not found"]}
    assert error_fields(await put_user(client, root, "ann", role="owner"), 422) == {
        "role": ["must be admin or user"]
    }
    assert error_fields(await put_user(client, root, "ann", banned="yes"), 422) == {
        "banned": ["must be a boolean"]
    }
    assert error_fields(await put_user(client, root, "ann", role=None), 422) == {
        "role": ["can't be blank"]
    }
    unchanged = await put_user(client, root, "ann")  # nothing given: nothing changes
    assert unchanged.json()["user"]["role"] == "user"


@pytest.mark.parametrize("removal", [{"role": "user"}, {"banned": True}])
async def test_the_last_admin_cannot_be_removed_even_by_themselves(
    client: httpx.AsyncClient, root: Headers, removal: dict[str, Any]
) -> None:
    refused = await put_user(client, root, "root", **removal)
    assert error_fields(refused, 409) == {"role": ["the last admin cannot be removed"]}
    assert (await client.get("/api/admin/users", headers=root)).status_code == 200


async def test_a_banned_user_mid_session_is_refused_and_cannot_sign_in_again(
    client: httpx.AsyncClient, root: Headers
) -> None:
    ann = await register(client, "ann")
    article = await create_article(client, ann, title="Stays")
    banned = await put_user(client, root, "ann", banned=True)
    assert banned.json()["user"]["banned"] is True
    for response in (
        await client.get("/api/user", headers=ann),
        await client.post("/graphql", json={"query": "{ viewer { username } }"}, headers=ann),
    ):
        assert response.status_code == 401, response.text
    refused = await login(client, "ann")
    assert error_fields(refused, 403) == {"user": ["banned"]}
    assert (await client.get(f"/api/articles/{article['slug']}")).status_code == 200
    assert (await put_user(client, root, "ann", banned=False)).status_code == 200
    assert (await login(client, "ann")).status_code == 200


async def test_the_audit_log_lists_events_newest_first_with_client_info(
    client: httpx.AsyncClient, root: Headers
) -> None:
    await register(client, "ann")
    forged = {"X-Forwarded-For": "6.6.6.6", "X-Real-IP": "6.6.6.6", "User-Agent": "agent/7"}
    failed = await client.post(
        "/api/users/login",
        json={"user": {"email": "ann@example.com", "password": "wrong-password"}},
        headers=forged,
    )
    assert failed.status_code == 401
    response = await client.get("/api/admin/audit?limit=2", headers=root)
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["eventsCount"] == 4  # root registered and logged in, ann registered, failure
    latest = body["events"][0]
    assert set(latest) == {
        "id",
        "at",
        "actor",
        "action",
        "target",
        "ip",
        "userAgent",
        "requestId",
        "outcome",
        "reason",
    }
    assert (latest["action"], latest["outcome"], latest["actor"], latest["target"]) == (
        "user.login_failed",
        "failure",
        None,
        "user:ann",
    )
    assert latest["ip"] == "127.0.0.1"  # the connection's address; the headers changed nothing
    assert latest["userAgent"] == "agent/7"
    assert latest["requestId"] == failed.headers["x-request-id"]
    assert body["events"][1]["action"] == "user.register"


async def test_the_audit_log_filters_by_actor_action_and_since(
    client: httpx.AsyncClient, root: Headers
) -> None:
    ann = await register(client, "ann")
    await client.post("/api/users/logout", headers=ann)
    assert [e["action"] for e in await events(client, root, "?actor=ANN")] == [
        "session.logout",
        "user.register",
    ]
    assert len(await events(client, root, "?action=user.register")) == 2
    assert await events(client, root, "?since=2999-01-01T00:00:00Z") == []
    assert len(await events(client, root, "?since=2000-01-01")) == 4  # everything
    bad = await client.get("/api/admin/audit?since=yesterday", headers=root)
    assert error_fields(bad, 422) == {
        "since": ["must be an ISO-8601 date and time, e.g. 2026-01-02T03:04:05Z"]
    }


async def test_admin_deletes_of_others_content_are_audited_and_own_deletes_are_not(
    client: httpx.AsyncClient, root: Headers
) -> None:
    ann = await register(client, "ann")
    first = await create_article(client, ann, title="First")
    second = await create_article(client, ann, title="Second")
    comment = await client.post(
        f"/api/articles/{first['slug']}/comments", json={"comment": {"body": "hi"}}, headers=ann
    )
    comment_id = comment.json()["comment"]["id"]
    path = f"/api/articles/{first['slug']}/comments/{comment_id}"
    assert (await client.delete(path, headers=root)).status_code == 204
    assert (await client.delete(f"/api/articles/{first['slug']}", headers=root)).status_code == 204
    assert (await client.delete(f"/api/articles/{second['slug']}", headers=ann)).status_code == 204
    deletes = [
        (e["action"], e["actor"], e["target"])
        for e in await events(client, root)
        if e["action"].endswith("_delete")
    ]
    assert deletes == [
        ("admin.article_delete", "root", f"article:{first['slug']}"),
        ("admin.comment_delete", "root", f"comment:{comment_id}"),
    ]


async def test_an_admin_list_costs_the_same_statements_at_every_page_size(
    client: httpx.AsyncClient, root: Headers
) -> None:
    for index in range(12):
        await register(client, f"user{index}")
    for path in ("/api/admin/users", "/api/admin/audit"):
        counts = set()
        for size in (1, 5, 12):
            response = await client.get(f"{path}?limit={size}", headers=root)
            assert response.status_code == 200
            counts.add(statement_count(response))
        assert counts == {2 + AUTH_STATEMENTS}, (path, counts)


async def test_every_session_of_a_banned_user_is_refused(
    client: httpx.AsyncClient, root: Headers
) -> None:
    """A second sign-in ends with the ban too, whichever scheme carries its token."""
    await register(client, "ann")
    token = (await login(client, "ann")).json()["user"]["token"]
    await put_user(client, root, "ann", banned=True)
    assert (await client.get("/api/user", headers=auth(token, "Bearer"))).status_code == 401


async def test_the_answers_match_their_documented_models(
    client: httpx.AsyncClient, root: Headers
) -> None:
    """The OpenAPI models (strict: every field, no others) describe what is really sent."""
    await register(client, "ann")
    models = {
        "/api/admin/users": envelopes.AdminUsersResponse,
        "/api/admin/audit": envelopes.AuditEventsResponse,
    }
    for path, model in models.items():
        body = (await client.get(path, headers=root)).json()
        model.model_validate(body, strict=False)
        assert set(body) == set(model.model_fields)
    changed = (await put_user(client, root, "ann", banned=True)).json()
    envelopes.AdminUserResponse.model_validate(changed)
    assert set(changed["user"]) == set(envelopes.AdminUser.model_fields)
