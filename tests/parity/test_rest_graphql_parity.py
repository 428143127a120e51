"""One table of scenarios, each run through REST and through GraphQL on the same data:
both adapters must return the same data, or fail the same way with the same field errors.

Scenarios that write run each adapter on a freshly seeded database (the seed is
deterministic, ids included), so both start from the same state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import make_settings, truncate
from tests.helpers import PASSWORD, create_article, gql, register
from tests.limiting import client_at, login, running

Json = dict[str, Any]
View = Callable[[Any], Any]

CODES = {
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    422: "BAD_USER_INPUT",
    429: "RATE_LIMITED",
}

PROFILE = "username bio image following"
ITEM = f"slug title description tagList createdAt updatedAt favorited favoritesCount author {{ {PROFILE} }}"  # noqa: E501
ARTICLE = f"{ITEM} body"
COMMENT = f"id body createdAt updatedAt author {{ {PROFILE} }}"
USER = "email username bio image"
LIST_ARGS = "($filter: ArticleFilter, $first: Int)"
LIST = f"query{LIST_ARGS} {{ articles(filter: $filter, first: $first) {{ totalCount nodes {{ {ITEM} }} }} }}"  # noqa: E501
FEED = f"query($first: Int) {{ feed(first: $first) {{ totalCount nodes {{ {ITEM} }} }} }}"


async def seed(client: httpx.AsyncClient) -> dict[str, Any]:
    """ann, bob, cyd, dee; cyd follows ann; three articles; cyd favorites ann2; bob and
    cyd comment on ann2. Returns the auth headers and the labels scenarios refer to."""
    users = {name: await register(client, name) for name in ("ann", "bob", "cyd", "dee")}
    await client.put("/api/user", json={"user": {"bio": "I write"}}, headers=users["ann"])
    ann1 = await create_article(client, users["ann"], title="Ann one", tagList=["python", "web"])
    ann2 = await create_article(client, users["ann"], title="Ann two", tagList=["python"])
    bob1 = await create_article(client, users["bob"], title="Bob one", tagList=["web", "rust"])
    await client.post("/api/profiles/ann/follow", headers=users["cyd"])
    await client.post(f"/api/articles/{ann2['slug']}/favorite", headers=users["cyd"])
    comments = []
    for name, body in (("bob", "first"), ("cyd", "second"), ("bob", "third")):
        response = await client.post(
            f"/api/articles/{ann2['slug']}/comments",
            json={"comment": {"body": body}},
            headers=users[name],
        )
        comments.append(response.json()["comment"]["id"])
    labels = {
        "ann1": ann1["slug"],
        "ann2": ann2["slug"],
        "bob1": bob1["slug"],
        "c1": comments[0],
        "c2": comments[1],
        "c3": comments[2],
    }
    headers = {**users, "anon": {}, "forged": {"Authorization": "Token forged.jwt.value"}}
    return {"headers": headers, "labels": labels}


def fill(value: Any, labels: dict[str, Any]) -> Any:
    """Replace ``"@label"`` strings (and ``@label`` inside paths) with seeded values."""
    if isinstance(value, dict):
        return {key: fill(item, labels) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(fill(item, labels) for item in value)
    if isinstance(value, str) and value.startswith("@") and value[1:] in labels:
        return labels[value[1:]]
    if isinstance(value, str) and "@" in value:
        for name, replacement in labels.items():
            value = value.replace(f"@{name}", str(replacement))
    return value


def _path(*keys: str) -> View:
    def view(data: Any) -> Any:
        for key in keys:
            data = data[key]
        return data

    return view


def _rest_list(data: Json) -> Json:
    return {"items": data["articles"], "total": data["articlesCount"]}


def _gql_list(root: str) -> View:
    return lambda data: {"items": data[root]["nodes"], "total": data[root]["totalCount"]}


SEARCH = (
    "query($query: String!, $first: Int, $after: String, $tag: String, $author: String) "
    "{ searchArticles(query: $query, first: $first, after: $after, tag: $tag, author: $author) "
    f"{{ totalCount suggestion edges {{ highlight {{ title snippet }} node {{ {ITEM} }} }} }} }}"
)


def _rest_search(data: Json) -> Json:
    """``match`` on each REST item is the twin of GraphQL's ``highlight`` on each edge."""
    items = [dict(item) for item in data["articles"]]
    matches = [item.pop("match") for item in items]
    return {
        "items": items,
        "matches": matches,
        "total": data["articlesCount"],
        "suggestion": data["suggestion"],
    }


