"""GraphQL mutations: each one's effect, and the error code of each way it can fail."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import PASSWORD, auth, create_article, gql, gql_data, gql_error, register

Headers = dict[str, str]

REGISTER = """mutation($input: RegisterInput!) {
  register(input: $input) { token user { username email bio image } }
}"""
LOGIN = "mutation($input: LoginInput!) { login(input: $input) { token user { username email } } }"
UPDATE_VIEWER = """mutation($input: UpdateViewerInput!) {
  updateViewer(input: $input) { username email bio image }
}"""
FOLLOW = "mutation($u: String!) { follow(username: $u) { username following } }"
UNFOLLOW = "mutation($u: String!) { unfollow(username: $u) { username following } }"
CREATE = """mutation($input: CreateArticleInput!) {
  createArticle(input: $input) {
    slug title description body tagList favorited favoritesCount author { username }
  }
}"""
UPDATE = """mutation($slug: String!, $input: UpdateArticleInput!) {
  updateArticle(slug: $slug, input: $input) { slug title description body tagList }
}"""
DELETE = "mutation($slug: String!) { deleteArticle(slug: $slug) }"
FAVORITE = "mutation($slug: String!) { favorite(slug: $slug) { slug favorited favoritesCount } }"
UNFAVORITE = (
    "mutation($slug: String!) { unfavorite(slug: $slug) { slug favorited favoritesCount } }"
)
ADD_COMMENT = """mutation($slug: String!, $input: AddCommentInput!) {
  addComment(slug: $slug, input: $input) { id body author { username } }
}"""
DELETE_COMMENT = "mutation($slug: String!, $id: Int!) { deleteComment(slug: $slug, id: $id) }"
VIEWER = "{ viewer { username } }"


def _code(response: httpx.Response) -> str:
    code: str = gql_error(response)["extensions"]["code"]
    return code


def _credentials(name: str, **overrides: str) -> dict[str, Any]:
    values = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    return {"input": {**values, **overrides}}


async def _gql_register(client: httpx.AsyncClient, username: str) -> Headers:
    data = await gql_data(client, REGISTER, _credentials(username))
    return auth(data["register"]["token"])


async def test_register_returns_a_token_that_authenticates(client: httpx.AsyncClient) -> None:
    data = await gql_data(client, REGISTER, _credentials("ann"))
    assert data["register"]["user"] == {
        "username": "ann",
        "email": "ann@example.com",
        "bio": None,
        "image": None,
    }
    viewer = await gql_data(client, VIEWER, headers=auth(data["register"]["token"]))
    assert viewer == {"viewer": {"username": "ann"}}


@pytest.mark.parametrize("taken", ["username", "email"])
async def test_register_with_a_taken_username_or_email_is_a_conflict(
    client: httpx.AsyncClient, taken: str
) -> None:
    await _gql_register(client, "ann")
    other = _credentials("bob")
    other["input"][taken] = "ann" if taken == "username" else "ann@example.com"
    error = gql_error(await gql(client, REGISTER, other))
    assert error["extensions"] == {
        "code": "CONFLICT",
        "fields": {taken: ["has already been taken"]},
    }


async def test_register_with_a_blank_username_is_bad_user_input(client: httpx.AsyncClient) -> None:
    response = await gql(client, REGISTER, _credentials("ann", username=""))
    error = gql_error(response)
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {"username": ["can't be blank"]},
    }
    assert response.json()["data"] is None


async def test_login_returns_a_working_token(client: httpx.AsyncClient) -> None:
    await _gql_register(client, "ann")
    data = await gql_data(
        client, LOGIN, {"input": {"email": "ann@example.com", "password": PASSWORD}}
    )
    assert data["login"]["user"] == {"username": "ann", "email": "ann@example.com"}
    viewer = await gql_data(client, VIEWER, headers=auth(data["login"]["token"]))
    assert viewer == {"viewer": {"username": "ann"}}


async def test_login_failure_is_identical_for_unknown_email_and_wrong_password(
    client: httpx.AsyncClient,
) -> None:
    await _gql_register(client, "ann")
    unknown = await gql(
        client, LOGIN, {"input": {"email": "nobody@example.com", "password": PASSWORD}}
    )
    wrong = await gql(
        client, LOGIN, {"input": {"email": "ann@example.com", "password": "wrong-password"}}
    )
    assert gql_error(unknown)["extensions"]["code"] == "UNAUTHENTICATED"
    assert unknown.json() == wrong.json()


async def test_update_viewer_changes_only_the_given_fields(client: httpx.AsyncClient) -> None:
    ann = await _gql_register(client, "ann")
    data = await gql_data(client, UPDATE_VIEWER, {"input": {"bio": "Hello"}}, headers=ann)
    assert data["updateViewer"] == {
        "username": "ann",
        "email": "ann@example.com",
        "bio": "Hello",
        "image": None,
    }
    data = await gql_data(
        client, UPDATE_VIEWER, {"input": {"image": "https://img.example/a.png"}}, headers=ann
    )
    assert data["updateViewer"]["bio"] == "Hello"
    assert data["updateViewer"]["image"] == "https://img.example/a.png"
    cleared = await gql_data(client, UPDATE_VIEWER, {"input": {"bio": ""}}, headers=ann)
    assert cleared["updateViewer"]["bio"] is None
    assert cleared["updateViewer"]["image"] == "https://img.example/a.png"


async def test_update_viewer_new_password_is_the_one_that_logs_in(
    client: httpx.AsyncClient,
) -> None:
    ann = await _gql_register(client, "ann")
    await gql_data(client, UPDATE_VIEWER, {"input": {"password": "brand-new-secret"}}, headers=ann)
    old = await gql(client, LOGIN, {"input": {"email": "ann@example.com", "password": PASSWORD}})
    assert _code(old) == "UNAUTHENTICATED"
    await gql_data(
        client, LOGIN, {"input": {"email": "ann@example.com", "password": "brand-new-secret"}}
    )


async def test_update_viewer_to_a_taken_username_is_a_conflict(client: httpx.AsyncClient) -> None:
    await _gql_register(client, "ann")
    bob = await _gql_register(client, "bob")
    error = gql_error(await gql(client, UPDATE_VIEWER, {"input": {"username": "ann"}}, headers=bob))
    assert error["extensions"] == {
        "code": "CONFLICT",
        "fields": {"username": ["has already been taken"]},
    }


async def test_update_viewer_with_null_username_is_bad_user_input(
    client: httpx.AsyncClient,
) -> None:
    ann = await _gql_register(client, "ann")
    response = await gql(client, UPDATE_VIEWER, {"input": {"username": None}}, headers=ann)
    assert gql_error(response)["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {"username": ["can't be blank"]},
    }


async def test_follow_and_unfollow_are_idempotent(client: httpx.AsyncClient) -> None:
    await _gql_register(client, "ann")
    bob = await _gql_register(client, "bob")
    for _ in range(2):
        data = await gql_data(client, FOLLOW, {"u": "ann"}, headers=bob)
        assert data["follow"] == {"username": "ann", "following": True}
    profile = await gql_data(client, '{ profile(username: "ann") { following } }', headers=bob)
    assert profile["profile"]["following"] is True
    for _ in range(2):
        data = await gql_data(client, UNFOLLOW, {"u": "ann"}, headers=bob)
        assert data["unfollow"] == {"username": "ann", "following": False}


async def test_follow_of_a_missing_user_is_not_found(client: httpx.AsyncClient) -> None:
    bob = await _gql_register(client, "bob")
    assert _code(await gql(client, FOLLOW, {"u": "nobody"}, headers=bob)) == "NOT_FOUND"


ARTICLE_INPUT = {
    "title": "How to train your dragon",
    "description": "Ever wonder how?",
    "body": "You have to believe",
    "tagList": ["dragons", "training"],
}


@pytest.mark.smoke
async def test_create_article_returns_it_with_a_slug_and_tags_in_order(
    client: httpx.AsyncClient,
) -> None:
    ann = await _gql_register(client, "ann")
    data = await gql_data(client, CREATE, {"input": ARTICLE_INPUT}, headers=ann)
    assert data["createArticle"] == {
        "slug": "how-to-train-your-dragon",
        "title": "How to train your dragon",
        "description": "Ever wonder how?",
        "body": "You have to believe",
        "tagList": ["dragons", "training"],
        "favorited": False,
        "favoritesCount": 0,
        "author": {"username": "ann"},
    }
    again = await gql_data(client, CREATE, {"input": ARTICLE_INPUT}, headers=ann)
    assert again["createArticle"]["slug"] != "how-to-train-your-dragon"
    assert again["createArticle"]["slug"].startswith("how-to-train-your-dragon")


async def test_create_article_with_a_blank_title_names_the_field(
    client: httpx.AsyncClient,
) -> None:
    ann = await _gql_register(client, "ann")
    response = await gql(client, CREATE, {"input": {**ARTICLE_INPUT, "title": ""}}, headers=ann)
    error = gql_error(response)
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {"title": ["can't be blank"]},
    }
    assert error["path"] == ["createArticle"]
    total = await gql_data(client, "{ articles { totalCount } }")
    assert total["articles"]["totalCount"] == 0


async def test_create_article_without_a_token_is_unauthenticated(
    client: httpx.AsyncClient,
) -> None:
    assert _code(await gql(client, CREATE, {"input": ARTICLE_INPUT})) == "UNAUTHENTICATED"


async def test_update_article_other_fields_keep_the_slug(client: httpx.AsyncClient) -> None:
    ann = await _gql_register(client, "ann")
    slug = (await gql_data(client, CREATE, {"input": ARTICLE_INPUT}, headers=ann))["createArticle"][
        "slug"
    ]
    data = await gql_data(
        client, UPDATE, {"slug": slug, "input": {"body": "New body", "tagList": []}}, headers=ann
    )
    assert data["updateArticle"] == {
        "slug": slug,
        "title": "How to train your dragon",
        "description": "Ever wonder how?",
        "body": "New body",
        "tagList": [],
    }


async def test_update_of_another_users_article_is_forbidden_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    ann = await _gql_register(client, "ann")
    bob = await _gql_register(client, "bob")
    article = await create_article(client, ann, title="Mine")
    response = await gql(
        client, UPDATE, {"slug": article["slug"], "input": {"title": "Stolen"}}, headers=bob
    )
    assert gql_error(response)["extensions"] == {
        "code": "FORBIDDEN",
        "fields": {"article": ["forbidden"]},
    }
    unchanged = await gql_data(
        client, "query($s: String!) { article(slug: $s) { title } }", {"s": article["slug"]}
    )
    assert unchanged == {"article": {"title": "Mine"}}


async def test_update_with_a_blank_title_is_bad_user_input(client: httpx.AsyncClient) -> None:
    ann = await _gql_register(client, "ann")
    article = await create_article(client, ann)
    response = await gql(
        client, UPDATE, {"slug": article["slug"], "input": {"title": "  "}}, headers=ann
    )
    assert gql_error(response)["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {"title": ["can't be blank"]},
    }


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (UPDATE, {"slug": "missing", "input": {"title": "x"}}),
        (DELETE, {"slug": "missing"}),
        (FAVORITE, {"slug": "missing"}),
        (UNFAVORITE, {"slug": "missing"}),
        (ADD_COMMENT, {"slug": "missing", "input": {"body": "hi"}}),
        (DELETE_COMMENT, {"slug": "missing", "id": 1}),
    ],
    ids=["update", "delete", "favorite", "unfavorite", "addComment", "deleteComment"],
)
async def test_mutation_on_a_missing_slug_is_not_found(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any]
) -> None:
    ann = await _gql_register(client, "ann")
    error = gql_error(await gql(client, query, variables, headers=ann))
    assert error["extensions"] == {"code": "NOT_FOUND", "fields": {"article": ["not found"]}}


async def test_delete_article_removes_it(client: httpx.AsyncClient) -> None:
    ann = await _gql_register(client, "ann")
    article = await create_article(client, ann)
    assert await gql_data(client, DELETE, {"slug": article["slug"]}, headers=ann) == {
        "deleteArticle": True
    }
    gone = await client.get(f"/api/articles/{article['slug']}")
    assert gone.status_code == 404


async def test_delete_of_another_users_article_is_forbidden(client: httpx.AsyncClient) -> None:
    ann = await _gql_register(client, "ann")
    bob = await _gql_register(client, "bob")
    article = await create_article(client, ann)
    assert _code(await gql(client, DELETE, {"slug": article["slug"]}, headers=bob)) == "FORBIDDEN"
    assert (await client.get(f"/api/articles/{article['slug']}")).status_code == 200


async def test_favorite_and_unfavorite_count_once_per_user(client: httpx.AsyncClient) -> None:
    ann = await _gql_register(client, "ann")
    bob = await _gql_register(client, "bob")
    slug = (await create_article(client, ann))["slug"]
    for _ in range(2):
        data = await gql_data(client, FAVORITE, {"slug": slug}, headers=bob)
        assert data["favorite"] == {"slug": slug, "favorited": True, "favoritesCount": 1}
    data = await gql_data(client, FAVORITE, {"slug": slug}, headers=ann)
    assert data["favorite"]["favoritesCount"] == 2
    for _ in range(2):
        data = await gql_data(client, UNFAVORITE, {"slug": slug}, headers=bob)
        assert data["unfavorite"] == {"slug": slug, "favorited": False, "favoritesCount": 1}


async def test_favorite_without_a_token_is_unauthenticated(client: httpx.AsyncClient) -> None:
    ann = await _gql_register(client, "ann")
    slug = (await create_article(client, ann))["slug"]
    assert _code(await gql(client, FAVORITE, {"slug": slug})) == "UNAUTHENTICATED"


async def test_add_comment_returns_the_same_id_rest_lists(client: httpx.AsyncClient) -> None:
    ann = await _gql_register(client, "ann")
    slug = (await create_article(client, ann))["slug"]
    data = await gql_data(
        client, ADD_COMMENT, {"slug": slug, "input": {"body": "Nice one"}}, headers=ann
    )
    comment = data["addComment"]
    assert comment["body"] == "Nice one"
    assert comment["author"] == {"username": "ann"}
    listed = (await client.get(f"/api/articles/{slug}/comments")).json()["comments"]
    assert [(c["id"], c["body"]) for c in listed] == [(comment["id"], "Nice one")]


async def test_add_comment_with_a_blank_body_is_bad_user_input(client: httpx.AsyncClient) -> None:
    ann = await _gql_register(client, "ann")
    slug = (await create_article(client, ann))["slug"]
    response = await gql(client, ADD_COMMENT, {"slug": slug, "input": {"body": ""}}, headers=ann)
    assert gql_error(response)["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {"body": ["can't be blank"]},
    }


async def test_delete_comment_by_its_author_removes_it(client: httpx.AsyncClient) -> None:
    ann = await _gql_register(client, "ann")
    bob = await _gql_register(client, "bob")
    slug = (await create_article(client, ann))["slug"]
    comment = (
        await gql_data(client, ADD_COMMENT, {"slug": slug, "input": {"body": "x"}}, headers=bob)
    )["addComment"]
    data = await gql_data(client, DELETE_COMMENT, {"slug": slug, "id": comment["id"]}, headers=bob)
    assert data == {"deleteComment": True}
    remaining = await gql_data(
        client, "query($s: String!) { article(slug: $s) { comments { id } } }", {"s": slug}
    )
    assert remaining == {"article": {"comments": []}}


async def test_delete_of_another_users_comment_is_forbidden(client: httpx.AsyncClient) -> None:
    ann = await _gql_register(client, "ann")
    bob = await _gql_register(client, "bob")
    cyd = await _gql_register(client, "cyd")
    slug = (await create_article(client, ann))["slug"]
    comment = (
        await gql_data(client, ADD_COMMENT, {"slug": slug, "input": {"body": "x"}}, headers=bob)
    )["addComment"]
    response = await gql(client, DELETE_COMMENT, {"slug": slug, "id": comment["id"]}, headers=cyd)
    assert gql_error(response)["extensions"] == {
        "code": "FORBIDDEN",
        "fields": {"comment": ["forbidden"]},
    }
    listed = (await client.get(f"/api/articles/{slug}/comments")).json()["comments"]
    assert [c["id"] for c in listed] == [comment["id"]]


async def test_delete_of_a_missing_comment_is_not_found(client: httpx.AsyncClient) -> None:
    ann = await _gql_register(client, "ann")
    slug = (await create_article(client, ann))["slug"]
    error = gql_error(await gql(client, DELETE_COMMENT, {"slug": slug, "id": 999}, headers=ann))
    assert error["extensions"] == {"code": "NOT_FOUND", "fields": {"comment": ["not found"]}}


async def test_missing_non_null_input_field_is_rejected_before_running(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    response = await gql(client, CREATE, {"input": {"description": "d", "body": "b"}}, headers=ann)
    error = gql_error(response, status=400)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "title" in error["message"]
    assert response.json()["data"] is None
    total = await gql_data(client, "{ articles { totalCount } }")
    assert total["articles"]["totalCount"] == 0


async def test_a_failing_mutation_does_not_undo_the_earlier_ones_in_the_request(
    client: httpx.AsyncClient,
) -> None:
    """Mutations run in order, each in its own transaction: errors are per field."""
    ann = await register(client, "ann")
    query = """mutation {
      ok: createArticle(input: {title: "Kept", description: "d", body: "b"}) { slug }
      bad: createArticle(input: {title: "", description: "d", body: "b"}) { slug }
    }"""
    response = await gql(client, query, headers=ann)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None  # `bad` is non-null, so its error nulls the whole data
    assert [e["path"] for e in body["errors"]] == [["bad"]]
    kept = await client.get("/api/articles/kept")
    assert kept.status_code == 200
