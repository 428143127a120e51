"""Keyset pagination of connections: opaque cursors, complete and stable walks."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from quillpress.db.models import Article
from tests.helpers import create_article, gql, gql_data, gql_error, register

PAGE = """query($first: Int, $after: String) {
  articles(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { slug } }
  }
}"""


async def _seed(client: httpx.AsyncClient, count: int) -> tuple[dict[str, str], list[str]]:
    """``count`` articles by ann; their slugs newest first."""
    ann = await register(client, "ann")
    slugs = [(await create_article(client, ann, title=f"Post {i}"))["slug"] for i in range(count)]
    return ann, slugs[::-1]


async def _walk(
    client: httpx.AsyncClient,
    first: int,
    between: Any = None,
    query: str = PAGE,
    root: str = "articles",
    headers: dict[str, str] | None = None,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Follow ``endCursor`` to the end; returns the slugs seen and every page."""
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    after = None
    for _ in range(100):
        data = await gql_data(client, query, {"first": first, "after": after}, headers=headers)
        connection = data[root]
        pages.append(connection)
        seen += [edge["node"]["slug"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return seen, pages
        after = connection["pageInfo"]["endCursor"]
        if between is not None:
            await between(len(pages))
    raise AssertionError("the walk never ended")


@pytest.mark.parametrize("first", [1, 3, 4, 11, 12])
async def test_walking_pages_visits_every_article_exactly_once_in_order(
    client: httpx.AsyncClient, first: int
) -> None:
    _ann, slugs = await _seed(client, 11)
    seen, pages = await _walk(client, first)
    assert seen == slugs
    assert pages[-1]["pageInfo"]["hasNextPage"] is False
    assert all(page["pageInfo"]["hasNextPage"] for page in pages[:-1])
    assert all(page["totalCount"] == 11 for page in pages)
    assert all(len(page["edges"]) == first for page in pages[:-1])


async def test_end_cursor_is_the_last_edges_cursor(client: httpx.AsyncClient) -> None:
    await _seed(client, 3)
    connection = (await gql_data(client, PAGE, {"first": 2}))["articles"]
    assert connection["pageInfo"]["endCursor"] == connection["edges"][-1]["cursor"]
    cursors = [edge["cursor"] for edge in connection["edges"]]
    assert len(set(cursors)) == 2


async def test_cursors_are_opaque(client: httpx.AsyncClient) -> None:
    _ann, slugs = await _seed(client, 2)
    edges = (await gql_data(client, PAGE, {"first": 2}))["articles"]["edges"]
    for edge, slug in zip(edges, slugs, strict=True):
        cursor = edge["cursor"]
        assert slug not in cursor
        assert not cursor.isdigit()
        assert "|" not in cursor
        assert ":" not in cursor  # no readable timestamp
        assert cursor.isascii()


async def test_walk_is_stable_when_articles_are_published_meanwhile(
    client: httpx.AsyncClient,
) -> None:
    ann, slugs = await _seed(client, 10)
    published: list[str] = []

    async def publish(page_number: int) -> None:
        article = await create_article(client, ann, title=f"Late {page_number}")
        published.append(article["slug"])

    seen, pages = await _walk(client, 3, between=publish)
    assert seen == slugs  # the older items, each once, none skipped
    assert len(published) == len(pages) - 1 >= 3
    assert not set(published) & set(seen)
    fresh = await gql_data(client, PAGE, {"first": 100})
    assert fresh["articles"]["totalCount"] == 10 + len(published)


async def test_walk_is_stable_when_the_page_boundary_is_deleted(
    client: httpx.AsyncClient,
) -> None:
    ann, slugs = await _seed(client, 9)
    first = (await gql_data(client, PAGE, {"first": 3}))["articles"]
    boundary = first["edges"][-1]["node"]["slug"]
    response = await client.delete(f"/api/articles/{boundary}", headers=ann)
    assert response.status_code == 204
    after = first["pageInfo"]["endCursor"]
    rest = (await gql_data(client, PAGE, {"first": 100, "after": after}))["articles"]
    assert [edge["node"]["slug"] for edge in rest["edges"]] == slugs[3:]


async def test_articles_with_the_same_timestamp_are_ordered_by_id(
    app: Any, client: httpx.AsyncClient
) -> None:
    _ann, slugs = await _seed(client, 7)
    async with app.state.resources.database.engine.begin() as conn:
        await conn.execute(
            update(Article).values(created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
        )
    seen, _pages = await _walk(client, 2)
    assert seen == slugs  # created in id order, so newest first is id descending


async def test_profile_articles_and_feed_page_with_cursors_too(client: httpx.AsyncClient) -> None:
    _ann, slugs = await _seed(client, 7)
    bob = await register(client, "bob")
    await client.post("/api/profiles/ann/follow", headers=bob)
    profile_query = """query($first: Int, $after: String) { profile(username: "ann") {
      articles(first: $first, after: $after) {
        pageInfo { hasNextPage endCursor } edges { node { slug } }
      }
    } }"""
    feed_query = """query($first: Int, $after: String) { feed(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { slug } }
    } }"""

    async def walk_profile() -> list[str]:
        seen: list[str] = []
        after = None
        while True:
            data = await gql_data(client, profile_query, {"first": 3, "after": after})
            connection = data["profile"]["articles"]
            seen += [edge["node"]["slug"] for edge in connection["edges"]]
            if not connection["pageInfo"]["hasNextPage"]:
                return seen
            after = connection["pageInfo"]["endCursor"]

    assert await walk_profile() == slugs
    feed, _pages = await _walk(client, 2, query=feed_query, root="feed", headers=bob)
    assert feed == slugs


async def test_empty_list_has_no_next_page_and_no_end_cursor(client: httpx.AsyncClient) -> None:
    data = await gql_data(client, PAGE, {"first": 5})
    assert data["articles"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }


async def test_page_after_the_last_item_is_empty(client: httpx.AsyncClient) -> None:
    await _seed(client, 2)
    last = (await gql_data(client, PAGE, {"first": 2}))["articles"]
    assert last["pageInfo"]["hasNextPage"] is False
    beyond = await gql_data(client, PAGE, {"first": 2, "after": last["pageInfo"]["endCursor"]})
    assert beyond["articles"]["edges"] == []
    assert beyond["articles"]["pageInfo"] == {"hasNextPage": False, "endCursor": None}
    assert beyond["articles"]["totalCount"] == 2  # the total ignores the cursor


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "",
        "x",
        _b64("hello"),
        _b64("2026-01-02T03:04:05+00:00|abc"),
        _b64("not a date|12"),
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
        _b64("2026-01-02T03:04:05+00:00|" + "9" * 40),
        _b64("0001-01-01T00:00:00+23:59|5"),
        _b64("9999-12-31T23:59:59-23:59|5"),
    ],
    ids=[
        "not-base64",
        "empty",
        "one-char",
        "no-separator",
        "id-not-int",
        "date-not-date",
        "not-utf8",
        "id-overflow",
        "date-underflow",
        "date-overflow",
    ],
)
async def test_garbage_cursor_is_bad_user_input(client: httpx.AsyncClient, cursor: str) -> None:
    await _seed(client, 1)
    response = await gql(client, PAGE, {"first": 2, "after": cursor})
    error = gql_error(response)
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {"after": ["is not a valid cursor"]},
    }
    assert response.json()["data"] is None
