"""Two app instances share one Redis and one database: every kind of write made through
instance A shows, right after its response, in every view read through instance B.

Each view is read through B before each write (so B's cache holds it), and after the
write B's answer must equal the truth read by a third, uncached instance. A view list
that B had cached stale would differ. The same scenario runs across the processes of a
deployed topology in tests/cluster/test_consistency.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import make_settings, truncate
from tests.helpers import cache_outcome, register, serve

Headers = dict[str, str]


class Blog:
    """What the views are, derived from what was written (slugs, names and tags seen)."""

    def __init__(self) -> None:
        self.slugs: set[str] = set()
        self.usernames: set[str] = {"ann", "bob", "reader"}
        self.tags: set[str] = {"python", "rust"}

    def views(self) -> list[str]:
        paths = ["/api/articles", "/api/articles?limit=2&offset=1", "/api/tags"]
        paths += [f"/api/articles?tag={quote(tag)}" for tag in sorted(self.tags)]
        for name in sorted(self.usernames):
            paths += [
                f"/api/articles?author={name}",
                f"/api/articles?favorited={name}",
                f"/api/profiles/{name}",
            ]
        for slug in sorted(self.slugs):
            paths += [f"/api/articles/{slug}", f"/api/articles/{slug}/comments"]
        return paths


@pytest.fixture
async def instances(
    database_url: str, redis_settings: dict[str, object]
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, httpx.AsyncClient]]:
    async with AsyncExitStack() as stack:
        a_app, a = await stack.enter_async_context(
            serve(make_settings(database_url, **redis_settings))
        )
        _, b = await stack.enter_async_context(serve(make_settings(database_url, **redis_settings)))
        _, truth = await stack.enter_async_context(serve(make_settings(database_url, cache="off")))
        try:
            yield a, b, truth
        finally:
            await truncate(a_app.state.resources.database.engine)


async def _same_everywhere(
    b: httpx.AsyncClient,
    truth: httpx.AsyncClient,
    blog: Blog,
    viewers: dict[str, Headers],
    *,
    cached: bool = False,
) -> dict[str, dict[str, Any]]:
    """Every view through B equals the truth, for every viewer (and B now caches it).
    ``cached``: B must answer each one from its cache (it read them all just before)."""
    seen: dict[str, dict[str, Any]] = {}
    for viewer, headers in viewers.items():
        paths = blog.views() + (["/api/articles/feed"] if headers else [])
        for path in paths:
            expected = await truth.get(path, headers=headers)
            found = await b.get(path, headers=headers)
            assert found.status_code == expected.status_code, (viewer, path, found.text)
            assert found.json() == expected.json(), (viewer, path)
            if cached and found.status_code == 200:  # only answers that exist are kept
                assert cache_outcome(found) in {"hit", "none"}, (viewer, path)
            seen[f"{viewer} {path}"] = found.json()
    return seen


async def test_every_write_through_one_instance_shows_through_the_other(
    instances: tuple[httpx.AsyncClient, httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    await every_write_shows_through_the_other(*instances)


async def every_write_shows_through_the_other(
    a: httpx.AsyncClient, b: httpx.AsyncClient, truth: httpx.AsyncClient
) -> None:
    """The consistency table on an empty blog: each write through ``a`` (whatever serves
    it: an app of this process, or a deployed instance's URL), then every view through
    ``b`` equals ``truth``'s (an uncached server on the same database)."""
    users = {name: await register(a, name) for name in ("ann", "bob", "reader")}
    viewers: dict[str, Headers] = {"anonymous": {}, "reader": users["reader"]}
    blog = Blog()

    async def article(headers: Headers, title: str, tags: list[str]) -> str:
        body = {"article": {"title": title, "description": "d", "body": "b", "tagList": tags}}
        response = await a.post("/api/articles", json=body, headers=headers)
        assert response.status_code == 201, response.text
        slug: str = response.json()["article"]["slug"]
        blog.slugs.add(slug)
        return slug

    first = await article(users["ann"], "First", ["python"])
    await article(users["bob"], "Unrelated", ["rust"])
    comment_id = 0
    ann = "ann"  # her username, until she changes it

    async def create() -> None:
        nonlocal first
        await article(users["ann"], "Second", ["python", "new"])
        blog.tags.add("new")

    async def update_title_body_tags() -> None:
        nonlocal first
        body = {"article": {"title": "First, retitled", "body": "New body", "tagList": ["go"]}}
        response = await a.put(f"/api/articles/{first}", json=body, headers=users["ann"])
        assert response.status_code == 200, response.text
        first = response.json()["article"]["slug"]
        blog.slugs.add(first)
        blog.tags.add("go")

    async def favorite() -> None:
        assert (await a.post(f"/api/articles/{first}/favorite", headers=users["reader"])).is_success

    async def unfavorite() -> None:
        response = await a.delete(f"/api/articles/{first}/favorite", headers=users["reader"])
        assert response.is_success

    async def follow() -> None:
        assert (await a.post(f"/api/profiles/{ann}/follow", headers=users["reader"])).is_success

    async def unfollow() -> None:
        assert (await a.delete(f"/api/profiles/{ann}/follow", headers=users["reader"])).is_success

    async def comment() -> None:
        nonlocal comment_id
        body = {"comment": {"body": "Nice"}}
        response = await a.post(f"/api/articles/{first}/comments", json=body, headers=users["bob"])
        assert response.status_code == 201, response.text
        comment_id = response.json()["comment"]["id"]

    async def uncomment() -> None:
        path = f"/api/articles/{first}/comments/{comment_id}"
        assert (await a.delete(path, headers=users["bob"])).status_code == 204

    async def rename_and_reprofile() -> None:
        nonlocal ann
        body = {"user": {"username": "anna", "bio": "Writes", "image": "https://x/anna.png"}}
        response = await a.put("/api/user", json=body, headers=users["ann"])
        assert response.status_code == 200, response.text
        blog.usernames.add("anna")
        ann = "anna"

    async def delete() -> None:
        assert (await a.delete(f"/api/articles/{first}", headers=users["ann"])).status_code == 204

    writes: list[Callable[[], Awaitable[None]]] = [
        create,
        update_title_body_tags,
        favorite,
        unfavorite,
        follow,
        unfollow,
        comment,
        uncomment,
        comment,
        rename_and_reprofile,
        favorite,
        follow,
        delete,
    ]
    await _same_everywhere(b, truth, blog, viewers)  # B caches every view
    for write in writes:
        before = await _same_everywhere(b, truth, blog, viewers, cached=True)
        await write()
        after = await _same_everywhere(b, truth, blog, viewers)
        assert after != before, f"{write.__name__} changed no view"

    # And what the writes left is what B shows, spelled out for the rename:
    listing = (await b.get("/api/articles?author=anna")).json()["articles"]
    assert [item["author"]["username"] for item in listing] == ["anna"]
    assert listing[0]["author"]["bio"] == "Writes"
    assert (await b.get("/api/profiles/ann")).status_code == 404
    assert (await b.get("/api/articles?author=ann")).json()["articlesCount"] == 0
