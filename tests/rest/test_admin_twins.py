"""``/api/admin``'s moderation twins (what the console does, by REST): one user, a ban's
reason, a user's sessions, every comment, the moderation deletes, the audit log's target
and until filters: statuses, envelopes against their documented models, and the
RealWorld error shape for 401, 403, 404 and 422."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from quillpress.api.rest import envelopes
from tests.helpers import PASSWORD, create_article, error_fields, make_admin, register

Headers = dict[str, str]


@pytest.fixture
async def root(app: FastAPI, client: httpx.AsyncClient) -> Headers:
    return await make_admin(app, client, "root")


def valid(response: httpx.Response, model: Any) -> dict[str, Any]:
    """A 200 whose body is exactly the documented model (every field, no others)."""
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    model.model_validate(body, strict=False)
    assert set(body) == set(model.model_fields)
    return body


async def comment(client: httpx.AsyncClient, headers: Headers, slug: str, body: str) -> int:
    response = await client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": body}}, headers=headers
    )
    assert response.status_code == 201, response.text
    found: int = response.json()["comment"]["id"]
    return found


async def test_a_ban_with_a_reason_is_shown_to_the_admin_and_to_the_refused_login(
    client: httpx.AsyncClient, root: Headers
) -> None:
    await register(client, "ann")
    banned = await client.put(
        "/api/admin/users/ann",
        json={"user": {"banned": True, "banReason": "Spam links"}},
        headers=root,
    )
    user = valid(banned, envelopes.AdminUserResponse)["user"]
    assert (user["banned"], user["banReason"], user["bio"]) == (True, "Spam links", None)
    read = valid(
        await client.get("/api/admin/users/ANN", headers=root), envelopes.AdminUserResponse
    )
    assert read["user"] == user
    refused = await client.post(
        "/api/users/login", json={"user": {"email": "ann@example.com", "password": PASSWORD}}
    )
    assert error_fields(refused, 403) == {"user": ["banned"], "banned": ["Spam links"]}
    audit = valid(
        await client.get("/api/admin/audit?target=ann&action=admin.ban", headers=root),
        envelopes.AuditEventsResponse,
    )
    assert [event["reason"] for event in audit["events"]] == ["Spam links"]


async def test_a_ban_reason_is_validated(client: httpx.AsyncClient, root: Headers) -> None:
    await register(client, "ann")
    too_long = await client.put(
        "/api/admin/users/ann",
        json={"user": {"banned": True, "banReason": "x" * 501}},
        headers=root,
    )
    assert error_fields(too_long, 422) == {"banReason": ["is too long (maximum is 500 characters)"]}
    alone = await client.put(
        "/api/admin/users/ann", json={"user": {"banReason": "Spam"}}, headers=root
    )
    assert error_fields(alone, 422) == {"banReason": ["can only be given with a ban"]}


async def test_the_user_list_filters_by_role_and_ban(
    client: httpx.AsyncClient, root: Headers
) -> None:
    await register(client, "ann")
    await register(client, "bob")
    await client.put("/api/admin/users/bob", json={"user": {"banned": True}}, headers=root)

    async def names(query: str) -> list[str]:
        body = valid(
            await client.get(f"/api/admin/users{query}", headers=root),
            envelopes.AdminUsersResponse,
        )
        return [user["username"] for user in body["users"]]

    assert await names("?role=admin") == ["root"]
    assert await names("?banned=true") == ["bob"]
    assert await names("?banned=false&role=user") == ["ann"]
    refused = await client.get("/api/admin/users?role=owner", headers=root)
    assert set(error_fields(refused, 422)) == {"role"}


async def test_an_admin_lists_and_ends_a_user_s_sessions(
    client: httpx.AsyncClient, root: Headers
) -> None:
    ann = await register(client, "ann")
    listed = valid(
        await client.get("/api/admin/users/ann/sessions", headers=root),
        envelopes.SessionsResponse,
    )
    [session] = listed["sessions"]
    assert session["current"] is False
    ended = await client.delete(f"/api/admin/users/ann/sessions/{session['id']}", headers=root)
    assert ended.status_code == 204, ended.text
    assert (await client.get("/api/user", headers=ann)).status_code == 401
    again = await client.delete(f"/api/admin/users/ann/sessions/{session['id']}", headers=root)
    assert error_fields(again, 404) == {"session": ["not found"]}
    bob = await register(client, "bob")
    everything = await client.delete("/api/admin/users/bob/sessions", headers=root)
    assert everything.status_code == 204, everything.text
    assert (await client.get("/api/user", headers=bob)).status_code == 401
    unknown = await client.get("/api/admin/users/nobody/sessions", headers=root)
    assert error_fields(unknown, 404) == {"user": ["not found"]}


async def test_every_comment_newest_first_with_filters_and_paging(
    client: httpx.AsyncClient, root: Headers
) -> None:
    ann = await register(client, "ann")
    first = await create_article(client, ann, "First")
    second = await create_article(client, root, "Second")
    await comment(client, ann, first["slug"], "one")
    await comment(client, root, second["slug"], "two")
    await comment(client, root, first["slug"], "three")

    async def bodies(query: str = "") -> tuple[list[str], int]:
        body = valid(
            await client.get(f"/api/admin/comments{query}", headers=root),
            envelopes.AdminCommentsResponse,
        )
        return [item["body"] for item in body["comments"]], body["commentsCount"]

    assert await bodies() == (["three", "two", "one"], 3)
    assert await bodies(f"?article={first['slug']}") == (["three", "one"], 2)
    assert await bodies("?author=ANN") == (["one"], 1)
    assert await bodies("?limit=1&offset=1") == (["two"], 3)
    newest = (await client.get("/api/admin/comments?limit=1", headers=root)).json()
    assert newest["comments"][0]["article"] == {"slug": first["slug"], "title": "First"}
    assert newest["comments"][0]["author"] == "root"
    refused = await client.get("/api/admin/comments?limit=0", headers=root)
    assert set(error_fields(refused, 422)) == {"limit"}


async def test_a_moderation_delete_takes_a_reason_to_the_audit_log(
    client: httpx.AsyncClient, root: Headers
) -> None:
    ann = await register(client, "ann")
    article = await create_article(client, ann, "Spam")
    comment_id = await comment(client, ann, article["slug"], "spam")
    path = f"/api/admin/comments/{comment_id}"
    no_reason = await client.request("DELETE", path, json={"reason": "  "}, headers=root)
    assert error_fields(no_reason, 422) == {"reason": ["can't be blank"]}
    no_body = await client.delete(path, headers=root)
    assert set(error_fields(no_body, 422)) == {"body"}
    gone = await client.request("DELETE", path, json={"reason": "Abuse"}, headers=root)
    assert gone.status_code == 204, gone.text
    deleted = await client.request(
        "DELETE", f"/api/admin/articles/{article['slug']}", json={"reason": "Spam"}, headers=root
    )
    assert deleted.status_code == 204, deleted.text
    assert (await client.get(f"/api/articles/{article['slug']}")).status_code == 404
    audit = (await client.get("/api/admin/audit?action=admin.article_delete", headers=root)).json()
    assert [(e["target"], e["reason"]) for e in audit["events"]] == [
        (f"article:{article['slug']}", "Spam")
    ]
    again = await client.request(
        "DELETE", f"/api/admin/articles/{article['slug']}", json={"reason": "Spam"}, headers=root
    )
    assert error_fields(again, 404) == {"article": ["not found"]}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/admin/users/ann", None),
        ("GET", "/api/admin/users/ann/sessions", None),
        ("DELETE", "/api/admin/users/ann/sessions", None),
        ("DELETE", "/api/admin/users/ann/sessions/x", None),
        ("GET", "/api/admin/comments", None),
        ("DELETE", "/api/admin/articles/a-title", {"reason": "x"}),
        ("DELETE", "/api/admin/comments/1", {"reason": "x"}),
    ],
)
async def test_the_twins_are_for_admins_only(
    client: httpx.AsyncClient, method: str, path: str, body: Any
) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann)
    anonymous = await client.request(method, path, json=body)
    assert error_fields(anonymous, 401) == {"token": ["is missing"]}
    forbidden = await client.request(method, path, json=body, headers=ann)
    assert error_fields(forbidden, 403) == {"admin": ["forbidden"]}


async def test_the_audit_log_filters_by_target_and_until(
    client: httpx.AsyncClient, root: Headers
) -> None:
    await register(client, "ann")
    await client.put("/api/admin/users/ann", json={"user": {"role": "admin"}}, headers=root)

    async def actions(query: str) -> list[str]:
        body = (await client.get(f"/api/admin/audit{query}", headers=root)).json()
        return [event["action"] for event in body["events"]]

    assert await actions("?target=ANN") == ["admin.role_change", "user.register"]
    assert await actions("?target=ann&until=2000-01-01") == []
    assert await actions("?target=ann&until=2999-01-01T00:00:00Z") == [
        "admin.role_change",
        "user.register",
    ]
    refused = await client.get("/api/admin/audit?until=someday", headers=root)
    assert set(error_fields(refused, 422)) == {"until"}