def _gql_search(data: Json) -> Json:
    found = data["searchArticles"]
    return {
        "items": [edge["node"] for edge in found["edges"]],
        "matches": [edge["highlight"] for edge in found["edges"]],
        "total": found["totalCount"],
        "suggestion": found["suggestion"],
    }


def _rest_user(data: Json) -> Json:
    user = dict(data["user"])
    assert user.pop("token")
    user.pop("refreshToken", None)  # sign-ins only; GraphQL's is on the payload, beside token
    return user


def _gql_session(root: str) -> View:
    def view(data: Json) -> Json:
        assert data[root]["token"]
        assert data[root]["refreshToken"]
        user: Json = data[root]["user"]
        return user

    return view


def _done(_data: Any) -> str:
    return "done"


def _gql_done(root: str) -> View:
    def view(data: Json) -> str:
        assert data[root] is True
        return "done"

    return view


@dataclass(frozen=True)
class Scenario:
    name: str
    user: str
    rest: tuple[str, str, Json | None]
    graphql: tuple[str, Json]
    expect: str = "ok"  # or the GraphQL code of the expected error
    rest_view: View = _done
    gql_view: View = _done
    writes: bool = False
    renamed: dict[str, str] = field(default_factory=dict)  # REST error key → GraphQL's


def _article_query(selection: str) -> str:
    return f"query($slug: String!) {{ article(slug: $slug) {{ {selection} }} }}"


def _mutation(name: str, args: str, params: str, selection: str) -> str:
    return f"mutation({params}) {{ {name}({args}) {selection} }}"


ARTICLE_INPUT = {
    "title": "Parity article",
    "description": "Same either way",
    "body": "Both doors lead here",
    "tagList": ["zeta", "alpha", "zeta"],
}
CREATE = _mutation(
    "createArticle", "input: $input", "$input: CreateArticleInput!", f"{{ {ARTICLE} }}"
)
UPDATE = _mutation(
    "updateArticle",
    "slug: $slug, input: $input",
    "$slug: String!, $input: UpdateArticleInput!",
    f"{{ {ARTICLE} }}",
)
DELETE = _mutation("deleteArticle", "slug: $slug", "$slug: String!", "")
FAVORITE = _mutation("favorite", "slug: $slug", "$slug: String!", f"{{ {ARTICLE} }}")
UNFAVORITE = _mutation("unfavorite", "slug: $slug", "$slug: String!", f"{{ {ARTICLE} }}")
FOLLOW = _mutation("follow", "username: $u", "$u: String!", f"{{ {PROFILE} }}")
UNFOLLOW = _mutation("unfollow", "username: $u", "$u: String!", f"{{ {PROFILE} }}")
ADD_COMMENT = _mutation(
    "addComment",
    "slug: $slug, input: $input",
    "$slug: String!, $input: AddCommentInput!",
    f"{{ {COMMENT} }}",
)
DELETE_COMMENT = _mutation("deleteComment", "slug: $slug, id: $id", "$slug: String!, $id: Int!", "")
PAYLOAD = f"{{ token refreshToken user {{ {USER} }} }}"
REGISTER = _mutation("register", "input: $input", "$input: RegisterInput!", PAYLOAD)
LOGIN = _mutation("login", "input: $input", "$input: LoginInput!", PAYLOAD)
UPDATE_VIEWER = _mutation(
    "updateViewer", "input: $input", "$input: UpdateViewerInput!", f"{{ {USER} }}"
)


SESSION = "id createdAt lastSeenAt userAgent ip current"
SESSIONS = f"{{ viewer {{ sessions {{ {SESSION} }} }} }}"
LOGOUT = "mutation { logout }"
LOGOUT_ALL = "mutation { logoutAll }"
REVOKE = _mutation("revokeSession", "id: $id", "$id: String!", "")


def _session_rows(sessions: list[Json]) -> list[tuple[Any, ...]]:
    assert all(set(s) == set(SESSION.split()) for s in sessions), sessions
    return [(s["current"], s["userAgent"], s["ip"]) for s in sessions]


def _new_user(**fields: str) -> Json:
    return {"username": "eve", "email": "eve@example.com", "password": PASSWORD, **fields}


