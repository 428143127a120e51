"""The cache contract: with the cache on, every read answers exactly what it answers with
the cache off, header for header and byte for byte, on the miss and on the hit after it,
anonymous and signed in; and a hit costs what it should (no statement anonymous; the
session check and one flags statement signed in).

Two apps share one database: the ``client`` fixture's (cache on, in this test's mode) and
an uncached one (the truth). Only the headers made per request differ
(``X-Request-ID``, ``Server-Timing``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from quillpress.config import Settings
from tests.conftest import make_settings
from tests.helpers import (
    PASSWORD,
    auth_statements,
    cache_outcome,
    cache_round_trips,
    create_article,
    register,
    serve,
    statement_count,
)

PER_REQUEST = {"x-request-id", "server-timing"}


@pytest.fixture
async def truth(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(make_settings(database_url, cache="off")) as (_, client):
        yield client


@pytest.fixture
async def blog(client: httpx.AsyncClient) -> dict[str, Any]:
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
    return {"slugs": slugs, "users": users}


FILTERS = [
    "",
    "tag=common",
    f"tag={quote('c++:x')}",
    f"tag={quote('café')}",
    "tag=nosuch",
    "author=ann",
    "author=bob",
    "author=nobody",
    "favorited=reader",
    "favorited=READER",
    "tag=common&author=cyd",
]
PAGES = ["", "limit=3", "limit=3&offset=2", "limit=2&offset=50", "limit=3&unknown=1"]


def _reads(blog: dict[str, Any]) -> list[str]:
    paths = []
    for filters in FILTERS:
        for page in PAGES:
            query = "&".join(part for part in (filters, page) if part)
            paths.append(f"/api/articles?{query}" if query else "/api/articles")
    for slug in [*blog["slugs"][:4], "nosuch"]:
        paths += [f"/api/articles/{slug}", f"/api/articles/{slug}/comments"]
    for name in ("ann", "ANN", "Bob", "reader", "nobody", "ännchen"):
        paths.append(f"/api/profiles/{quote(name)}")
    return [*paths, "/api/tags"]


def vary(response: httpx.Response) -> set[str]:
    """The names in the response's one ``Vary`` header (CORS adds ``Origin`` to it)."""
    assert len(response.headers.get_list("vary")) == 1
    return {name.strip().lower() for name in response.headers["vary"].split(",")}


def _same(found: httpx.Response, expected: httpx.Response, context: object) -> None:
    assert found.status_code == expected.status_code, (context, found.text)
    assert found.content == expected.content, context
    headers = {k: v for k, v in found.headers.items() if k not in PER_REQUEST}
    truth = {k: v for k, v in expected.headers.items() if k not in PER_REQUEST}
    assert headers == truth, context


async def test_every_read_answers_as_the_uncached_app_does(
    client: httpx.AsyncClient,
    truth: httpx.AsyncClient,
    blog: dict[str, Any],
    settings: Settings,
) -> None:
    signed_in = blog["users"]["reader"]
    auth = auth_statements(settings.cache_mode.value)
    for path in _reads(blog):
        for viewer, headers in (("anonymous", {}), ("reader", signed_in)):
            expected = await truth.get(path, headers=headers)
            miss = await client.get(path, headers=headers)
            hit = await client.get(path, headers=headers)
            _same(miss, expected, (viewer, path, "miss"))
            _same(hit, expected, (viewer, path, "hit"))
            if expected.status_code != 200:
                continue
            assert cache_outcome(hit) == "hit", (viewer, path)
            # A signed-in hit: the session check only (none with Redis); the viewer's
            # flags for this answer were kept by the request before.
            cost = 0 if viewer == "anonymous" else auth
            assert statement_count(hit) == cost, (viewer, path)


