"""The one-statement PostgreSQL listing and the generic path give the same page.

On PostgreSQL ``list_page`` aggregates tags into the row and counts in a subquery; the
generic path (SQLite, single articles) reads tags with ``tags_many`` and totals with
``count``. Here both are asked on the same data and must agree, on every backend."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from quillpress.repositories import listings
from quillpress.repositories import users as user_repo
from quillpress.repositories.listings import Criteria
from tests.helpers import create_article, register

CRITERIA = {
    "everything": Criteria(),
    "tag": Criteria(tag="shared"),
    "author": Criteria(author="ANN"),
    "favorited": Criteria(favorited_by="reader"),
    "nothing": Criteria(tag="no-such-tag"),
}


@pytest.fixture
async def blog(app: FastAPI, client: httpx.AsyncClient) -> int:
    """Nine articles by two authors with varied tags, some favorited; returns the reader's id."""
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    reader = await register(client, "reader")
    for index in range(9):
        tags = ["shared", f"t{index}", "zeta"][: 1 + index % 3] if index % 4 else []
        article = await create_article(
            client, ann if index % 2 else bob, title=f"P{index}", tagList=tags
        )
        if index % 3 == 0:
            await client.post(f"/api/articles/{article['slug']}/favorite", headers=reader)
    async with app.state.resources.database.read() as conn:
        reader_id = await user_repo.get_id_by_username(conn, "reader")
    assert reader_id is not None
    return reader_id


@pytest.mark.parametrize("name", list(CRITERIA))
@pytest.mark.parametrize(("limit", "offset"), [(4, 0), (4, 4), (50, 0), (5, 100)])
async def test_listing_matches_the_generic_tags_and_count(
    app: FastAPI, blog: int, name: str, limit: int, offset: int
) -> None:
    criteria = CRITERIA[name]
    async with app.state.resources.database.read() as conn:
        listing = await listings.list_page(
            conn, criteria, viewer_id=blog, limit=limit, offset=offset
        )
        ids = [row.id for row in listing.rows]
        assert listing.tags == await listings.tags_many(conn, ids)
        assert listing.total == await listings.count(conn, criteria)
        everything = await listings.list_page(
            conn, criteria, viewer_id=blog, limit=1000, with_total=False
        )
    assert ids == [row.id for row in everything.rows][offset : offset + limit]
    assert everything.total is None