def _list(name: str, user: str, query: str, variables: Json) -> Scenario:
    return Scenario(
        name,
        user,
        ("GET", "/api/articles" + query, None),
        (LIST, variables),
        rest_view=_rest_list,
        gql_view=_gql_list("articles"),
    )


def _search(name: str, user: str, query: str, variables: Json, **extra: Any) -> Scenario:
    return Scenario(
        name,
        user,
        ("GET", "/api/articles" + query, None),
        (SEARCH, variables),
        rest_view=_rest_search,
        gql_view=_gql_search,
        renamed={"q": "query", "cursor": "after", "limit": "first"},
        **extra,
    )


def _error(
    name: str,
    user: str,
    expect: str,
    rest: tuple[str, str, Json | None],
    graphql: tuple[str, Json],
    **extra: Any,
) -> Scenario:
    return Scenario(name, user, rest, graphql, expect=expect, writes=True, **extra)


SCENARIOS = [
    # -- reads ---------------------------------------------------------------------------
    Scenario(
        "article anonymous",
        "anon",
        ("GET", "/api/articles/@ann2", None),
        (_article_query(ARTICLE), {"slug": "@ann2"}),
        rest_view=_path("article"),
        gql_view=_path("article"),
    ),
    Scenario(
        "article as a fan and follower",
        "cyd",
        ("GET", "/api/articles/@ann2", None),
        (_article_query(ARTICLE), {"slug": "@ann2"}),
        rest_view=_path("article"),
        gql_view=_path("article"),
    ),
    _list("articles anonymous", "anon", "", {}),
    _list("articles as a fan", "cyd", "", {}),
    _list("articles first page", "cyd", "?limit=2", {"first": 2}),
    _list("articles by tag", "anon", "?tag=python", {"filter": {"tag": "python"}}),
    _list("articles by author", "cyd", "?author=ann", {"filter": {"author": "ann"}}),
    _list("articles by fan", "cyd", "?favorited=cyd", {"filter": {"favoritedBy": "cyd"}}),
    _list("articles by unknown tag", "anon", "?tag=nosuch", {"filter": {"tag": "nosuch"}}),
    _list(
        "articles by tag and author",
        "bob",
        "?tag=web&author=bob",
        {"filter": {"tag": "web", "author": "bob"}},
    ),
    _search("search: match and highlight", "anon", "?q=one", {"query": "one"}),
    _search("search as a fan", "cyd", "?q=ann", {"query": "ann"}),
    _search("search a tag", "anon", "?q=python&limit=1", {"query": "python", "first": 1}),
    _search(
        "search with filters",
        "bob",
        "?q=web&tag=rust&author=bob",
        {"query": "web", "tag": "rust", "author": "bob"},
    ),
    _search("search finding nothing", "anon", "?q=zanzibar", {"query": "zanzibar"}),
    _search("search of a stop word", "anon", "?q=the", {"query": "the"}),
    _search(
        "search too long", "anon", "?q=" + "x" * 201, {"query": "x" * 201}, expect="BAD_USER_INPUT"
    ),
    _search(
        "search of too many words",
        "anon",
        "?q=" + "+".join(["w"] * 21),
        {"query": " ".join(["w"] * 21)},
        expect="BAD_USER_INPUT",
    ),
    _search(
        "search after a list's cursor",
        "anon",
        "?q=one&cursor=MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHwx",
        {"query": "one", "after": "MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHwx"},
        expect="BAD_USER_INPUT",
    ),
    Scenario(
        "feed",
        "cyd",
        ("GET", "/api/articles/feed", None),
        (FEED, {}),
        rest_view=_rest_list,
        gql_view=_gql_list("feed"),
    ),
    Scenario(
        "feed first page",
        "cyd",
        ("GET", "/api/articles/feed?limit=1", None),
        (FEED, {"first": 1}),
        rest_view=_rest_list,
        gql_view=_gql_list("feed"),
    ),
    Scenario(
        "empty feed",
        "dee",
        ("GET", "/api/articles/feed", None),
        (FEED, {}),
        rest_view=_rest_list,
        gql_view=_gql_list("feed"),
    ),
    Scenario(
        "profile anonymous",
        "anon",
        ("GET", "/api/profiles/ann", None),
        (f'{{ profile(username: "ann") {{ {PROFILE} }} }}', {}),
        rest_view=_path("profile"),
        gql_view=_path("profile"),
    ),
    Scenario(
        "profile as a follower",
        "cyd",
        ("GET", "/api/profiles/ann", None),
        (f'{{ profile(username: "ann") {{ {PROFILE} }} }}', {}),
        rest_view=_path("profile"),
        gql_view=_path("profile"),
    ),
    Scenario(
        "comments",
        "ann",
        ("GET", "/api/articles/@ann2/comments", None),
        (_article_query(f"comments {{ {COMMENT} }}"), {"slug": "@ann2"}),
        rest_view=_path("comments"),
        gql_view=_path("article", "comments"),
    ),
    Scenario(
        "comments as a follower of the commenter",
        "cyd",
        ("GET", "/api/articles/@ann2/comments", None),
        (_article_query(f"comments {{ {COMMENT} }}"), {"slug": "@ann2"}),
        rest_view=_path("comments"),
        gql_view=_path("article", "comments"),
    ),
    Scenario(
        "tags",
        "anon",
        ("GET", "/api/tags", None),
        ("{ tags }", {}),
        rest_view=_path("tags"),
        gql_view=_path("tags"),
    ),
    Scenario(
        "current user",
        "ann",
        ("GET", "/api/user", None),
        (f"{{ viewer {{ {USER} }} }}", {}),
        rest_view=_rest_user,
        gql_view=_path("viewer"),
    ),
    # -- writes --------------------------------------------------------------------------
    Scenario(
        "register",
        "anon",
        ("POST", "/api/users", {"user": _new_user()}),
        (REGISTER, {"input": _new_user()}),
        rest_view=_rest_user,
        gql_view=_gql_session("register"),
        writes=True,
    ),
    Scenario(
        "login",
        "anon",
        ("POST", "/api/users/login", {"user": {"email": "ann@example.com", "password": PASSWORD}}),
        (LOGIN, {"input": {"email": "ann@example.com", "password": PASSWORD}}),
        rest_view=_rest_user,
        gql_view=_gql_session("login"),
        writes=True,
    ),
    Scenario(
        "list sessions",
        "ann",
        ("GET", "/api/user/sessions", None),
        (SESSIONS, {}),
        rest_view=lambda data: _session_rows(data["sessions"]),
        gql_view=lambda data: _session_rows(data["viewer"]["sessions"]),
    ),
    Scenario(
        "logout",
        "ann",
        ("POST", "/api/users/logout", None),
        (LOGOUT, {}),
        gql_view=_gql_done("logout"),
        writes=True,
    ),
    Scenario(
        "logout everywhere",
        "ann",
        ("POST", "/api/users/logout-all", None),
        (LOGOUT_ALL, {}),
        gql_view=_gql_done("logoutAll"),
        writes=True,
    ),
    Scenario(
        "update user partially",
        "ann",
        ("PUT", "/api/user", {"user": {"image": "https://img.example/ann.png", "bio": ""}}),
        (UPDATE_VIEWER, {"input": {"image": "https://img.example/ann.png", "bio": ""}}),
        rest_view=_rest_user,
        gql_view=_path("updateViewer"),
        writes=True,
    ),
    Scenario(
        "create article",
        "bob",
        ("POST", "/api/articles", {"article": ARTICLE_INPUT}),
        (CREATE, {"input": ARTICLE_INPUT}),
        rest_view=_path("article"),
        gql_view=_path("createArticle"),
        writes=True,
    ),
    Scenario(
        "create article with a duplicate title",
        "bob",
        ("POST", "/api/articles", {"article": {**ARTICLE_INPUT, "title": "Ann one"}}),
        (CREATE, {"input": {**ARTICLE_INPUT, "title": "Ann one"}}),
        rest_view=_path("article"),
        gql_view=_path("createArticle"),
        writes=True,
    ),
    Scenario(
        "update article title",
        "ann",
        ("PUT", "/api/articles/@ann1", {"article": {"title": "Ann renamed"}}),
        (UPDATE, {"slug": "@ann1", "input": {"title": "Ann renamed"}}),
        rest_view=_path("article"),
        gql_view=_path("updateArticle"),
        writes=True,
    ),
    Scenario(
        "update article body and clear tags",
        "ann",
        ("PUT", "/api/articles/@ann1", {"article": {"body": "Rewritten", "tagList": []}}),
        (UPDATE, {"slug": "@ann1", "input": {"body": "Rewritten", "tagList": []}}),
        rest_view=_path("article"),
        gql_view=_path("updateArticle"),
        writes=True,
    ),
    Scenario(
        "delete article",
        "ann",
        ("DELETE", "/api/articles/@ann1", None),
        (DELETE, {"slug": "@ann1"}),
        gql_view=_gql_done("deleteArticle"),
        writes=True,
    ),
    Scenario(
        "favorite",
        "bob",
        ("POST", "/api/articles/@ann2/favorite", None),
        (FAVORITE, {"slug": "@ann2"}),
        rest_view=_path("article"),
        gql_view=_path("favorite"),
        writes=True,
    ),
    Scenario(
        "favorite again is idempotent",
        "cyd",
        ("POST", "/api/articles/@ann2/favorite", None),
        (FAVORITE, {"slug": "@ann2"}),
        rest_view=_path("article"),
        gql_view=_path("favorite"),
        writes=True,
    ),
    Scenario(
        "unfavorite",
        "cyd",
        ("DELETE", "/api/articles/@ann2/favorite", None),
        (UNFAVORITE, {"slug": "@ann2"}),
        rest_view=_path("article"),
        gql_view=_path("unfavorite"),
        writes=True,
    ),
    Scenario(
        "follow",
        "bob",
        ("POST", "/api/profiles/ann/follow", None),
        (FOLLOW, {"u": "ann"}),
        rest_view=_path("profile"),
        gql_view=_path("follow"),
        writes=True,
    ),
    Scenario(
        "unfollow",
        "cyd",
        ("DELETE", "/api/profiles/ann/follow", None),
        (UNFOLLOW, {"u": "ann"}),
        rest_view=_path("profile"),
        gql_view=_path("unfollow"),
        writes=True,
    ),
    Scenario(
        "add comment",
        "dee",
        ("POST", "/api/articles/@bob1/comments", {"comment": {"body": "Nice"}}),
        (ADD_COMMENT, {"slug": "@bob1", "input": {"body": "Nice"}}),
        rest_view=_path("comment"),
        gql_view=_path("addComment"),
        writes=True,
    ),
    Scenario(
        "delete own comment",
        "bob",
        ("DELETE", "/api/articles/@ann2/comments/@c1", None),
        (DELETE_COMMENT, {"slug": "@ann2", "id": "@c1"}),
        gql_view=_gql_done("deleteComment"),
        writes=True,
    ),
    # -- errors --------------------------------------------------------------------------
    _error(
        "register with blank fields",
        "anon",
        "BAD_USER_INPUT",
        ("POST", "/api/users", {"user": _new_user(username="", password="")}),
        (REGISTER, {"input": _new_user(username="", password="")}),
    ),
    _error(
        "register with an invalid email and short password",
        "anon",
        "BAD_USER_INPUT",
        ("POST", "/api/users", {"user": _new_user(email="not-an-email", password="short")}),
        (REGISTER, {"input": _new_user(email="not-an-email", password="short")}),
    ),
    _error(
        "register a taken username",
        "anon",
        "CONFLICT",
        ("POST", "/api/users", {"user": _new_user(username="ann")}),
        (REGISTER, {"input": _new_user(username="ann")}),
    ),
    _error(
        "register a taken email",
        "anon",
        "CONFLICT",
        ("POST", "/api/users", {"user": _new_user(email="bob@example.com")}),
        (REGISTER, {"input": _new_user(email="bob@example.com")}),
    ),
    _error(
        "revoke an unknown session",
        "ann",
        "NOT_FOUND",
        ("DELETE", "/api/user/sessions/nosuch", None),
        (REVOKE, {"id": "nosuch"}),
    ),
    _error(
        "refresh with an unknown token",
        "anon",
        "UNAUTHENTICATED",
        ("POST", "/api/users/refresh", {"refreshToken": "nope"}),
        (_mutation("refresh", "refreshToken: $t", "$t: String!", "{ token }"), {"t": "nope"}),
    ),
    _error(
        "logout anonymously",
        "anon",
        "UNAUTHENTICATED",
        ("POST", "/api/users/logout", None),
        (LOGOUT, {}),
    ),
    _error(
        "login with a wrong password",
        "anon",
        "UNAUTHENTICATED",
        ("POST", "/api/users/login", {"user": {"email": "ann@example.com", "password": "nope"}}),
        (LOGIN, {"input": {"email": "ann@example.com", "password": "nope"}}),
    ),
    _error(
        "login with an unknown email",
        "anon",
        "UNAUTHENTICATED",
        ("POST", "/api/users/login", {"user": {"email": "x@example.com", "password": PASSWORD}}),
        (LOGIN, {"input": {"email": "x@example.com", "password": PASSWORD}}),
    ),
    _error(
        "update user to a taken username",
        "bob",
        "CONFLICT",
        ("PUT", "/api/user", {"user": {"username": "ann"}}),
        (UPDATE_VIEWER, {"input": {"username": "ann"}}),
    ),
    _error(
        "update user with a blank email",
        "bob",
        "BAD_USER_INPUT",
        ("PUT", "/api/user", {"user": {"email": ""}}),
        (UPDATE_VIEWER, {"input": {"email": ""}}),
    ),
    _error(
        "current user without a token",
        "anon",
        "UNAUTHENTICATED",
        ("PUT", "/api/user", {"user": {"bio": "x"}}),
        (UPDATE_VIEWER, {"input": {"bio": "x"}}),
    ),
    _error(
        "forged token",
        "forged",
        "UNAUTHENTICATED",
        ("GET", "/api/articles", None),
        (LIST, {}),
    ),
    _error(
        "feed without a token",
        "anon",
        "UNAUTHENTICATED",
        ("GET", "/api/articles/feed", None),
        (FEED, {}),
    ),
    _error(
        "page size over the maximum",
        "anon",
        "BAD_USER_INPUT",
        ("GET", "/api/articles?limit=101", None),
        (LIST, {"first": 101}),
        renamed={"limit": "first"},
    ),
    _error(
        "page size zero",
        "anon",
        "BAD_USER_INPUT",
        ("GET", "/api/articles?limit=0", None),
        (LIST, {"first": 0}),
        renamed={"limit": "first"},
    ),
    _error(
        "create article without a token",
        "anon",
        "UNAUTHENTICATED",
        ("POST", "/api/articles", {"article": ARTICLE_INPUT}),
        (CREATE, {"input": ARTICLE_INPUT}),
    ),
    _error(
        "create article with a blank title",
        "ann",
        "BAD_USER_INPUT",
        ("POST", "/api/articles", {"article": {**ARTICLE_INPUT, "title": ""}}),
        (CREATE, {"input": {**ARTICLE_INPUT, "title": ""}}),
    ),
    _error(
        "create article with blank title, description and body",
        "ann",
        "BAD_USER_INPUT",
        ("POST", "/api/articles", {"article": {"title": " ", "description": "", "body": ""}}),
        (CREATE, {"input": {"title": " ", "description": "", "body": ""}}),
    ),
    _error(
        "create article with a blank tag",
        "ann",
        "BAD_USER_INPUT",
        ("POST", "/api/articles", {"article": {**ARTICLE_INPUT, "tagList": ["ok", " "]}}),
        (CREATE, {"input": {**ARTICLE_INPUT, "tagList": ["ok", " "]}}),
    ),
    _error(
        "update another user's article",
        "bob",
        "FORBIDDEN",
        ("PUT", "/api/articles/@ann1", {"article": {"title": "Mine now"}}),
        (UPDATE, {"slug": "@ann1", "input": {"title": "Mine now"}}),
    ),
    _error(
        "update a missing article",
        "ann",
        "NOT_FOUND",
        ("PUT", "/api/articles/nosuch", {"article": {"title": "x"}}),
        (UPDATE, {"slug": "nosuch", "input": {"title": "x"}}),
    ),
    _error(
        "update article with a null title",
        "ann",
        "BAD_USER_INPUT",
        ("PUT", "/api/articles/@ann1", {"article": {"title": None}}),
        (UPDATE, {"slug": "@ann1", "input": {"title": None}}),
    ),
    _error(
        "delete another user's article",
        "bob",
        "FORBIDDEN",
        ("DELETE", "/api/articles/@ann1", None),
        (DELETE, {"slug": "@ann1"}),
    ),
    _error(
        "delete a missing article",
        "ann",
        "NOT_FOUND",
        ("DELETE", "/api/articles/nosuch", None),
        (DELETE, {"slug": "nosuch"}),
    ),
    _error(
        "favorite a missing article",
        "bob",
        "NOT_FOUND",
        ("POST", "/api/articles/nosuch/favorite", None),
        (FAVORITE, {"slug": "nosuch"}),
    ),
    _error(
        "favorite without a token",
        "anon",
        "UNAUTHENTICATED",
        ("POST", "/api/articles/@ann1/favorite", None),
        (FAVORITE, {"slug": "@ann1"}),
    ),
    _error(
        "follow a missing user",
        "bob",
        "NOT_FOUND",
        ("POST", "/api/profiles/nobody/follow", None),
        (FOLLOW, {"u": "nobody"}),
    ),
    _error(
        "follow without a token",
        "anon",
        "UNAUTHENTICATED",
        ("POST", "/api/profiles/ann/follow", None),
        (FOLLOW, {"u": "ann"}),
    ),
    _error(
        "add a blank comment",
        "bob",
        "BAD_USER_INPUT",
        ("POST", "/api/articles/@ann1/comments", {"comment": {"body": ""}}),
        (ADD_COMMENT, {"slug": "@ann1", "input": {"body": ""}}),
    ),
    _error(
        "comment on a missing article",
        "bob",
        "NOT_FOUND",
        ("POST", "/api/articles/nosuch/comments", {"comment": {"body": "hi"}}),
        (ADD_COMMENT, {"slug": "nosuch", "input": {"body": "hi"}}),
    ),
    _error(
        "delete another user's comment",
        "cyd",
        "FORBIDDEN",
        ("DELETE", "/api/articles/@ann2/comments/@c1", None),
        (DELETE_COMMENT, {"slug": "@ann2", "id": "@c1"}),
    ),
    _error(
        "the article's author deletes someone else's comment",
        "ann",
        "FORBIDDEN",
        ("DELETE", "/api/articles/@ann2/comments/@c2", None),
        (DELETE_COMMENT, {"slug": "@ann2", "id": "@c2"}),
    ),
    _error(
        "delete a missing comment",
        "bob",
        "NOT_FOUND",
        ("DELETE", "/api/articles/@ann2/comments/999999", None),
        (DELETE_COMMENT, {"slug": "@ann2", "id": 999999}),
    ),
    _error(
        "delete a comment under another article's slug",
        "bob",
        "NOT_FOUND",
        ("DELETE", "/api/articles/@ann1/comments/@c1", None),
        (DELETE_COMMENT, {"slug": "@ann1", "id": "@c1"}),
    ),
]


