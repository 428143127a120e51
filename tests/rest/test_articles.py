"""``/api/articles``: create, read, list, feed, update and delete, over the wire."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from quillpress.db.models import AppUser, Article, Comment, Favorite
from tests.helpers import auth, create_article, error_fields, register

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
NOT_FOUND = {"article": ["not found"]}
FORBIDDEN = {"article": ["forbidden"]}


def parse_timestamp(value: str) -> datetime:
    assert TIMESTAMP.match(value), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def set_timestamps(app: FastAPI, slug: str, moment: datetime) -> None:
    """Move an article's ``createdAt``/``updatedAt`` to ``moment`` (no sleeping in tests)."""
    async with app.state.resources.database.engine.begin() as conn:
        await conn.execute(
            update(Article).where(Article.slug == slug).values(created_at=moment, updated_at=moment)
        )


async def row_count(app: FastAPI, model: Any) -> int:
    async with app.state.resources.database.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(model))).scalar_one())


async def slugs_of(client: httpx.AsyncClient, query: str = "", **kwargs: Any) -> list[str]:
    response = await client.get(f"/api/articles{query}", **kwargs)
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["articles"]]


# --- create -----------------------------------------------------------------------------


@pytest.mark.smoke
async def test_create_returns_201_with_the_full_article(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    response = await client.post(
        "/api/articles",
        json={
            "article": {
                "title": "Hello World",
                "description": "An intro",
                "body": "Long text",
                "tagList": ["intro", "greeting"],
            }
        },
        headers=ann,
    )
    assert response.status_code == 201, response.text
    article = response.json()["article"]
    assert article["slug"] == "hello-world"
    assert article["title"] == "Hello World"
    assert article["description"] == "An intro"
    assert article["body"] == "Long text"
    assert article["tagList"] == ["greeting", "intro"]
    assert article["favorited"] is False
    assert article["favoritesCount"] == 0
    assert article["author"] == {"username": "ann", "bio": None, "image": None, "following": False}
    assert article["createdAt"] == article["updatedAt"]


async def test_create_timestamps_are_utc_iso8601_with_milliseconds(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    before = datetime.now(UTC).replace(microsecond=0)
    article = await create_article(client, ann)
    after = datetime.now(UTC)
    for field in ("createdAt", "updatedAt"):
        assert TIMESTAMP.match(article[field]), article[field]
        assert before <= parse_timestamp(article[field]) <= after


async def test_create_without_tag_list_gives_an_empty_tag_list(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    article = await create_article(client, ann)
    assert article["tagList"] == []


async def test_create_requires_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/articles", json={"article": {"title": "t", "description": "d", "body": "b"}}
    )
    assert error_fields(response, 401) == {"token": ["is missing"]}


@pytest.mark.parametrize("field", ["title", "description", "body"])
@pytest.mark.parametrize("value", ["", "   ", None])
async def test_create_rejects_a_blank_or_null_field_keyed_by_the_field(
    client: httpx.AsyncClient, field: str, value: str | None
) -> None:
    ann = await register(client, "ann")
    article = {"title": "t", "description": "d", "body": "b", field: value}
    response = await client.post("/api/articles", json={"article": article}, headers=ann)
    assert error_fields(response, 422) == {field: ["can't be blank"]}


@pytest.mark.parametrize("field", ["title", "description", "body"])
async def test_create_rejects_a_missing_field_as_blank(
    client: httpx.AsyncClient, field: str
) -> None:
    ann = await register(client, "ann")
    article = {"title": "t", "description": "d", "body": "b"}
    del article[field]
    response = await client.post("/api/articles", json={"article": article}, headers=ann)
    assert error_fields(response, 422) == {field: ["can't be blank"]}


async def test_create_rejects_an_overlong_title(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    response = await client.post(
        "/api/articles",
        json={"article": {"title": "x" * 201, "description": "d", "body": "b"}},
        headers=ann,
    )
    assert error_fields(response, 422) == {"title": ["is too long (maximum is 200 characters)"]}


async def test_create_strips_surrounding_whitespace_from_the_title(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    article = await create_article(client, ann, title="  Padded  ")
    assert article["title"] == "Padded"
    assert article["slug"] == "padded"


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello World", "hello-world"),
        ("Hello, World!", "hello-world"),
        ("  Mixed   CASE and   spaces ", "mixed-case-and-spaces"),
        ("Ünïcödé Tïtle", "unicode-title"),
    ],
)
async def test_create_slugifies_the_title(client: httpx.AsyncClient, title: str, slug: str) -> None:
    ann = await register(client, "ann")
    article = await create_article(client, ann, title=title)
    assert article["slug"] == slug


async def test_duplicate_titles_get_distinct_slugs_and_never_409(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    made = [
        await create_article(client, headers, title="Same Title", body=f"body {index}")
        for index, headers in enumerate([ann, ann, bob, ann])
    ]
    slugs = [article["slug"] for article in made]
    assert len(set(slugs)) == 4
    assert slugs[0] == "same-title"
    assert all(slug.startswith("same-title") for slug in slugs)
    for index, slug in enumerate(slugs):
        response = await client.get(f"/api/articles/{slug}")
        assert response.status_code == 200, response.text
        assert response.json()["article"]["body"] == f"body {index}"


@pytest.mark.parametrize("title", ["!!!", "???  ...", "\U0001f600"])
async def test_unsluggable_title_still_gets_a_usable_slug(
    client: httpx.AsyncClient, title: str
) -> None:
    ann = await register(client, "ann")
    first = await create_article(client, ann, title=title)
    second = await create_article(client, ann, title=title)
    assert first["slug"]
    assert second["slug"]
    assert first["slug"] != second["slug"]
    assert re.fullmatch(r"[a-z0-9-]+", first["slug"]), first["slug"]
    for article in (first, second):
        response = await client.get(f"/api/articles/{article['slug']}")
        assert response.status_code == 200
        assert response.json()["article"]["title"] == title


async def test_create_ignores_fields_a_client_may_not_set(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await register(client, "bob")
    response = await client.post(
        "/api/articles",
        json={
            "article": {
                "title": "Mine",
                "description": "d",
                "body": "b",
                "slug": "chosen-slug",
                "id": 999,
                "favoritesCount": 42,
                "favorited": True,
                "author": {"username": "bob"},
                "createdAt": "2001-01-01T00:00:00.000Z",
            }
        },
        headers=ann,
    )
    assert response.status_code == 201, response.text
    article = response.json()["article"]
    assert article["slug"] == "mine"
    assert article["favoritesCount"] == 0
    assert article["favorited"] is False
    assert article["author"]["username"] == "ann"
    assert not article["createdAt"].startswith("2001")
    assert "id" not in article


# --- get --------------------------------------------------------------------------------


async def test_get_returns_the_article_with_its_body_to_anyone(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    created = await create_article(client, ann, title="Readable", body="All of it")
    response = await client.get("/api/articles/readable")
    assert response.status_code == 200
    assert response.json()["article"] == created


async def test_get_unknown_slug_is_404_keyed_by_article(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/articles/no-such-article")
    assert error_fields(response, 404) == NOT_FOUND


async def test_get_shows_following_for_a_viewer_who_follows_the_author(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    await create_article(client, ann, title="Followed")
    await client.post("/api/profiles/ann/follow", headers=bob)
    as_bob = await client.get("/api/articles/followed", headers=bob)
    assert as_bob.json()["article"]["author"]["following"] is True
    anonymous = await client.get("/api/articles/followed")
    assert anonymous.json()["article"]["author"]["following"] is False


# --- list -------------------------------------------------------------------------------


async def test_list_is_empty_on_an_empty_blog(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/articles")
    assert response.status_code == 200
    assert response.json() == {"articles": [], "articlesCount": 0}


async def test_list_orders_by_created_at_then_id(client: httpx.AsyncClient, app: FastAPI) -> None:
    ann = await register(client, "ann")
    for title in ("First", "Second", "Third", "Fourth"):
        await create_article(client, ann, title=title)
    same = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    for slug in ("first", "second", "third", "fourth"):
        await set_timestamps(app, slug, same)
    await set_timestamps(app, "first", datetime(2030, 1, 1, tzinfo=UTC))
    await set_timestamps(app, "fourth", datetime(2020, 1, 1, tzinfo=UTC))
    # newest created_at first; equal created_at → the later id first
    assert await slugs_of(client) == ["first", "third", "second", "fourth"]


async def test_list_items_have_no_body(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, title="Bodied", body="secret length")
    item = (await client.get("/api/articles")).json()["articles"][0]
    assert "body" not in item
    assert set(item) == {
        "slug",
        "title",
        "description",
        "tagList",
        "createdAt",
        "updatedAt",
        "favorited",
        "favoritesCount",
        "author",
    }
    assert TIMESTAMP.match(item["createdAt"])
    assert TIMESTAMP.match(item["updatedAt"])


async def test_articles_count_is_the_total_number_of_matches_not_the_page_length(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    for index in range(5):
        await create_article(client, ann, title=f"Post {index}")
    for query, expected_items in [
        ("?limit=2", 2),
        ("?limit=2&offset=4", 1),
        ("?offset=5", 0),
        ("?offset=100", 0),
        ("", 5),
    ]:
        body = (await client.get(f"/api/articles{query}")).json()
        assert len(body["articles"]) == expected_items, query
        assert body["articlesCount"] == 5, query


async def test_limit_and_offset_page_through_the_list_without_gaps_or_repeats(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    for index in range(7):
        await create_article(client, ann, title=f"Post {index}")
    everything = await slugs_of(client)
    assert everything == [f"post-{index}" for index in reversed(range(7))]
    pages = [await slugs_of(client, f"?limit=3&offset={offset}") for offset in (0, 3, 6)]
    assert pages == [everything[0:3], everything[3:6], everything[6:7]]


async def test_default_page_size_is_20(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    for index in range(21):
        await create_article(client, ann, title=f"Post {index}")
    body = (await client.get("/api/articles")).json()
    assert len(body["articles"]) == 20
    assert body["articlesCount"] == 21
    assert len(await slugs_of(client, "?limit=100")) == 21


@pytest.fixture
async def tagged_blog(client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    """ann: a1 [python, web], a2 [python]; bob: b1 [web], b2 []; cyd favorites a2 and b1."""
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    cyd = await register(client, "cyd")
    await create_article(client, ann, title="A1", tagList=["python", "web"])
    await create_article(client, ann, title="A2", tagList=["python"])
    await create_article(client, bob, title="B1", tagList=["web"])
    await create_article(client, bob, title="B2")
    for slug in ("a2", "b1"):
        response = await client.post(f"/api/articles/{slug}/favorite", headers=cyd)
        assert response.status_code == 200
    return {"ann": ann, "bob": bob, "cyd": cyd}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?tag=python", ["a2", "a1"]),
        ("?tag=web", ["b1", "a1"]),
        ("?author=ann", ["a2", "a1"]),
        ("?author=bob", ["b2", "b1"]),
        ("?favorited=cyd", ["b1", "a2"]),
        ("?tag=web&author=bob", ["b1"]),
        ("?tag=python&favorited=cyd", ["a2"]),
        ("?author=ann&favorited=cyd&tag=python", ["a2"]),
        ("?author=ann&tag=web&favorited=cyd", []),
    ],
)
async def test_list_filters_narrow_the_list_and_the_count(
    client: httpx.AsyncClient,
    tagged_blog: dict[str, dict[str, str]],
    query: str,
    expected: list[str],
) -> None:
    body = (await client.get(f"/api/articles{query}")).json()
    assert [item["slug"] for item in body["articles"]] == expected
    assert body["articlesCount"] == len(expected)


async def test_filtered_count_is_the_total_not_the_page(
    client: httpx.AsyncClient, tagged_blog: dict[str, dict[str, str]]
) -> None:
    body = (await client.get("/api/articles?tag=python&limit=1")).json()
    assert [item["slug"] for item in body["articles"]] == ["a2"]
    assert body["articlesCount"] == 2


@pytest.mark.parametrize("query", ["?tag=nosuch", "?author=nobody", "?favorited=nobody"])
async def test_unknown_filter_values_give_an_empty_list_not_an_error(
    client: httpx.AsyncClient, tagged_blog: dict[str, dict[str, str]], query: str
) -> None:
    response = await client.get(f"/api/articles{query}")
    assert response.status_code == 200
    assert response.json() == {"articles": [], "articlesCount": 0}


async def test_favorited_filter_of_a_user_with_no_favorites_is_empty(
    client: httpx.AsyncClient, tagged_blog: dict[str, dict[str, str]]
) -> None:
    response = await client.get("/api/articles?favorited=ann")
    assert response.json() == {"articles": [], "articlesCount": 0}


async def test_unknown_query_parameters_are_ignored(
    client: httpx.AsyncClient, tagged_blog: dict[str, dict[str, str]]
) -> None:
    plain = await slugs_of(client)
    assert await slugs_of(client, "?foo=bar&page=3&sort=asc") == plain
    assert await slugs_of(client, "?tag=web&foo=bar") == ["b1", "a1"]


async def test_list_shows_each_viewer_their_own_favorited_flags(
    client: httpx.AsyncClient, tagged_blog: dict[str, dict[str, str]]
) -> None:
    def flags(body: dict[str, Any]) -> dict[str, bool]:
        return {item["slug"]: item["favorited"] for item in body["articles"]}

    as_cyd = (await client.get("/api/articles", headers=tagged_blog["cyd"])).json()
    assert flags(as_cyd) == {"a1": False, "a2": True, "b1": True, "b2": False}
    as_ann = (await client.get("/api/articles", headers=tagged_blog["ann"])).json()
    assert set(flags(as_ann).values()) == {False}
    counts = {item["slug"]: item["favoritesCount"] for item in as_ann["articles"]}
    assert counts == {"a1": 0, "a2": 1, "b1": 1, "b2": 0}


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("limit=0", "limit"),
        ("limit=-1", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("limit=", "limit"),
        ("limit=99999999999999999999999", "limit"),
        ("offset=-1", "offset"),
        ("offset=abc", "offset"),
    ],
)
@pytest.mark.parametrize("path", ["/api/articles", "/api/articles/feed"])
async def test_bad_paging_values_are_422_keyed_by_the_parameter(
    client: httpx.AsyncClient, path: str, query: str, key: str
) -> None:
    ann = await register(client, "ann")
    response = await client.get(f"{path}?{query}", headers=ann)
    assert list(error_fields(response, 422)) == [key]


async def test_limit_at_the_maximum_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/articles?limit=100")
    assert response.status_code == 200


async def test_bad_limit_and_offset_are_both_reported(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/articles?limit=0&offset=-5")
    assert set(error_fields(response, 422)) == {"limit", "offset"}


# --- feed -------------------------------------------------------------------------------


async def test_feed_requires_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/articles/feed")
    assert error_fields(response, 401) == {"token": ["is missing"]}


async def test_feed_holds_only_articles_by_followed_authors_newest_first(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    cyd = await register(client, "cyd")
    reader = await register(client, "reader")
    await create_article(client, ann, title="Ann 1")
    await create_article(client, bob, title="Bob 1")
    await create_article(client, cyd, title="Cyd 1")
    await create_article(client, ann, title="Ann 2")
    await create_article(client, reader, title="Own")
    empty = (await client.get("/api/articles/feed", headers=reader)).json()
    assert empty == {"articles": [], "articlesCount": 0}

    await client.post("/api/profiles/ann/follow", headers=reader)
    await client.post("/api/profiles/cyd/follow", headers=reader)
    body = (await client.get("/api/articles/feed", headers=reader)).json()
    assert [item["slug"] for item in body["articles"]] == ["ann-2", "cyd-1", "ann-1"]
    assert body["articlesCount"] == 3
    assert all(item["author"]["following"] is True for item in body["articles"])
    assert all("body" not in item for item in body["articles"])

    page = (await client.get("/api/articles/feed?limit=1&offset=1", headers=reader)).json()
    assert [item["slug"] for item in page["articles"]] == ["cyd-1"]
    assert page["articlesCount"] == 3

    await client.delete("/api/profiles/ann/follow", headers=reader)
    after = (await client.get("/api/articles/feed", headers=reader)).json()
    assert [item["slug"] for item in after["articles"]] == ["cyd-1"]
    assert after["articlesCount"] == 1


async def test_feed_is_per_viewer(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    await create_article(client, ann, title="By Ann")
    await client.post("/api/profiles/ann/follow", headers=bob)
    assert len((await client.get("/api/articles/feed", headers=bob)).json()["articles"]) == 1
    assert (await client.get("/api/articles/feed", headers=ann)).json()["articlesCount"] == 0


async def test_feed_with_an_invalid_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/articles/feed", headers=auth("not-a-jwt"))
    assert error_fields(response, 401) == {"token": ["is invalid"]}


# --- update -----------------------------------------------------------------------------


async def test_update_is_partial(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    created = await create_article(
        client, ann, title="Stable", description="Old desc", body="Old body", tagList=["a", "b"]
    )
    response = await client.put(
        "/api/articles/stable", json={"article": {"description": "New desc"}}, headers=ann
    )
    assert response.status_code == 200, response.text
    article = response.json()["article"]
    assert article["description"] == "New desc"
    assert article["body"] == "Old body"
    assert article["title"] == "Stable"
    assert article["tagList"] == ["a", "b"]
    assert article["slug"] == created["slug"]
    fetched = (await client.get("/api/articles/stable")).json()["article"]
    assert fetched == article


@pytest.mark.parametrize(
    "change",
    [
        {"description": "New description"},
        {"body": "New body"},
        {"tagList": ["fresh"]},
        {"title": "Keep Me"},
    ],
)
async def test_edits_that_do_not_change_the_title_keep_the_slug(
    client: httpx.AsyncClient, change: dict[str, Any]
) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, title="Keep Me")
    response = await client.put("/api/articles/keep-me", json={"article": change}, headers=ann)
    assert response.status_code == 200, response.text
    assert response.json()["article"]["slug"] == "keep-me"
    assert (await client.get("/api/articles/keep-me")).status_code == 200


async def test_editing_a_numbered_duplicate_keeps_its_own_slug(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    first = await create_article(client, ann, title="Twin")
    second = await create_article(client, ann, title="Twin")
    response = await client.put(
        f"/api/articles/{second['slug']}", json={"article": {"body": "changed"}}, headers=ann
    )
    assert response.json()["article"]["slug"] == second["slug"]
    assert (await client.get(f"/api/articles/{first['slug']}")).json()["article"]["body"] == (
        "The body"
    )


async def test_tag_list_update_replaces_the_tags(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, title="Tagged", tagList=["a", "b", "c"])
    response = await client.put(
        "/api/articles/tagged", json={"article": {"tagList": ["c", "x", "a", "x"]}}, headers=ann
    )
    assert response.json()["article"]["tagList"] == ["a", "c", "x"]
    fetched = (await client.get("/api/articles/tagged")).json()["article"]
    assert fetched["tagList"] == ["a", "c", "x"]
    assert await slugs_of(client, "?tag=b") == []
    assert await slugs_of(client, "?tag=x") == ["tagged"]


async def test_empty_tag_list_clears_the_tags(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, title="Tagged", tagList=["a", "b"])
    response = await client.put(
        "/api/articles/tagged", json={"article": {"tagList": []}}, headers=ann
    )
    assert response.status_code == 200
    assert response.json()["article"]["tagList"] == []
    assert (await client.get("/api/articles/tagged")).json()["article"]["tagList"] == []
    assert await slugs_of(client, "?tag=a") == []


@pytest.mark.parametrize("field", ["tagList", "title", "description", "body"])
async def test_null_in_an_update_is_422_keyed_by_the_field(
    client: httpx.AsyncClient, field: str
) -> None:
    ann = await register(client, "ann")
    created = await create_article(client, ann, title="Nullable", tagList=["keep"])
    response = await client.put(
        "/api/articles/nullable", json={"article": {field: None}}, headers=ann
    )
    assert error_fields(response, 422) == {field: ["can't be blank"]}
    assert (await client.get("/api/articles/nullable")).json()["article"] == created


@pytest.mark.parametrize("field", ["title", "description", "body"])
async def test_blank_text_in_an_update_is_422(client: httpx.AsyncClient, field: str) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, title="Blanked")
    response = await client.put(
        "/api/articles/blanked", json={"article": {field: "  "}}, headers=ann
    )
    assert error_fields(response, 422) == {field: ["can't be blank"]}


async def test_update_moves_updated_at_but_never_created_at(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, title="Dated")
    await set_timestamps(app, "dated", datetime(2020, 1, 2, 3, 4, 5, 678000, tzinfo=UTC))
    before = (await client.get("/api/articles/dated")).json()["article"]
    assert before["createdAt"] == before["updatedAt"] == "2020-01-02T03:04:05.678Z"

    response = await client.put(
        "/api/articles/dated", json={"article": {"body": "new"}}, headers=ann
    )
    after = response.json()["article"]
    assert after["createdAt"] == "2020-01-02T03:04:05.678Z"
    assert TIMESTAMP.match(after["updatedAt"])
    assert parse_timestamp(after["updatedAt"]) > parse_timestamp(after["createdAt"])
    assert (await client.get("/api/articles/dated")).json()["article"]["updatedAt"] == (
        after["updatedAt"]
    )


async def test_tag_only_update_also_moves_updated_at(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, title="Dated")
    await set_timestamps(app, "dated", datetime(2020, 1, 1, tzinfo=UTC))
    response = await client.put(
        "/api/articles/dated", json={"article": {"tagList": ["t"]}}, headers=ann
    )
    after = response.json()["article"]
    assert after["createdAt"] == "2020-01-01T00:00:00.000Z"
    assert after["updatedAt"] != after["createdAt"]


async def test_update_ignores_fields_a_client_may_not_set(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await register(client, "bob")
    await create_article(client, ann, title="Guarded")
    response = await client.put(
        "/api/articles/guarded",
        json={
            "article": {
                "body": "edited",
                "slug": "hijacked",
                "author": {"username": "bob"},
                "favoritesCount": 99,
                "favorited": True,
                "createdAt": "2001-01-01T00:00:00.000Z",
                "id": 12345,
            }
        },
        headers=ann,
    )
    assert response.status_code == 200, response.text
    article = response.json()["article"]
    assert article["body"] == "edited"
    assert article["slug"] == "guarded"
    assert article["author"]["username"] == "ann"
    assert article["favoritesCount"] == 0
    assert article["favorited"] is False
    assert not article["createdAt"].startswith("2001")
    assert error_fields(await client.get("/api/articles/hijacked"), 404) == NOT_FOUND


async def test_update_by_another_user_is_403_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    created = await create_article(client, ann, title="Ann Owns This")
    response = await client.put(
        "/api/articles/ann-owns-this", json={"article": {"title": "Bob Was Here"}}, headers=bob
    )
    assert error_fields(response, 403) == FORBIDDEN
    assert (await client.get("/api/articles/ann-owns-this")).json()["article"] == created


async def test_update_unknown_article_is_404(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    response = await client.put(
        "/api/articles/no-such", json={"article": {"body": "x"}}, headers=ann
    )
    assert error_fields(response, 404) == NOT_FOUND


async def test_update_requires_a_token(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, title="Locked")
    response = await client.put("/api/articles/locked", json={"article": {"body": "x"}})
    assert error_fields(response, 401) == {"token": ["is missing"]}


async def test_empty_update_changes_nothing(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    created = await create_article(client, ann, title="Same")
    response = await client.put("/api/articles/same", json={"article": {}}, headers=ann)
    assert response.status_code == 200, response.text
    assert response.json()["article"] == created


async def test_update_keeps_favorites(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    await create_article(client, ann, title="Liked")
    await client.post("/api/articles/liked/favorite", headers=bob)
    response = await client.put(
        "/api/articles/liked", json={"article": {"title": "Still Liked"}}, headers=ann
    )
    assert response.json()["article"]["favoritesCount"] == 1
    as_bob = (await client.get("/api/articles/still-liked", headers=bob)).json()["article"]
    assert as_bob["favorited"] is True
    assert as_bob["favoritesCount"] == 1


# --- delete -----------------------------------------------------------------------------


async def test_delete_is_204_with_an_empty_body_and_the_article_is_gone(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, title="Doomed")
    await create_article(client, ann, title="Survivor")
    response = await client.delete("/api/articles/doomed", headers=ann)
    assert response.status_code == 204
    assert response.content == b""
    assert error_fields(await client.get("/api/articles/doomed"), 404) == NOT_FOUND
    body = (await client.get("/api/articles")).json()
    assert [item["slug"] for item in body["articles"]] == ["survivor"]
    assert body["articlesCount"] == 1


async def test_delete_twice_is_404_the_second_time(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, title="Once")
    assert (await client.delete("/api/articles/once", headers=ann)).status_code == 204
    assert error_fields(await client.delete("/api/articles/once", headers=ann), 404) == NOT_FOUND


async def test_delete_by_another_user_is_403_and_keeps_the_article(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    await create_article(client, ann, title="Protected")
    response = await client.delete("/api/articles/protected", headers=bob)
    assert error_fields(response, 403) == FORBIDDEN
    assert (await client.get("/api/articles/protected")).status_code == 200


async def test_delete_requires_a_token(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, title="Protected")
    response = await client.delete("/api/articles/protected")
    assert error_fields(response, 401) == {"token": ["is missing"]}
    assert (await client.get("/api/articles/protected")).status_code == 200


async def test_delete_unknown_article_is_404(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    response = await client.delete("/api/articles/no-such", headers=ann)
    assert error_fields(response, 404) == NOT_FOUND


async def test_a_role_change_applies_from_the_next_request_with_the_same_token(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    ann = await register(client, "ann")
    early = await register(client, "early")
    await create_article(client, ann, title="Moderated")
    await create_article(client, ann, title="Kept")
    engine = app.state.resources.database.engine
    async with engine.begin() as conn:
        await conn.execute(update(AppUser).where(AppUser.username == "early").values(role="admin"))
    assert (await client.delete("/api/articles/moderated", headers=early)).status_code == 204
    async with engine.begin() as conn:
        await conn.execute(update(AppUser).where(AppUser.username == "early").values(role="user"))
    response = await client.delete("/api/articles/kept", headers=early)
    assert error_fields(response, 403) == FORBIDDEN


async def test_delete_cascades_to_comments_favorites_and_tags(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    await create_article(client, ann, title="Busy", tagList=["gone", "shared"])
    await create_article(client, ann, title="Quiet", tagList=["shared"])
    for headers in (ann, bob):
        await client.post("/api/articles/busy/favorite", headers=headers)
        await client.post(
            "/api/articles/busy/comments", json={"comment": {"body": "hi"}}, headers=headers
        )
    await client.post("/api/articles/quiet/favorite", headers=bob)
    await client.post("/api/articles/quiet/comments", json={"comment": {"body": "x"}}, headers=bob)
    assert await row_count(app, Comment) == 3
    assert await row_count(app, Favorite) == 3

    assert (await client.delete("/api/articles/busy", headers=ann)).status_code == 204
    assert await row_count(app, Comment) == 1
    assert await row_count(app, Favorite) == 1
    assert error_fields(await client.get("/api/articles/busy/comments"), 404) == NOT_FOUND
    assert await slugs_of(client, "?favorited=bob") == ["quiet"]
    assert (await client.get("/api/tags")).json()["tags"] == ["shared"]
    assert len((await client.get("/api/articles/quiet/comments")).json()["comments"]) == 1