async def test_a_cookie_signed_in_read_answers_as_the_uncached_app_does(
    client: httpx.AsyncClient, truth: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    """Cookie mode's reader: the miss, the hit (flags filled in) and a 304 are the
    uncached app's answer, ``Vary: Authorization, Cookie`` included."""
    login = await client.post(
        "/api/users/login?session=cookie",
        json={"user": {"email": "reader@example.com", "password": PASSWORD}},
    )
    assert login.status_code == 200, login.text
    cookie = {"Cookie": f"qp_session={client.cookies['qp_session']}; qp_csrf=x"}
    client.cookies.clear()  # sent by hand, to both apps alike
    slug = blog["slugs"][0]
    paths = [
        "/api/articles",
        "/api/articles?favorited=reader&limit=2",
        f"/api/articles/{slug}",
        f"/api/articles/{slug}/comments",
        "/api/profiles/ann",
        "/api/tags",
    ]
    for path in paths:
        expected = await truth.get(path, headers=cookie)
        assert "Authorization, Cookie" in expected.headers["vary"], path  # after Host, if any
        for outcome in ("miss", "hit"):
            found = await client.get(path, headers=cookie)
            _same(found, expected, (path, outcome))
        assert cache_outcome(found) == "hit", path
        conditional = {**cookie, "If-None-Match": expected.headers["etag"]}
        not_modified = await client.get(path, headers=conditional)
        _same(not_modified, await truth.get(path, headers=conditional), (path, 304))
        assert not_modified.status_code == 304, path


async def test_a_hit_costs_one_redis_round_trip(
    client: httpx.AsyncClient, blog: dict[str, Any], cache_mode: str
) -> None:
    await client.get("/api/articles")
    hit = await client.get("/api/articles")
    assert cache_outcome(hit) == "hit"
    assert cache_round_trips(hit) == (1 if cache_mode == "redis" else 0)
    assert hit.headers["server-timing"].count("cache;") == 1


async def test_a_cursor_page_links_to_the_next_from_the_requests_own_url(
    client: httpx.AsyncClient, truth: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    """The ``Link`` header is the request's own URL (host and other parameters kept), so
    a hit rebuilds it rather than replaying the URL of whoever filled the entry."""
    first = await client.get("/api/articles?limit=2&x=1", headers={"Host": "one.example"})
    assert first.headers["link"].startswith("<http://one.example/api/articles?x=1&")
    other = await client.get("/api/articles?limit=2&x=2", headers={"Host": "two.example"})
    assert cache_outcome(other) == "hit"
    for response in (first, other):  # the Link names the Host: caches must key on it
        assert vary(response) >= {"host", "authorization"}
    expected = await truth.get("/api/articles?limit=2&x=2", headers={"Host": "two.example"})
    assert other.headers["link"] == expected.headers["link"]
    following = other.headers["link"].split(">")[0].removeprefix("<http://two.example")
    page_two = await client.get(following, headers={"Host": "two.example"})
    _same(page_two, await truth.get(following, headers={"Host": "two.example"}), "page two")


async def test_with_a_public_url_every_host_is_answered_its_links(
    cached_settings: Any, database_url: str, blog: dict[str, Any]
) -> None:
    """``QUILLPRESS_PUBLIC_URL`` set: the ``Link`` is under it whatever ``Host`` the
    request carried (a forged one included), so nothing varies on ``Host``; a hit still
    answers as the uncached app does."""
    public = "https://blog.example/quill"
    path = "/api/articles?limit=2&tag=common"
    uncached = make_settings(database_url, cache="off", public_url=public)
    async with (
        serve(cached_settings(public_url=public)) as (_, cached),
        serve(uncached) as (_, plain),
    ):
        for host in ("blog.example", "evil.example", "evil.example"):
            expected = await plain.get(path, headers={"Host": host})
            found = await cached.get(path, headers={"Host": host})
            _same(found, expected, host)
            link = found.headers["link"]
            assert link.startswith("<https://blog.example/quill/api/articles?tag=common&cursor=")
            assert "host" not in vary(found)
        assert cache_outcome(found) == "hit"
        signed_in = await cached.get(path, headers=blog["users"]["reader"])
        assert signed_in.headers["link"].startswith("<https://blog.example/quill/api/")


async def test_if_none_match_on_a_hit_is_a_304_like_a_misses(
    client: httpx.AsyncClient, truth: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    signed_in = blog["users"]["reader"]
    for headers in ({}, signed_in):
        etag = (await client.get("/api/articles", headers=headers)).headers["etag"]
        conditional = {**headers, "If-None-Match": etag}
        hit = await client.get("/api/articles", headers=conditional)
        _same(hit, await truth.get("/api/articles", headers=conditional), headers)
        assert hit.status_code == 304


async def test_a_hit_carries_cors_headers_like_a_miss(
    client: httpx.AsyncClient, truth: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    origin = {"Origin": "http://localhost:4100"}
    for _ in ("miss", "hit"):
        found = await client.get("/api/tags", headers=origin)
        _same(found, await truth.get("/api/tags", headers=origin), "cors")
        assert found.headers["access-control-allow-origin"] == "http://localhost:4100"
    assert cache_outcome(found) == "hit"


async def test_hits_are_counted_and_logged_under_their_route_template(
    client: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    from tests.infra.test_metrics import scrape, value

    slug = blog["slugs"][0]
    before = await scrape(client)
    for _ in range(3):
        await client.get(f"/api/articles/{slug}")
    after = await scrape(client)
    template = "/api/articles/{slug}"
    counted = value(after, "http_requests_total", method="GET", route=template, status="200")
    assert (
        counted - value(before, "http_requests_total", method="GET", route=template, status="200")
        == 3
    )
    hits = value(after, "cache_requests_total", result="hit") - value(
        before, "cache_requests_total", result="hit"
    )
    assert hits == 2
    assert slug not in after


SEARCHES = [
    "q=post",
    "q=post&limit=3&offset=2",
    "q=post&tag=common",
    "q=post&author=ann",
    "q=post&favorited=reader",
    "q=%22post+3%22",
    "q=nothing+here",
    "q=-post",
    "q=",
    "q=post&limit=2&unknown=1",
]


async def test_search_pages_answer_as_the_uncached_app_and_any_article_write_purges_them(
    client: httpx.AsyncClient, truth: httpx.AsyncClient, blog: dict[str, Any]
) -> None:
    """Search pages go through the same read path and cache as the other lists: a miss
    and a hit answer as the uncached app does (links included), a write that does not
    touch articles leaves them cached, and any article write purges every one of them."""
    reader = blog["users"]["reader"]
    for viewer, headers in (("anonymous", {}), ("reader", reader)):
        for query in SEARCHES:
            path = f"/api/articles?{query}"
            expected = await truth.get(path, headers=headers)
            for outcome in ("miss", "hit"):
                _same(await client.get(path, headers=headers), expected, (viewer, path, outcome))
            assert cache_outcome(await client.get(path, headers=headers)) == "hit", path
    following = (await client.get("/api/articles?q=post&limit=2")).headers["link"]
    following = following[1 : following.index(">")].removeprefix("http://testserver")
    _same(await client.get(following), await truth.get(following), "search page two")

    await client.post(
        f"/api/articles/{blog['slugs'][0]}/comments",
        json={"comment": {"body": "not an article write"}},
        headers=reader,
    )
    assert cache_outcome(await client.get("/api/articles?q=post")) == "hit"

    await create_article(client, blog["users"]["cyd"], title="Post zanzibar", tagList=["t9"])
    for query in ("q=post", "q=zanzibar", "q=nothing+here"):
        path = f"/api/articles?{query}"
        after_write = await client.get(path)
        assert cache_outcome(after_write) == "miss", path
        _same(after_write, await truth.get(path), (path, "after a write"))
    assert (await client.get("/api/articles?q=zanzibar")).json()["articlesCount"] == 1
