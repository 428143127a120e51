"""Nested GraphQL queries cost a fixed number of SQL statements, whatever the page size:
each nesting level is one batch (DataLoader or prefetch), never one query per item."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from quillpress.config import Settings
from tests.conftest import make_settings
from tests.helpers import (
    AUTH_STATEMENTS,
    create_article,
    gql,
    make_admin,
    register,
    statement_count,
)

PAGE_SIZES = (1, 10, 50)
AUTHORS = ("ann", "bob", "cyd", "dee")


@pytest.fixture
def settings(database_url: str) -> Settings:
    """These counts pin the uncached path; the cache's own are in tests/cache."""
    return make_settings(database_url, cache="off")


@pytest.fixture
async def busy_blog(client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    """60 articles by 4 authors, each tagged and commented on by two users; a reader who
    follows every author and favorites every other article."""
    authors = {name: await register(client, name) for name in AUTHORS}
    reader = await register(client, "reader")
    for name in authors:
        await client.post(f"/api/profiles/{name}/follow", headers=reader)
    for index in range(60):
        headers = list(authors.values())[index % len(authors)]
        article = await create_article(
            client, headers, title=f"Post {index}", tagList=[f"t{index % 7}", "common"]
        )
        slug = article["slug"]
        if index % 2:
            await client.post(f"/api/articles/{slug}/favorite", headers=reader)
        for commenter in (reader, list(authors.values())[(index + 1) % len(authors)]):
            await client.post(
                f"/api/articles/{slug}/comments",
                json={"comment": {"body": f"on {index}"}},
                headers=commenter,
            )
    return {"anonymous": {}, "reader": reader, **authors}


THREE_LEVELS = """query($n: Int) {
  articles(first: $n) { edges { node { slug author { username
    articles(first: 3) { edges { node { slug comments { body author { username } } } } }
  } } } }
}"""

FAVORITES = """query($n: Int) {
  profile(username: "reader") { favorites(first: $n) { totalCount edges { node {
    slug tagList favorited favoritesCount
    author { username following favorites(first: 2) { totalCount nodes { slug } } }
    comments { body author { username following } }
  } } } }
}"""

FEED = """query($n: Int) {
  feed(first: $n) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node {
    slug body tagList favorited
    author { username following articles(first: 2) { nodes { slug tagList } } }
    comments { id author { username } }
  } } }
}"""


async def _counts(
    client: httpx.AsyncClient, query: str, headers: dict[str, str], items: Any
) -> dict[int, int]:
    counts: dict[int, int] = {}
    for size in PAGE_SIZES:
        response = await gql(client, query, {"n": size}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        assert len(items(body["data"])) == size, body
        counts[size] = statement_count(response)
    return counts


def _assert_constant(counts: dict[int, int], *, ceiling: int, label: str) -> None:
    """The same count at every page size, and no more than the ceiling: each level is
    at most rows + tags + total, plus the comments batch (a lower count is an improvement)."""
    message = f"statements per page size ({label}): {counts}"
    assert len(set(counts.values())) == 1, message
    assert counts[1] <= ceiling, message
    print(message)  # shown with -s: the measured figures


def _root_edges(data: dict[str, Any]) -> list[Any]:
    edges: list[Any] = data["articles"]["edges"]
    return edges


@pytest.mark.parametrize("viewer", ["anonymous", "reader"])
async def test_three_level_query_costs_the_same_statements_at_every_page_size(
    client: httpx.AsyncClient, busy_blog: dict[str, dict[str, str]], viewer: str, backend: str
) -> None:
    counts = await _counts(client, THREE_LEVELS, busy_blog[viewer], _root_edges)
    ceiling = 5 + (AUTH_STATEMENTS if viewer != "anonymous" else 0)
    _assert_constant(counts, ceiling=ceiling, label=f"{backend}, three levels, {viewer}")


async def test_three_level_query_returns_every_level_filled_in(
    client: httpx.AsyncClient, busy_blog: dict[str, dict[str, str]]
) -> None:
    response = await gql(client, THREE_LEVELS, {"n": 50})
    edges = response.json()["data"]["articles"]["edges"]
    for edge in edges:
        author = edge["node"]["author"]
        nested = [e["node"] for e in author["articles"]["edges"]]
        assert len(nested) == 3
        for node in nested:
            assert node["slug"].startswith("post-")
            assert len(node["comments"]) == 2
            assert "reader" in {c["author"]["username"] for c in node["comments"]}


@pytest.mark.parametrize("viewer", ["anonymous", "reader"])
async def test_profile_favorites_cost_the_same_statements_at_every_page_size(
    client: httpx.AsyncClient, busy_blog: dict[str, dict[str, str]], viewer: str, backend: str
) -> None:
    def items(data: dict[str, Any]) -> list[Any]:
        connection = data["profile"]["favorites"]
        assert connection["totalCount"] == 30
        edges: list[Any] = connection["edges"]
        return edges

    sizes = {1: 1, 10: 10, 50: 30}
    counts: dict[int, int] = {}
    for size in PAGE_SIZES:
        response = await gql(client, FAVORITES, {"n": size}, headers=busy_blog[viewer])
        body = response.json()
        assert "errors" not in body, body
        assert len(items(body["data"])) == sizes[size]
        counts[size] = statement_count(response)
    ceiling = 7 + (AUTH_STATEMENTS if viewer != "anonymous" else 0)
    _assert_constant(counts, ceiling=ceiling, label=f"{backend}, Profile.favorites, {viewer}")


async def test_feed_costs_the_same_statements_at_every_page_size(
    client: httpx.AsyncClient, busy_blog: dict[str, dict[str, str]], backend: str
) -> None:
    def items(data: dict[str, Any]) -> list[Any]:
        assert data["feed"]["totalCount"] == 60
        edges: list[Any] = data["feed"]["edges"]
        return edges

    counts = await _counts(client, FEED, busy_blog["reader"], items)
    _assert_constant(counts, ceiling=6, label=f"{backend}, feed, reader")


async def test_sibling_edges_with_the_same_arguments_share_one_batch(
    client: httpx.AsyncClient, busy_blog: dict[str, dict[str, str]]
) -> None:
    """Two aliases of the same edge with equal arguments batch together; different
    arguments get their own batch (a fixed number still, independent of the page size)."""
    same = """{ articles(first: 20) { nodes {
      author { a: articles(first: 2) { nodes { slug } } b: articles(first: 2) { nodes { slug } } }
    } } }"""
    one = same.replace(" b: articles(first: 2) { nodes { slug } }", "")
    different = same.replace("b: articles(first: 2)", "b: articles(first: 3)")
    counts = {}
    for name, query in (("one", one), ("same", same), ("different", different)):
        response = await gql(client, query)
        assert "errors" not in response.json(), response.text
        counts[name] = statement_count(response)
    assert counts["same"] == counts["one"], counts
    assert counts["different"] > counts["same"], counts


ADMIN_LISTS = {
    "adminUsers": "query($n: Int) { adminUsers(first: $n) { totalCount nodes { username } } }",
    "auditEvents": "query($n: Int) { auditEvents(first: $n) { totalCount "
    "edges { cursor node { action actor } } pageInfo { hasNextPage endCursor } } }",
    "adminComments": "query($n: Int) { adminComments(first: $n) { totalCount "
    "edges { cursor node { body author article { slug title } } } } }",
}


@pytest.mark.parametrize("name", sorted(ADMIN_LISTS))
async def test_admin_connections_cost_a_page_and_a_total_at_every_page_size(
    app: Any, client: httpx.AsyncClient, name: str
) -> None:
    root = await make_admin(app, client, "root")
    for index in range(30):
        await register(client, f"user{index}")
    article = await create_article(client, root)
    for index in range(30):
        await client.post(
            f"/api/articles/{article['slug']}/comments",
            json={"comment": {"body": f"comment {index}"}},
            headers=root,
        )
    counts = {}
    for size in PAGE_SIZES:
        response = await gql(client, ADMIN_LISTS[name], {"n": size}, headers=root)
        assert "errors" not in response.json(), response.text
        listed = response.json()["data"][name]["nodes" if name == "adminUsers" else "edges"]
        assert len(listed) == min(size, response.json()["data"][name]["totalCount"])
        counts[size] = statement_count(response)
    assert set(counts.values()) == {2 + AUTH_STATEMENTS}, counts