def _without_times(value: Any) -> Any:
    """Timestamps of objects written in two separate runs differ; everything else must not."""
    if isinstance(value, dict):
        return {
            key: _without_times(item)
            for key, item in value.items()
            if key not in {"createdAt", "updatedAt"}
        }
    if isinstance(value, list | tuple):
        return type(value)(_without_times(item) for item in value)
    return value


async def _via_rest(
    client: httpx.AsyncClient, scenario: Scenario, world: dict[str, Any]
) -> tuple[Any, ...]:
    method, path, body = fill(scenario.rest, world["labels"])
    headers = world["headers"][scenario.user]
    response = await client.request(method, path, json=body, headers=headers)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        errors = response.json()["errors"]
        fields = {scenario.renamed.get(key, key): value for key, value in errors.items()}
        return ("error", CODES[response.status_code], fields)
    data = response.json() if response.content else None
    return ("ok", scenario.rest_view(data))


async def _via_graphql(
    client: httpx.AsyncClient, scenario: Scenario, world: dict[str, Any]
) -> tuple[Any, ...]:
    query, variables = scenario.graphql
    headers = world["headers"][scenario.user]
    response = await gql(client, query, fill(variables, world["labels"]), headers=headers)
    assert response.status_code < 500, response.text
    body = response.json()
    if body.get("errors"):
        assert len(body["errors"]) == 1, body
        extensions = body["errors"][0]["extensions"]
        return ("error", extensions["code"], extensions.get("fields"))
    assert response.status_code == 200, response.text
    return ("ok", scenario.gql_view(body["data"]))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_rest_and_graphql_agree(
    app: FastAPI, client: httpx.AsyncClient, scenario: Scenario
) -> None:
    world = await seed(client)
    rest = await _via_rest(client, scenario, world)
    if scenario.writes:
        await truncate(app.state.resources.database.engine)
        again = await seed(client)
        assert again["labels"] == world["labels"], "the seed must be deterministic"
        world = again
    graphql = await _via_graphql(client, scenario, world)
    if scenario.writes:
        rest, graphql = _without_times(rest), _without_times(graphql)
    assert rest == graphql
    outcome = rest[0] if rest[0] == "ok" else rest[1]
    assert outcome == scenario.expect, rest


