"""A list's page statement on its fast path (PostgreSQL: straight through asyncpg,
``db.fastpath.rows``) and on SQLAlchemy's path return the same rows, value for value, for
every filter shape, anonymous and signed in, by offset and by cursor; and the views built
from them are the ones the API serves (the rest of the suite pins those)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Row

from quillpress.db import fastpath
from quillpress.domain.commands import Cursor
from quillpress.repositories import listings
from quillpress.repositories.listings import Criteria
from tests.helpers import create_article, register


@pytest.fixture
async def blog(client: httpx.AsyncClient) -> dict[str, Any]:
    users = {name: await register(client, name) for name in ("ann", "bob", "reader")}
    for index in range(6):
        author = users["ann" if index % 2 else "bob"]
        tags = ["all", f"t{index % 3}"][: 1 + index % 2]
        await create_article(client, author, title=f"Post {index}", tagList=tags)
    await client.post("/api/articles/post-1/favorite", headers=users["reader"])
    await client.post("/api/profiles/ann/follow", headers=users["reader"])
    return users


SHAPES = [
    Criteria(),
    Criteria(tag="all"),
    Criteria(tag="nosuch"),
    Criteria(author="ann"),
    Criteria(favorited_by="reader"),
    Criteria(tag="t1", author="ann"),
]


async def test_both_paths_return_the_same_rows(app: FastAPI, blog: dict[str, Any]) -> None:
    db = app.state.resources.database
    compared = 0
    async with db.read() as conn:
        reader = await conn.scalar(
            listings.select(listings.AppUser.id).where(listings.AppUser.username == "reader")
        )
        first = await fastpath.rows(
            conn,
            listings._page_statement(
                frozenset(),
                viewer=False,
                after=False,
                with_body=False,
                with_total=True,
                with_tags=conn.dialect.name == "postgresql",
            ),
            {"limit": 3, "offset": 0},
        )
        last = listings.ArticleRow(*first[-1][: listings.ARTICLE_WIDTH])
        cursor = Cursor(created_at=last.created_at, id=last.id)
        for criteria in SHAPES:
            for viewer_id in (None, reader):
                for after in (None, cursor):
                    for with_body in (False, True):
                        stmt = listings._page_statement(
                            criteria.shape,
                            viewer=viewer_id is not None,
                            after=after is not None,
                            with_body=with_body,
                            with_total=True,
                            with_tags=conn.dialect.name == "postgresql",
                        )
                        params: dict[str, Any] = {**criteria.params(), "limit": 4, "offset": 0}
                        if viewer_id is not None:
                            params["viewer_id"] = viewer_id
                        if after is not None:
                            params.update(after_created_at=after.created_at, after_id=after.id)
                        fast = await fastpath.rows(conn, stmt, params)
                        usual = (await conn.execute(stmt, params)).all()
                        if fast and conn.dialect.name == "postgresql":  # the path PG reads take
                            assert not isinstance(fast[0], Row)
                        assert [tuple(row) for row in fast] == [tuple(row) for row in usual]
                        compared += len(usual)
    assert compared > 0


async def test_a_traced_engine_keeps_every_statement_on_sqlalchemys_path(app: FastAPI) -> None:
    """Spans are made on SQLAlchemy's path: with tracing on, nothing goes around it."""
    engine = app.state.resources.database.engine
    traced = engine.execution_options(isolation_level="AUTOCOMMIT", **{fastpath.TRACED: True})
    async with traced.connect() as conn:
        assert await fastpath._driver_connection(conn) is None


async def test_the_tag_cloud_is_the_same_on_both_paths(app: FastAPI, blog: dict[str, Any]) -> None:
    """``fastpath.column`` (``GET /api/tags``'s statement) equals SQLAlchemy's scalars."""
    from quillpress.repositories.articles import POPULAR_TAGS

    db = app.state.resources.database
    async with db.read() as conn:
        for limit in (1, 2, 500):
            fast = await fastpath.column(conn, POPULAR_TAGS, {"limit": limit})
            slow = list((await conn.execute(POPULAR_TAGS, {"limit": limit})).scalars())
            assert fast == slow
            assert fast  # the blog has tags in use


async def test_an_article_by_slug_is_the_same_on_both_paths(
    app: FastAPI, blog: dict[str, Any]
) -> None:
    """``GET /api/articles/{slug}``'s statement through ``fastpath.rows`` equals SQLAlchemy's
    row and the tags a separate read finds, anonymous and for a viewer who favorited it and
    follows its author (on PostgreSQL the tags come in the row)."""
    from quillpress.repositories.articles import _BY_SLUG, _BY_SLUG_WITH_TAGS, get_by_slug

    db = app.state.resources.database
    async with db.read() as conn:
        on_postgres = conn.dialect.name == "postgresql"
        reader = await conn.scalar(
            listings.select(listings.AppUser.id).where(listings.AppUser.username == "reader")
        )
        for viewer in (None, reader):
            params: dict[str, Any] = {"slug": "post-1"}
            if viewer is not None:
                params["viewer_id"] = viewer
            statements = _BY_SLUG_WITH_TAGS if on_postgres else _BY_SLUG
            slow = dict((await conn.execute(statements[viewer is not None], params)).one()._mapping)
            found = await get_by_slug(conn, "post-1", viewer_id=viewer)
            assert found is not None
            fast, tags = found
            in_row = slow.pop("tags", None)
            assert fast._asdict() == slow
            assert tags == (await listings.tags_many(conn, [fast.id]))[fast.id]
            assert tags
            if on_postgres:
                assert tags == in_row
            assert bool(fast.favorited) is bool(fast.following) is (viewer is not None)
        assert await get_by_slug(conn, "no-such-post", viewer_id=None) is None


async def test_a_profile_and_an_account_are_the_same_on_both_paths(
    app: FastAPI, blog: dict[str, Any]
) -> None:
    """``GET /api/profiles/{username}``'s and ``GET /api/user``'s statements through
    ``fastpath.rows`` equal SQLAlchemy's rows (any case of the name; a follower's flag)."""
    from quillpress.repositories.users import (
        _PROFILE_BY_NAME,
        ACCOUNT_BY_ID,
        get_account,
        get_profile,
    )

    db = app.state.resources.database
    async with db.read() as conn:
        reader = await conn.scalar(
            listings.select(listings.AppUser.id).where(listings.AppUser.username == "reader")
        )
        for viewer in (None, reader):
            params: dict[str, Any] = {"username": "ANN"}
            if viewer is not None:
                params["viewer_id"] = viewer
            slow = (await conn.execute(_PROFILE_BY_NAME[viewer is not None], params)).one()
            fast = await get_profile(conn, "ANN", viewer_id=viewer)
            assert fast is not None
            assert fast._asdict() == dict(slow._mapping)
            assert bool(fast.following) is (viewer is not None)
        assert await get_profile(conn, "nobody", viewer_id=None) is None
        account = await get_account(conn, reader)
        expected = (await conn.execute(ACCOUNT_BY_ID, {"user_id": reader})).one()
        assert account is not None
        assert account._asdict() == dict(expected._mapping)
