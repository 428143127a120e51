"""Every list endpoint loads a page in a constant number of statements, whatever its size."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from quillpress.config import Settings
from tests.conftest import make_settings
from tests.helpers import AUTH_STATEMENTS, create_article, make_admin, register, statement_count

PAGE_SIZES = (1, 10, 50)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """These counts pin the uncached path; the cache's own are in tests/cache."""
    return make_settings(database_url, cache="off")


@pytest.fixture
async def busy_blog(client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    """60 articles by 3 authors, tagged, favorited and commented, followed by a reader."""
    authors = {name: await register(client, name) for name in ("ann", "bob", "cyd")}
    reader = await register(client, "reader")
    for name in authors:
        await client.post(f"/api/profiles/{name}/follow", headers=reader)
    for index in range(60):
        headers = list(authors.values())[index % 3]
        article = await create_article(
            client, headers, title=f"Post {index}", tagList=[f"t{index % 7}", "common", f"x{index}"]
        )
        if index % 2:
            await client.post(f"/api/articles/{article['slug']}/favorite", headers=reader)
        await client.post(
            f"/api/articles/{article['slug']}/comments",
            json={"comment": {"body": "hi"}},
            headers=reader,
        )
    return {"reader": reader, **authors}


LISTS = [
    "/api/articles",
    "/api/articles?tag=common",
    "/api/articles?author=ann",
    "/api/articles?favorited=reader",
]


@pytest.mark.parametrize(
    ("path", "viewer"),
    [(path, viewer) for path in LISTS for viewer in ("anonymous", "reader")]
    + [("/api/articles/feed", "reader")],
)
async def test_article_lists_cost_the_same_statements_at_every_page_size(
    client: httpx.AsyncClient, busy_blog: dict[str, dict[str, str]], path: str, viewer: str
) -> None:
    headers = busy_blog[viewer] if viewer != "anonymous" else {}
    counts = {}
    for size in PAGE_SIZES:
        separator = "&" if "?" in path else "?"
        response = await client.get(f"{path}{separator}limit={size}", headers=headers)
        assert response.status_code == 200, response.text
        assert len(response.json()["articles"]) == min(size, response.json()["articlesCount"])
        counts[size] = statement_count(response)
    assert len(set(counts.values())) == 1, counts
    assert counts[1] <= 2 + (AUTH_STATEMENTS if headers else 0), counts


async def test_comment_list_costs_one_statement_per_concern(
    client: httpx.AsyncClient, busy_blog: dict[str, dict[str, str]]
) -> None:
    headers = busy_blog["ann"]
    article = await create_article(client, headers, title="Chatty")
    few = await client.get(f"/api/articles/{article['slug']}/comments", headers=headers)
    for _ in range(30):
        await client.post(
            f"/api/articles/{article['slug']}/comments",
            json={"comment": {"body": "more"}},
            headers=busy_blog["bob"],
        )
    many = await client.get(f"/api/articles/{article['slug']}/comments", headers=headers)
    assert len(many.json()["comments"]) == 30
    assert statement_count(few) == statement_count(many) == 2 + AUTH_STATEMENTS


async def test_tags_list_is_one_statement(
    client: httpx.AsyncClient, busy_blog: dict[str, dict[str, str]]
) -> None:
    response = await client.get("/api/tags")
    assert len(response.json()["tags"]) > 60
    assert statement_count(response) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/admin/users",
        "/api/admin/users?query=user",
        "/api/admin/users?role=user&banned=false",
        "/api/admin/audit",
        "/api/admin/audit?target=user1&until=2999-01-01",
        "/api/admin/comments",
        "/api/admin/comments?author=user1&article=a-title",
    ],
)
async def test_admin_lists_cost_a_page_and_a_total_at_every_page_size(
    app: Any, client: httpx.AsyncClient, path: str
) -> None:
    root = await make_admin(app, client, "root")
    for index in range(30):
        await register(client, f"user{index}")
    article = await create_article(client, root)
    for index in range(30):  # comments by several authors
        await client.post(
            f"/api/articles/{article['slug']}/comments",
            json={"comment": {"body": f"comment {index}"}},
            headers=root,
        )
    counts = {}
    for size in PAGE_SIZES:
        separator = "&" if "?" in path else "?"
        response = await client.get(f"{path}{separator}limit={size}", headers=root)
        assert response.status_code == 200, response.text
        counts[size] = statement_count(response)
    assert set(counts.values()) == {2 + AUTH_STATEMENTS}, counts


async def test_an_article_by_slug_is_one_statement_on_postgresql(
    client: httpx.AsyncClient, backend: str
) -> None:
    """Its tags come in the row (an ordered array aggregate); SQLite, without one, reads
    them in a second statement. Signed in, the session check comes first."""
    ann = await register(client, "ann")
    slug = (await create_article(client, ann, title="Tagged", tagList=["b", "a", "c"]))["slug"]
    expected = 1 if backend == "postgresql" else 2
    anonymous = await client.get(f"/api/articles/{slug}")
    assert anonymous.json()["article"]["tagList"] == ["a", "b", "c"]  # in their stored order
    assert statement_count(anonymous) == expected
    signed_in = await client.get(f"/api/articles/{slug}", headers=ann)
    assert statement_count(signed_in) == AUTH_STATEMENTS + expected
    untagged = (await create_article(client, ann, title="Bare"))["slug"]
    assert (await client.get(f"/api/articles/{untagged}")).json()["article"]["tagList"] == []
    missing = await client.get("/api/articles/no-such-article")
    assert missing.status_code == 404