MISSING = [
    ("article", "/api/articles/nosuch", _article_query("slug"), {"slug": "nosuch"}),
    ("profile", "/api/profiles/nobody", '{ profile(username: "nobody") { username } }', {}),
]


@pytest.mark.parametrize(
    ("kind", "path", "query", "variables"), MISSING, ids=[m[0] for m in MISSING]
)
async def test_a_missing_read_is_404_in_rest_and_null_in_graphql(
    client: httpx.AsyncClient, kind: str, path: str, query: str, variables: Json
) -> None:
    rest = await client.get(path)
    assert rest.status_code == 404
    assert rest.json() == {"errors": {kind: ["not found"]}}
    graphql = await gql(client, query, variables)
    assert graphql.json() == {"data": {kind: None}}


async def test_lists_agree_page_by_page_on_a_longer_list(client: httpx.AsyncClient) -> None:
    """REST pages by offset, GraphQL by cursor: walking both gives the same sequence."""
    ann = await register(client, "ann")
    for index in range(13):
        await create_article(client, ann, title=f"Post {index}", tagList=[f"t{index % 3}"])
    rest_pages = []
    for offset in range(0, 13, 5):
        response = await client.get(f"/api/articles?limit=5&offset={offset}")
        rest_pages.append([a["slug"] for a in response.json()["articles"]])
    query = """query($after: String) { articles(first: 5, after: $after) {
      pageInfo { hasNextPage endCursor } nodes { slug }
    } }"""
    gql_pages = []
    after = None
    while True:
        connection = (await gql(client, query, {"after": after})).json()["data"]["articles"]
        gql_pages.append([node["slug"] for node in connection["nodes"]])
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert rest_pages == gql_pages
    assert [len(page) for page in gql_pages] == [5, 5, 3]


