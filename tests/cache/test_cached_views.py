"""The cached read path returns exactly the views the uncached path builds: for every
list filter and page, the feed, an article, a profile and comments, anonymous and signed
in, on a miss and on the hit after it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from quillpress.domain.auth import Principal
from quillpress.domain.commands import ArticleFilter, Cursor, make_page
from quillpress.infra.cache import Cache
from quillpress.services import articles as article_service
from quillpress.services import comments as comment_service
from quillpress.services import profiles as profile_service
from quillpress.services.articles import PageFields
from tests.helpers import create_article, register

OFF = Cache(None)


@pytest.fixture
async def blog(app: FastAPI, client: httpx.AsyncClient) -> dict[str, Any]:
    """Three authors with profiles, tagged articles (tags with a colon and non-ASCII too),
    favorites, follows and comments; ``reader`` follows ann and favorites some."""
    users = {name: await register(client, name) for name in ("ann", "Bob", "cyd", "reader")}
    await client.put(
        "/api/user",
        json={"user": {"bio": "Ann writes", "image": "https://x/a.png"}},
        headers=users["ann"],
    )
    slugs = []
    for index in range(9):
        author = ("ann", "Bob", "cyd")[index % 3]
        tags = [f"t{index % 2}", "common", "c++:x", "café"][: 1 + index % 4]
        article = await create_article(client, users[author], title=f"Post {index}", tagList=tags)
        slugs.append(article["slug"])
    for slug in slugs[::2]:
        await client.post(f"/api/articles/{slug}/favorite", headers=users["reader"])
    await client.post(f"/api/articles/{slugs[1]}/favorite", headers=users["cyd"])
    await client.post("/api/profiles/ann/follow", headers=users["reader"])
    for slug in slugs[:3]:
        for name in ("Bob", "reader"):
            await client.post(
                f"/api/articles/{slug}/comments",
                json={"comment": {"body": f"{name} says hi"}},
                headers=users[name],
            )
    db = app.state.resources.database
    ids = {name: (await profile_service.get_profile(db, None, name)).id for name in users}
    return {"slugs": slugs, "users": ids}


FILTERS = [
    ArticleFilter(),
    ArticleFilter(tag="common"),
    ArticleFilter(tag="c++:x"),
    ArticleFilter(tag="café"),
    ArticleFilter(tag="nosuch"),
    ArticleFilter(author="ann"),
    ArticleFilter(author="bob"),
    ArticleFilter(author="nobody"),
    ArticleFilter(favorited="reader"),
    ArticleFilter(favorited="READER"),
    ArticleFilter(tag="common", author="cyd"),
]
PAGES = [(20, 0), (3, 0), (3, 2), (2, 50)]
WANTED = [PageFields(), PageFields(with_body=True, with_total=False)]


def _viewers(blog: dict[str, Any]) -> list[Principal | None]:
    return [None, Principal(user_id=blog["users"]["reader"])]


async def test_lists_match_the_uncached_views(app: FastAPI, blog: dict[str, Any]) -> None:
    resources = app.state.resources
    db, cache = resources.database, resources.cache
    assert cache.enabled
    compared = 0
    for viewer in _viewers(blog):
        for filters in FILTERS:
            for limit, offset in PAGES:
                for wanted in WANTED:
                    page = make_page(limit, offset, max_limit=100)
                    expected = await article_service.list_articles(
                        db, viewer, filters, page, wanted, cache=OFF
                    )
                    for _ in ("miss", "hit"):
                        found = await article_service.list_articles(
                            db, viewer, filters, page, wanted, cache=cache
                        )
                        assert found == expected, (viewer, filters, limit, offset, wanted)
                    compared += 1
    assert compared == 2 * len(FILTERS) * len(PAGES) * len(WANTED)


async def test_cursor_pages_and_the_feed_match(app: FastAPI, blog: dict[str, Any]) -> None:
    resources = app.state.resources
    db, cache = resources.database, resources.cache
    reader = Principal(user_id=blog["users"]["reader"])
    first = await article_service.list_articles(
        db, None, ArticleFilter(), make_page(4, max_limit=100), cache=OFF
    )
    last = first.items[-1]
    after = make_page(4, max_limit=100, after=Cursor(created_at=last.created_at, id=last.id))
    for viewer in (None, reader):
        expected = await article_service.list_articles(
            db, viewer, ArticleFilter(), after, cache=OFF
        )
        assert expected.items
        for _ in ("miss", "hit"):
            assert (
                await article_service.list_articles(db, viewer, ArticleFilter(), after, cache=cache)
                == expected
            )
    for limit, offset in PAGES:
        page = make_page(limit, offset, max_limit=100)
        expected = await article_service.feed(db, reader, page, cache=OFF)
        for _ in ("miss", "hit"):
            assert await article_service.feed(db, reader, page, cache=cache) == expected


async def test_articles_profiles_and_comments_match(app: FastAPI, blog: dict[str, Any]) -> None:
    resources = app.state.resources
    db, cache = resources.database, resources.cache
    for viewer in _viewers(blog):
        for slug in [*blog["slugs"], "nosuch"]:
            for _ in ("miss", "hit"):
                assert await _outcome(
                    article_service.get_article(db, viewer, slug, cache=cache)
                ) == (await _outcome(article_service.get_article(db, viewer, slug, cache=OFF)))
                assert await _outcome(
                    comment_service.list_comments(db, viewer, slug, cache=cache)
                ) == await _outcome(comment_service.list_comments(db, viewer, slug, cache=OFF))
        for name in ("ann", "ANN", "Bob", "bob", "reader", "nobody", "ännchen"):
            for _ in ("miss", "hit"):
                assert await _outcome(
                    profile_service.get_profile(db, viewer, name, cache=cache)
                ) == await _outcome(profile_service.get_profile(db, viewer, name, cache=OFF))
        assert await article_service.list_tags(db, cache=cache) == await article_service.list_tags(
            db, cache=OFF
        )
    article_ids = [
        (await article_service.get_article(db, None, slug)).id for slug in blog["slugs"][:4]
    ]
    for viewer in _viewers(blog):
        assert await comment_service.comments_per_article(
            db, viewer, article_ids, cache=cache
        ) == await comment_service.comments_per_article(db, viewer, article_ids, cache=OFF)


async def _outcome(call: Any) -> Any:
    """The view, or the error's type and what it names (views and errors both compared)."""
    try:
        return await call
    except Exception as error:
        return (type(error).__name__, str(error))
