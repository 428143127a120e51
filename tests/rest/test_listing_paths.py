"""The one-statement PostgreSQL listing and the generic path give the same page.

On PostgreSQL ``list_page`` aggregates tags into the row and counts in a subquery; the
generic path (SQLite, single articles) reads tags with ``tags_many`` and totals with
``count``. Here both are asked on the same data and must agree, on every backend; and
both must page exactly as the plain statement (every match, ordered, sliced) would, at
any offset and after any cursor, with the counters' total equal to a real count."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.db.models import Article
from quillpress.domain.commands import Cursor
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
    "tag and author": Criteria(tag="shared", author="ann"),
    "nobody's favorites": Criteria(favorited_by="no-such-user"),
}


@pytest.fixture
async def blog(app: FastAPI, client: httpx.AsyncClient) -> int:
    """Nine articles by two authors with varied tags, some favorited; returns the reader's id."""
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    reader = await register(client, "reader")
    await client.post("/api/profiles/ann/follow", headers=reader)
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


async def _reference(conn: AsyncConnection, criteria: Criteria) -> list[int]:
    """Every match in order, by the plain statement: what offset paging returned before."""
    stmt = select(Article.id).where(*listings.conditions(criteria.shape))
    result = await conn.execute(stmt.order_by(*listings.NEWEST_FIRST), criteria.params())
    return list(result.scalars())


@pytest.mark.parametrize("name", [*CRITERIA, "feed"])
async def test_every_offset_and_every_cursor_give_the_plain_statements_slice(
    app: FastAPI, blog: int, name: str
) -> None:
    criteria = Criteria(feed_of=blog) if name == "feed" else CRITERIA[name]
    async with app.state.resources.database.read() as conn:
        expected = await _reference(conn, criteria)
        real_total = (
            await conn.execute(
                select(func.count())
                .select_from(Article)
                .where(*listings.conditions(criteria.shape)),
                criteria.params(),
            )
        ).scalar_one()
        after: Cursor | None = None
        for offset in range(len(expected) + 2):
            by_offset = await listings.list_page(
                conn, criteria, viewer_id=blog, limit=2, offset=offset
            )
            assert [row.id for row in by_offset.rows] == expected[offset : offset + 2]
            assert by_offset.total == real_total
        walked: list[int] = []
        while True:
            page = await listings.list_page(conn, criteria, viewer_id=blog, limit=2, after=after)
            assert page.total == real_total
            if not page.rows:
                break
            walked.extend(row.id for row in page.rows)
            after = Cursor(created_at=page.rows[-1].created_at, id=page.rows[-1].id)
    assert walked == expected
    assert name in {"nothing", "nobody's favorites"} or expected
