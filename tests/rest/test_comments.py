"""``/api/articles/{slug}/comments``: listing, adding and deleting comments."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.helpers import create_article, error_fields, register

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


async def add_comment(
    client: httpx.AsyncClient, headers: dict[str, str], slug: str, body: str
) -> dict[str, Any]:
    response = await client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": body}}, headers=headers
    )
    assert response.status_code == 201, response.text
    comment: dict[str, Any] = response.json()["comment"]
    return comment


async def comment_bodies(
    client: httpx.AsyncClient, slug: str, headers: dict[str, str] | None = None
) -> list[str]:
    response = await client.get(f"/api/articles/{slug}/comments", headers=headers or {})
    assert response.status_code == 200, response.text
    return [comment["body"] for comment in response.json()["comments"]]


@pytest.fixture
async def people(client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    """ann wrote "talk" and "other"; bob and cyd are readers."""
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    cyd = await register(client, "cyd")
    await create_article(client, ann, title="Talk")
    await create_article(client, ann, title="Other")
    return {"ann": ann, "bob": bob, "cyd": cyd}


# --- add --------------------------------------------------------------------------------


async def test_add_comment_is_201_with_an_integer_id_and_the_author_profile(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    response = await client.post(
        "/api/articles/talk/comments",
        json={"comment": {"body": "Nice post"}},
        headers=people["bob"],
    )
    assert response.status_code == 201, response.text
    comment = response.json()["comment"]
    assert set(comment) == {"id", "createdAt", "updatedAt", "body", "author"}
    assert isinstance(comment["id"], int)
    assert not isinstance(comment["id"], bool)
    assert comment["body"] == "Nice post"
    assert comment["author"] == {"username": "bob", "bio": None, "image": None, "following": False}
    assert TIMESTAMP.match(comment["createdAt"])
    assert comment["createdAt"] == comment["updatedAt"]


async def test_comment_ids_are_distinct(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    first = await add_comment(client, people["bob"], "talk", "one")
    second = await add_comment(client, people["bob"], "other", "two")
    third = await add_comment(client, people["cyd"], "talk", "three")
    assert len({first["id"], second["id"], third["id"]}) == 3


async def test_new_comment_never_shows_its_author_as_followed_by_themself(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    await client.post("/api/profiles/ann/follow", headers=people["bob"])
    comment = await add_comment(client, people["bob"], "talk", "mine")
    assert comment["author"]["following"] is False


async def test_add_comment_requires_a_token(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    response = await client.post("/api/articles/talk/comments", json={"comment": {"body": "x"}})
    assert error_fields(response, 401) == {"token": ["is missing"]}
    assert await comment_bodies(client, "talk") == []


async def test_add_comment_to_an_unknown_article_is_404(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    response = await client.post(
        "/api/articles/no-such/comments", json={"comment": {"body": "x"}}, headers=people["bob"]
    )
    assert error_fields(response, 404) == {"article": ["not found"]}


@pytest.mark.parametrize("comment", [{"body": ""}, {"body": "   \n\t"}, {}])
async def test_blank_or_missing_comment_body_is_422(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], comment: dict[str, str]
) -> None:
    response = await client.post(
        "/api/articles/talk/comments", json={"comment": comment}, headers=people["bob"]
    )
    assert error_fields(response, 422) == {"body": ["can't be blank"]}
    assert await comment_bodies(client, "talk") == []


@pytest.mark.parametrize("body", [None, 5, ["x"], {"text": "x"}])
async def test_comment_body_of_the_wrong_type_is_422(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], body: object
) -> None:
    response = await client.post(
        "/api/articles/talk/comments", json={"comment": {"body": body}}, headers=people["bob"]
    )
    assert list(error_fields(response, 422)) == ["body"]


async def test_missing_comment_envelope_is_422(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    response = await client.post(
        "/api/articles/talk/comments", json={"body": "no envelope"}, headers=people["bob"]
    )
    assert error_fields(response, 422) == {"comment": ["can't be blank"]}


async def test_add_comment_ignores_fields_a_client_may_not_set(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    response = await client.post(
        "/api/articles/talk/comments",
        json={
            "comment": {
                "body": "hello",
                "id": 424242,
                "author": {"username": "ann"},
                "createdAt": "2001-01-01T00:00:00.000Z",
            }
        },
        headers=people["bob"],
    )
    assert response.status_code == 201, response.text
    comment = response.json()["comment"]
    assert comment["id"] != 424242
    assert comment["author"]["username"] == "bob"
    assert not comment["createdAt"].startswith("2001")


# --- list -------------------------------------------------------------------------------


async def test_list_comments_is_empty_for_an_article_without_comments(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    response = await client.get("/api/articles/talk/comments")
    assert response.status_code == 200
    assert response.json() == {"comments": []}


async def test_list_comments_is_newest_first_and_only_for_that_article(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    created = [
        await add_comment(client, people["bob"], "talk", "first"),
        await add_comment(client, people["cyd"], "talk", "second"),
        await add_comment(client, people["bob"], "other", "elsewhere"),
        await add_comment(client, people["ann"], "talk", "third"),
    ]
    response = await client.get("/api/articles/talk/comments")
    comments = response.json()["comments"]
    assert [comment["body"] for comment in comments] == ["third", "second", "first"]
    assert [comment["author"]["username"] for comment in comments] == ["ann", "cyd", "bob"]
    by_id = {comment["id"]: comment for comment in created}
    for comment in comments:
        assert comment == by_id[comment["id"]]
    assert await comment_bodies(client, "other") == ["elsewhere"]


async def test_list_comments_shows_following_per_viewer(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    await add_comment(client, people["bob"], "talk", "by bob")
    await client.post("/api/profiles/bob/follow", headers=people["cyd"])
    as_cyd = (await client.get("/api/articles/talk/comments", headers=people["cyd"])).json()
    assert as_cyd["comments"][0]["author"]["following"] is True
    as_ann = (await client.get("/api/articles/talk/comments", headers=people["ann"])).json()
    assert as_ann["comments"][0]["author"]["following"] is False
    anonymous = (await client.get("/api/articles/talk/comments")).json()
    assert anonymous["comments"][0]["author"]["following"] is False


async def test_list_comments_of_an_unknown_article_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/articles/no-such/comments")
    assert error_fields(response, 404) == {"article": ["not found"]}


async def test_list_comments_with_an_invalid_token_is_401(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    response = await client.get(
        "/api/articles/talk/comments", headers={"Authorization": "Token broken"}
    )
    assert error_fields(response, 401) == {"token": ["is invalid"]}


async def test_comments_follow_the_article_to_its_new_slug(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    await add_comment(client, people["bob"], "talk", "stays")
    await client.put(
        "/api/articles/talk", json={"article": {"title": "Renamed Talk"}}, headers=people["ann"]
    )
    assert await comment_bodies(client, "renamed-talk") == ["stays"]


# --- delete -----------------------------------------------------------------------------


async def test_delete_own_comment_is_204_and_it_is_gone(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    keep = await add_comment(client, people["bob"], "talk", "keep")
    drop = await add_comment(client, people["bob"], "talk", "drop")
    response = await client.delete(
        f"/api/articles/talk/comments/{drop['id']}", headers=people["bob"]
    )
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert await comment_bodies(client, "talk") == [keep["body"]]


async def test_delete_comment_twice_is_404_the_second_time(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    comment = await add_comment(client, people["bob"], "talk", "once")
    path = f"/api/articles/talk/comments/{comment['id']}"
    assert (await client.delete(path, headers=people["bob"])).status_code == 204
    response = await client.delete(path, headers=people["bob"])
    assert error_fields(response, 404) == {"comment": ["not found"]}


async def test_delete_someone_elses_comment_is_403(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    comment = await add_comment(client, people["bob"], "talk", "bob's")
    response = await client.delete(
        f"/api/articles/talk/comments/{comment['id']}", headers=people["cyd"]
    )
    assert error_fields(response, 403) == {"comment": ["forbidden"]}
    assert await comment_bodies(client, "talk") == ["bob's"]


async def test_delete_unknown_comment_id_is_404(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    comment = await add_comment(client, people["bob"], "talk", "exists")
    response = await client.delete(
        f"/api/articles/talk/comments/{comment['id'] + 1000}", headers=people["bob"]
    )
    assert error_fields(response, 404) == {"comment": ["not found"]}


async def test_delete_comment_of_an_unknown_article_is_404(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    comment = await add_comment(client, people["bob"], "talk", "exists")
    response = await client.delete(
        f"/api/articles/no-such/comments/{comment['id']}", headers=people["bob"]
    )
    assert error_fields(response, 404) == {"article": ["not found"]}


@pytest.mark.parametrize("comment_id", ["abc", "1.5", "1e3", "0x10"])
async def test_delete_non_integer_comment_id_is_422(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], comment_id: str
) -> None:
    response = await client.delete(
        f"/api/articles/talk/comments/{comment_id}", headers=people["bob"]
    )
    assert error_fields(response, 422) == {"id": ["must be an integer"]}


@pytest.mark.parametrize("comment_id", ["0", "-1", "9223372036854775808", "1" + "0" * 30])
async def test_delete_out_of_range_comment_id_is_422_not_a_server_error(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], comment_id: str
) -> None:
    response = await client.delete(
        f"/api/articles/talk/comments/{comment_id}", headers=people["bob"]
    )
    assert list(error_fields(response, 422)) == ["id"]


async def test_delete_comment_requires_a_token(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    comment = await add_comment(client, people["bob"], "talk", "guarded")
    response = await client.delete(f"/api/articles/talk/comments/{comment['id']}")
    assert error_fields(response, 401) == {"token": ["is missing"]}
    assert await comment_bodies(client, "talk") == ["guarded"]
