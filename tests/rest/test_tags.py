"""``/api/tags``: the tags in use, most used first."""

from __future__ import annotations

import httpx

from tests.helpers import auth, create_article, error_fields, register


async def tags(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/api/tags")
    assert response.status_code == 200, response.text
    assert list(response.json()) == ["tags"]
    result: list[str] = response.json()["tags"]
    return result


async def test_tags_of_an_empty_blog_is_an_empty_list(client: httpx.AsyncClient) -> None:
    assert await tags(client) == []


async def test_tags_are_listed_once_most_used_first(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    await create_article(client, ann, title="One", tagList=["rare", "common", "middle"])
    await create_article(client, bob, title="Two", tagList=["common", "middle"])
    await create_article(client, ann, title="Three", tagList=["common"])
    await create_article(client, bob, title="Four")
    assert await tags(client) == ["common", "middle", "rare"]


async def test_equally_used_tags_are_listed_by_name(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, title="One", tagList=["zeta", "alpha", "mu"])
    assert await tags(client) == ["alpha", "mu", "zeta"]


async def test_tags_need_no_token_and_accept_one(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, tagList=["t"])
    response = await client.get("/api/tags", headers=ann)
    assert response.json() == {"tags": ["t"]}


async def test_tags_with_an_invalid_token_is_401_like_every_endpoint(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/tags", headers=auth("broken"))
    assert error_fields(response, 401) == {"token": ["is invalid"]}


async def test_tags_of_deleted_articles_disappear(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, title="Doomed", tagList=["only-here", "shared"])
    await create_article(client, ann, title="Kept", tagList=["shared"])
    assert await tags(client) == ["shared", "only-here"]
    assert (await client.delete("/api/articles/doomed", headers=ann)).status_code == 204
    assert await tags(client) == ["shared"]
    assert (await client.delete("/api/articles/kept", headers=ann)).status_code == 204
    assert await tags(client) == []


async def test_tags_removed_from_an_article_disappear(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, title="Edited", tagList=["old", "both"])
    response = await client.put(
        "/api/articles/edited", json={"article": {"tagList": ["both", "new"]}}, headers=ann
    )
    assert response.status_code == 200
    assert await tags(client) == ["both", "new"]
    await client.put("/api/articles/edited", json={"article": {"tagList": []}}, headers=ann)
    assert await tags(client) == []


async def test_a_tag_reused_after_disappearing_comes_back(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, title="First", tagList=["phoenix"])
    await client.delete("/api/articles/first", headers=ann)
    assert await tags(client) == []
    await create_article(client, ann, title="Second", tagList=["phoenix"])
    assert await tags(client) == ["phoenix"]
    listed = (await client.get("/api/articles?tag=phoenix")).json()
    assert [item["slug"] for item in listed["articles"]] == ["second"]