async def test_a_rate_limited_login_is_the_same_refusal_in_rest_and_graphql(
    database_url: str,
) -> None:
    settings = make_settings(database_url, rate_limit_login_account_ip="2/5minutes")
    async with running(settings) as app, client_at(app, "192.0.2.200") as http:
        await register(http, "ann")
        for _ in range(2):
            assert (await login(http, "ann", "wrong-password")).status_code == 401
        rest = await login(http, "ann")
        graphql = await gql(
            http, LOGIN, {"input": {"email": "ann@example.com", "password": PASSWORD}}
        )
        assert rest.status_code == graphql.status_code == 429
        extensions = graphql.json()["errors"][0]["extensions"]
        assert (CODES[rest.status_code], rest.json()["errors"]) == (
            extensions["code"],
            extensions["fields"],
        )
        for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"):
            assert rest.headers[name] == graphql.headers[name], name
        assert abs(int(rest.headers["Retry-After"]) - int(graphql.headers["Retry-After"])) <= 1


async def test_a_refused_csrf_check_names_the_same_check_in_rest_and_graphql(
    client: httpx.AsyncClient,
) -> None:
    """An unsafe cookie request without its CSRF proof: 403 in both, the failed check's
    words in REST's ``{"csrf": [reason]}``, GraphQL's message and ``extensions.reason``."""
    await register(client, "ann")
    signed_in = await client.post(
        "/api/users/login?session=cookie",
        json={"user": {"email": "ann@example.com", "password": PASSWORD}},
    )
    assert signed_in.status_code == 200
    token, own = client.cookies["qp_csrf"], "http://testserver"
    cases = {
        "origin missing": {"X-CSRF-Token": token},
        "origin not allowed": {"X-CSRF-Token": token, "Origin": "https://evil.example"},
        "token missing": {"Origin": own},
        "token mismatch": {"X-CSRF-Token": token[::-1], "Origin": own},
    }
    for reason, headers in cases.items():
        rest = await client.put("/api/user", json={"user": {"bio": "x"}}, headers=headers)
        graphql = await gql(
            client, 'mutation { updateViewer(input: {bio: "x"}) { bio } }', headers=headers
        )
        assert rest.status_code == graphql.status_code == 403, reason
        (error,) = graphql.json()["errors"]
        assert rest.json() == {"errors": {"csrf": [reason]}}
        assert error["extensions"] == {
            "code": CODES[403],
            "fields": {"csrf": [reason]},
            "reason": reason,
        }
        assert error["message"] == f"CSRF check failed: {reason}"
