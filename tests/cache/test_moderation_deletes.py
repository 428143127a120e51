"""A moderation delete purges the cache through the ordinary delete's after-commit events:
with the cache on (in-process and Redis), a cached list, article or comment list answers
without what an admin deleted from the very next request."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.helpers import cache_outcome, create_article, make_admin, register


async def test_a_moderated_article_is_gone_from_the_cached_lists_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    root = await make_admin(app, client, "root")
    ann = await register(client, "ann")
    kept = await create_article(client, ann, "Kept")
    spam = await create_article(client, ann, "Spam")
    paths = ("/api/articles", f"/api/articles/{spam['slug']}", "/api/articles?author=ann")
    for path in paths:
        await client.get(path)
        assert cache_outcome(await client.get(path)) == "hit", path
    deleted = await client.request(
        "DELETE", f"/api/admin/articles/{spam['slug']}", json={"reason": "Spam"}, headers=root
    )
    assert deleted.status_code == 204, deleted.text
    for listing in ("/api/articles", "/api/articles?author=ann"):
        body = (await client.get(listing)).json()
        assert [article["slug"] for article in body["articles"]] == [kept["slug"]], listing
        assert body["articlesCount"] == 1
    assert (await client.get(f"/api/articles/{spam['slug']}")).status_code == 404


async def test_a_moderated_comment_is_gone_from_the_cached_comment_list_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    root = await make_admin(app, client, "root")
    ann = await register(client, "ann")
    article = await create_article(client, ann)
    path = f"/api/articles/{article['slug']}/comments"
    created = await client.post(path, json={"comment": {"body": "spam"}}, headers=ann)
    comment_id = created.json()["comment"]["id"]
    await client.get(path)
    assert cache_outcome(await client.get(path)) == "hit"
    deleted = await client.request(
        "DELETE", f"/api/admin/comments/{comment_id}", json={"reason": "Abuse"}, headers=root
    )
    assert deleted.status_code == 204, deleted.text
    assert (await client.get(path)).json() == {"comments": []}
