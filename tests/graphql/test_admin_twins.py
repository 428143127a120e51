"""The moderation twins in GraphQL: ``adminUser``, ``adminUserSessions``,
``adminComments`` (cursor paging), ``adminRevokeUserSession(s)``,
``adminDeleteArticle``/``adminDeleteComment`` with a reason, ``banReason`` and the
audit log's ``target``/``until``: answers and error codes (UNAUTHENTICATED, FORBIDDEN,
NOT_FOUND, BAD_USER_INPUT)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import PASSWORD, create_article, gql, gql_data, gql_error, make_admin, register

Headers = dict[str, str]

USER = "query($u: String!) { adminUser(username: $u) { username bio banned banReason } }"
BAN = """mutation($u: String!, $reason: String) {
  adminUpdateUser(username: $u, banned: true, banReason: $reason) { banned banReason }
}"""
SESSIONS = "query($u: String!) { adminUserSessions(username: $u) { id current } }"
REVOKE = "mutation($u: String!, $id: String!) { adminRevokeUserSession(username: $u, id: $id) }"
REVOKE_ALL = "mutation($u: String!) { adminRevokeUserSessions(username: $u) }"
COMMENTS = """query($article: String, $author: String, $first: Int, $after: String) {
  adminComments(article: $article, author: $author, first: $first, after: $after) {
    totalCount
    nodes { body author article { slug title } }
    pageInfo { hasNextPage endCursor }
  }
}"""
DELETE_ARTICLE = """mutation($slug: String!, $reason: String!) {
  adminDeleteArticle(slug: $slug, reason: $reason)
}"""
DELETE_COMMENT = """mutation($id: Int!, $reason: String!) {
  adminDeleteComment(id: $id, reason: $reason)
}"""
EVENTS = """query($target: String, $action: String, $until: String) {
  auditEvents(target: $target, action: $action, until: $until) {
    totalCount nodes { action reason }
  }
}"""


@pytest.fixture
async def root(app: FastAPI, client: httpx.AsyncClient) -> Headers:
    return await make_admin(app, client, "root")


async def test_a_ban_reason_is_kept_shown_and_audited(
    client: httpx.AsyncClient, root: Headers
) -> None:
    await register(client, "ann")
    banned = await gql_data(client, BAN, {"u": "ann", "reason": "Spam links"}, root)
    assert banned["adminUpdateUser"] == {"banned": True, "banReason": "Spam links"}
    user = (await gql_data(client, USER, {"u": "ANN"}, root))["adminUser"]
    assert user == {"username": "ann", "bio": None, "banned": True, "banReason": "Spam links"}
    login = """mutation($e: String!, $p: String!) {
      login(input: {email: $e, password: $p}) { token }
    }"""
    refused = gql_error(await gql(client, login, {"e": "ann@example.com", "p": PASSWORD}))
    assert refused["extensions"]["code"] == "FORBIDDEN"
    assert refused["extensions"]["fields"] == {"user": ["banned"], "banned": ["Spam links"]}
    events = await gql_data(client, EVENTS, {"target": "ann", "action": "admin.ban"}, root)
    assert events["auditEvents"]["nodes"] == [{"action": "admin.ban", "reason": "Spam links"}]
    too_long = gql_error(await gql(client, BAN, {"u": "ann", "reason": "x" * 501}, root))
    assert too_long["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_admin_ends_a_user_s_sessions(client: httpx.AsyncClient, root: Headers) -> None:
    ann = await register(client, "ann")
    [session] = (await gql_data(client, SESSIONS, {"u": "ann"}, root))["adminUserSessions"]
    assert session["current"] is False
    done = await gql_data(client, REVOKE, {"u": "ann", "id": session["id"]}, root)
    assert done == {"adminRevokeUserSession": True}
    assert (await client.get("/api/user", headers=ann)).status_code == 401
    again = gql_error(await gql(client, REVOKE, {"u": "ann", "id": session["id"]}, root))
    assert (again["extensions"]["code"], again["extensions"]["fields"]) == (
        "NOT_FOUND",
        {"session": ["not found"]},
    )
    bob = await register(client, "bob")
    assert await gql_data(client, REVOKE_ALL, {"u": "bob"}, root) == {
        "adminRevokeUserSessions": True
    }
    assert (await client.get("/api/user", headers=bob)).status_code == 401


async def test_every_comment_pages_by_cursor_and_moderation_deletes_take_a_reason(
    client: httpx.AsyncClient, root: Headers
) -> None:
    ann = await register(client, "ann")
    article = await create_article(client, ann, "Spam")
    ids = []
    for body in ("one", "two"):
        response = await client.post(
            f"/api/articles/{article['slug']}/comments",
            json={"comment": {"body": body}},
            headers=ann,
        )
        ids.append(response.json()["comment"]["id"])
    first = (await gql_data(client, COMMENTS, {"author": "ANN", "first": 1}, root))["adminComments"]
    assert first["totalCount"] == 2
    assert first["nodes"] == [
        {"body": "two", "author": "ann", "article": {"slug": article["slug"], "title": "Spam"}}
    ]
    after = first["pageInfo"]["endCursor"]
    rest = (await gql_data(client, COMMENTS, {"first": 5, "after": after}, root))["adminComments"]
    assert [node["body"] for node in rest["nodes"]] == ["one"]
    assert rest["pageInfo"]["hasNextPage"] is False

    blank = gql_error(await gql(client, DELETE_COMMENT, {"id": ids[0], "reason": ""}, root))
    assert blank["extensions"]["fields"] == {"reason": ["can't be blank"]}
    assert await gql_data(client, DELETE_COMMENT, {"id": ids[0], "reason": "Abuse"}, root) == {
        "adminDeleteComment": True
    }
    deleted = await gql_data(
        client, DELETE_ARTICLE, {"slug": article["slug"], "reason": "Spam"}, root
    )
    assert deleted == {"adminDeleteArticle": True}
    assert (await client.get(f"/api/articles/{article['slug']}")).status_code == 404
    events = await gql_data(client, EVENTS, {"target": f"article:{article['slug']}"}, root)
    assert events["auditEvents"]["nodes"] == [{"action": "admin.article_delete", "reason": "Spam"}]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (USER, {"u": "root"}),
        (SESSIONS, {"u": "root"}),
        (REVOKE_ALL, {"u": "root"}),
        (COMMENTS, {}),
        (DELETE_ARTICLE, {"slug": "anything", "reason": "x"}),
        (DELETE_COMMENT, {"id": 1, "reason": "x"}),
    ],
)
async def test_the_twins_are_for_admins_only(
    client: httpx.AsyncClient, root: Headers, query: str, variables: dict[str, object]
) -> None:
    anonymous = gql_error(await gql(client, query, variables))
    assert anonymous["extensions"]["code"] == "UNAUTHENTICATED"
    ann = await register(client, "ann")
    forbidden = gql_error(await gql(client, query, variables, ann))
    assert (forbidden["extensions"]["code"], forbidden["extensions"]["fields"]) == (
        "FORBIDDEN",
        {"admin": ["forbidden"]},
    )


async def test_the_audit_log_until_a_moment(client: httpx.AsyncClient, root: Headers) -> None:
    past = await gql_data(client, EVENTS, {"target": "root", "until": "2000-01-01"}, root)
    assert past["auditEvents"]["totalCount"] == 0
    future = await gql_data(client, EVENTS, {"target": "root", "until": "2999-01-01"}, root)
    assert future["auditEvents"]["totalCount"] == 2  # registered, logged in
    bad = gql_error(await gql(client, EVENTS, {"until": "someday"}, root))
    assert (bad["extensions"]["code"], list(bad["extensions"]["fields"])) == (
        "BAD_USER_INPUT",
        ["until"],
    )
