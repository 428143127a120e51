"""``articlesCount`` and the tag list come from counters the writes maintain: they stay
exact under concurrent writes, through cascades, and after writes made behind their back
once ``recount`` has run."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from quillpress.repositories import counters
from tests.counters import counter_rows, wrong_counters, wrong_daily_counts
from tests.helpers import create_article, register

TAGS = [f"t{index}" for index in range(6)]
USERS = ("ann", "bob", "cyd", "dee", "eve")


async def _wrong(app: FastAPI) -> list[Any]:
    async with app.state.resources.database.read() as conn:
        return [*await wrong_counters(conn), *await wrong_daily_counts(conn)]


async def _ok(response: httpx.Response) -> None:
    # A write may lose the race to a concurrent delete (404); anything else is a failure.
    assert response.status_code in {200, 201, 204, 404}, response.text


async def test_counters_stay_exact_under_a_storm_of_concurrent_writes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    rng = random.Random(7)
    users = {name: await register(client, name) for name in USERS}
    articles: list[tuple[str, str]] = []  # (slug, author)
    for index in range(12):
        author = USERS[index % len(USERS)]
        tags = rng.sample(TAGS, 3)
        slug = (await create_article(client, users[author], title=f"Seed {index}", tagList=tags))[
            "slug"
        ]
        articles.append((slug, author))

    def operation(step: int) -> Any:
        kind = rng.choice(["create", "delete", "favorite", "favorite", "unfavorite", "retag"])
        slug, author = rng.choice(articles)
        fan = users[rng.choice(USERS)]
        if kind == "create":
            body = {"title": f"Storm {step}", "description": "d", "body": "b"}
            body["tagList"] = rng.sample(TAGS, rng.randint(0, 4))  # type: ignore[assignment]
            return client.post(
                "/api/articles", json={"article": body}, headers=users[rng.choice(USERS)]
            )
        if kind == "delete":
            return client.delete(f"/api/articles/{slug}", headers=users[author])
        if kind == "retag":
            tags = rng.sample(TAGS, rng.randint(0, 4))
            return client.put(
                f"/api/articles/{slug}", json={"article": {"tagList": tags}}, headers=users[author]
            )
        method = client.post if kind == "favorite" else client.delete
        return method(f"/api/articles/{slug}/favorite", headers=fan)

    for _round in range(3):
        # Everyone at once, favorites of one article and tags of many colliding.
        responses = await asyncio.gather(*(operation(step) for step in range(60)))
        for response in responses:
            await _ok(response)
    async with app.state.resources.database.read() as conn:
        assert await counter_rows(conn) > 20
    assert await _wrong(app) == []

    async with app.state.resources.database.read() as conn:
        total = (await conn.execute(text("SELECT count(*) FROM article"))).scalar_one()
        tagged = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM article_tag JOIN tag ON tag.id = article_tag.tag_id "
                    "WHERE tag.name = 't1'"
                )
            )
        ).scalar_one()
    assert (await client.get("/api/articles?limit=1")).json()["articlesCount"] == total
    assert (await client.get("/api/articles?tag=t1&limit=1")).json()["articlesCount"] == tagged


async def test_deleting_an_article_uncounts_its_tags_and_its_fans_favorites(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ann = await register(client, "ann")
    fans = {name: await register(client, name) for name in ("bob", "cyd")}
    doomed = await create_article(client, ann, title="Doomed", tagList=["gone", "kept"])
    await create_article(client, ann, title="Stays", tagList=["kept"])
    for headers in fans.values():
        await client.post(f"/api/articles/{doomed['slug']}/favorite", headers=headers)
    assert (await client.get("/api/articles?favorited=bob")).json()["articlesCount"] == 1

    assert (await client.delete(f"/api/articles/{doomed['slug']}", headers=ann)).status_code == 204

    assert await _wrong(app) == []
    assert (await client.get("/api/articles")).json()["articlesCount"] == 1
    assert (await client.get("/api/articles?author=ann")).json()["articlesCount"] == 1
    assert (await client.get("/api/articles?favorited=bob")).json()["articlesCount"] == 0
    assert (await client.get("/api/articles?tag=kept")).json()["articlesCount"] == 1
    assert (await client.get("/api/articles?tag=gone")).json()["articlesCount"] == 0
    assert (await client.get("/api/tags")).json()["tags"] == ["kept"]  # unused: left out


async def test_replacing_tags_moves_the_counts(app: FastAPI, client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    article = await create_article(client, ann, tagList=["a", "b"])
    await create_article(client, ann, title="Other", tagList=["b", "c"])
    response = await client.put(
        f"/api/articles/{article['slug']}", json={"article": {"tagList": ["c", "d"]}}, headers=ann
    )
    assert response.status_code == 200
    assert await _wrong(app) == []
    assert (await client.get("/api/tags")).json()["tags"] == ["c", "b", "d"]  # 2, then by name


async def test_favorites_are_counted_once_however_often_repeated(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    slug = (await create_article(client, ann))["slug"]
    await asyncio.gather(
        *(client.post(f"/api/articles/{slug}/favorite", headers=bob) for _ in range(8))
    )
    article = (await client.get(f"/api/articles/{slug}")).json()["article"]
    assert article["favoritesCount"] == 1
    await asyncio.gather(
        *(client.delete(f"/api/articles/{slug}/favorite", headers=bob) for _ in range(8))
    )
    assert await _wrong(app) == []
    assert (await client.get("/api/articles?favorited=bob")).json()["articlesCount"] == 0


async def test_recount_repairs_counters_after_writes_behind_their_back(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    slug = (await create_article(client, ann, tagList=["x"]))["slug"]
    await client.post(f"/api/articles/{slug}/favorite", headers=ann)
    await create_article(client, bob, tagList=["x", "y"])
    engine = app.state.resources.database.engine
    async with engine.begin() as conn:
        # A deleted account cascades to its articles, tag links and favorites in SQL alone.
        await conn.execute(text("DELETE FROM app_user WHERE username = 'ann'"))
    assert await _wrong(app) != []

    async with engine.begin() as conn:
        await counters.recount(conn)

    assert await _wrong(app) == []
    assert (await client.get("/api/articles")).json()["articlesCount"] == 1
    assert (await client.get("/api/tags")).json()["tags"] == ["x", "y"]
