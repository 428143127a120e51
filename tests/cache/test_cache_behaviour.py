"""What the cache costs and saves, seen from outside: SQL statements per request (from
``Server-Timing``), precise purges, single-flight, GraphQL through the same cache, and
HTTP caching (ETag, 304, Cache-Control)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.helpers import (
    auth,
    auth_statements,
    cache_outcome,
    cache_round_trips,
    create_article,
    gql,
    register,
    statement_count,
)

FLAGS_STATEMENTS = 1
"""What a signed-in hit costs beyond the auth lookup: the viewer's favorited/following."""


@pytest.fixture
async def blog(client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    users = {name: await register(client, name) for name in ("ann", "bob", "reader")}
    for index in range(4):
        author = users["ann" if index % 2 else "bob"]
        await create_article(client, author, title=f"Post {index}", tagList=[f"t{index}", "all"])
    await client.post("/api/articles/post-1/favorite", headers=users["reader"])
    await client.post(
        "/api/articles/post-1/comments", json={"comment": {"body": "hi"}}, headers=users["bob"]
    )
    return users


READS = [
    "/api/articles",
    "/api/articles?tag=all",
    "/api/articles?author=ann",
    "/api/articles?favorited=reader",
    "/api/articles/post-1",
    "/api/articles/post-1/comments",
    "/api/profiles/ann",
    "/api/tags",
]


@pytest.mark.parametrize("path", READS)
async def test_an_anonymous_hit_runs_no_sql(
    client: httpx.AsyncClient, blog: dict[str, dict[str, str]], path: str
) -> None:
    miss = await client.get(path)
    assert miss.status_code == 200, miss.text
    assert cache_outcome(miss) == "miss"
    assert statement_count(miss) > 0
    hit = await client.get(path)
    assert hit.json() == miss.json()
    assert (cache_outcome(hit), statement_count(hit)) == ("hit", 0)


@pytest.mark.parametrize("path", READS)
async def test_a_signed_in_hit_costs_the_auth_lookup_and_one_flags_statement(
    client: httpx.AsyncClient, blog: dict[str, dict[str, str]], path: str, cache_mode: str
) -> None:
    """The session lookup is one statement with the in-process cache, none with Redis
    once the session was seen (the blog fixture's writes signed the reader in)."""
    await client.get(path)  # filled by an anonymous read: the cache is viewer-independent
    hit = await client.get(path, headers=blog["reader"])
    assert cache_outcome(hit) == "hit"
    flags = 0 if path == "/api/tags" else FLAGS_STATEMENTS
    assert statement_count(hit) == auth_statements(cache_mode) + flags
    if path == "/api/articles/post-1":
        assert hit.json()["article"]["favorited"] is True
    again = await client.get(path, headers=blog["reader"])  # the flags were kept too
    assert (again.content, statement_count(again)) == (hit.content, auth_statements(cache_mode))
    assert cache_round_trips(again) == (1 if cache_mode == "redis" else 0)


async def test_a_viewers_kept_flags_follow_their_favorites_and_follows(
    client: httpx.AsyncClient, blog: dict[str, dict[str, str]]
) -> None:
    """The viewer's flags for a cached answer are kept under the viewer's own tags: a
    favorite or a follow of theirs purges them (and nobody else's)."""
    reader, bob = blog["reader"], blog["bob"]

    def flags(page: httpx.Response) -> dict[str, tuple[bool, bool]]:
        return {
            a["slug"]: (a["favorited"], a["author"]["following"]) for a in page.json()["articles"]
        }

    await client.get("/api/articles")
    for viewer in (reader, bob):
        await client.get("/api/articles", headers=viewer)
    before = flags(await client.get("/api/articles", headers=reader))
    assert before["post-2"] == (False, False)
    await client.post("/api/profiles/bob/follow", headers=reader)
    await client.post("/api/articles/post-3/favorite", headers=reader)
    after = flags(await client.get("/api/articles", headers=reader))
    assert after["post-2"] == (False, True)  # by bob, whom the reader now follows
    assert after["post-3"][0] is True
    assert flags(await client.get("/api/articles", headers=bob))["post-3"][0] is False


async def test_a_write_purges_what_it_touched_and_an_unrelated_page_stays_cached(
    client: httpx.AsyncClient, blog: dict[str, dict[str, str]]
) -> None:
    for path in READS:
        await client.get(path)
    await client.post("/api/articles/post-2/favorite", headers=blog["reader"])  # by bob, t2
    stayed = [
        "/api/articles?author=ann",
        "/api/articles/post-1",
        "/api/articles/post-1/comments",
        "/api/profiles/ann",
        "/api/tags",
    ]
    for path in stayed:
        response = await client.get(path)
        assert (cache_outcome(response), statement_count(response)) == ("hit", 0), path
    favorites = await client.get("/api/articles?favorited=reader")
    assert cache_outcome(favorites) == "miss"
    assert [a["slug"] for a in favorites.json()["articles"]] == ["post-2", "post-1"]
    page = await client.get("/api/articles?tag=all")
    counts = {a["slug"]: a["favoritesCount"] for a in page.json()["articles"]}
    assert counts["post-2"] == 1  # one entity reloaded, the page of ids kept
    assert statement_count(page) <= 2  # the one article (and its tags on SQLite)


async def test_concurrent_misses_of_one_page_run_the_request_once(
    client: httpx.AsyncClient, blog: dict[str, dict[str, str]]
) -> None:
    """Single flight: ten readers of one uncached page cost the statements of one."""
    alone = await client.get("/api/articles?limit=3")
    assert cache_outcome(alone) == "miss"
    await client.post("/api/articles/post-3/favorite", headers=blog["reader"])  # on the page
    answers = await asyncio.gather(*(client.get("/api/articles?limit=3") for _ in range(10)))
    assert all(answer.content == answers[0].content for answer in answers)
    assert sum(statement_count(answer) for answer in answers) == statement_count(alone)


ARTICLES_QUERY = "{ articles(first: 10) { edges { node { slug author { username } } } } }"


async def test_graphql_queries_are_served_through_the_same_cache(
    client: httpx.AsyncClient, blog: dict[str, dict[str, str]]
) -> None:
    """An anonymous query's answer is shared and tagged like a REST answer: a hit runs no
    SQL, and a write to something it shows purges it."""
    miss = await gql(client, ARTICLES_QUERY)
    assert miss.status_code == 200, miss.text
    assert cache_outcome(miss) == "miss"
    hit = await gql(client, ARTICLES_QUERY)
    assert (cache_outcome(hit), statement_count(hit), hit.content) == ("hit", 0, miss.content)
    assert hit.headers["cache-control"] == miss.headers["cache-control"] == "no-store"
    signed_in = await gql(client, ARTICLES_QUERY, headers=blog["reader"])
    assert statement_count(signed_in) > 0  # a viewer's answer is never the shared one
    await client.put("/api/user", json={"user": {"username": "annie"}}, headers=blog["ann"])
    renamed = await gql(client, ARTICLES_QUERY)
    assert cache_outcome(renamed) == "miss"
    names = {
        edge["node"]["author"]["username"] for edge in renamed.json()["data"]["articles"]["edges"]
    }
    assert names == {"annie", "bob"}
    tags = await gql(client, "{ tags }")
    again = await gql(client, "{ tags }")
    assert statement_count(tags) == 1
    assert statement_count(again) == 0


async def test_a_graphql_answer_showing_nothing_is_purged_when_the_thing_appears(
    client: httpx.AsyncClient, blog: dict[str, dict[str, str]]
) -> None:
    """``null`` for a missing profile or article is shared too: the name or slug it looked
    up is one of its tags, so the registration or article that takes it purges it."""
    query = '{ tags profile(username: "zed") { username } article(slug: "zed-post") { slug } }'
    assert (await gql(client, query)).json()["data"]["profile"] is None
    assert cache_outcome(await gql(client, query)) == "hit"
    zed = await register(client, "zed")
    assert (await gql(client, query)).json()["data"]["profile"] == {"username": "zed"}
    await create_article(client, zed, title="Zed post")
    assert (await gql(client, query)).json()["data"]["article"] == {"slug": "zed-post"}


async def test_get_responses_carry_an_etag_and_a_matching_one_gets_304(
    client: httpx.AsyncClient, blog: dict[str, dict[str, str]]
) -> None:
    first = await client.get("/api/articles")
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    same = await client.get("/api/articles", headers={"If-None-Match": etag})
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["etag"] == etag
    assert "server-timing" in same.headers
    await client.post("/api/articles/post-3/favorite", headers=blog["reader"])
    changed = await client.get("/api/articles", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


async def test_cache_control_says_who_may_keep_a_response(
    client: httpx.AsyncClient, blog: dict[str, dict[str, str]]
) -> None:
    anonymous = await client.get("/api/articles")
    assert anonymous.headers["cache-control"] == "public, no-cache"
    signed_in = await client.get("/api/articles", headers=blog["reader"])
    assert signed_in.headers["cache-control"] == "private, no-cache"
    assert "Authorization" in signed_in.headers["vary"]
    personal = await client.get("/api/user", headers=blog["reader"])
    assert personal.headers["cache-control"] == "no-store"
    assert "etag" not in personal.headers
    assert "etag" not in (await client.get("/api/articles/nosuch")).headers
    bad = await client.get("/api/articles", headers=auth("not-a-token"))
    assert bad.status_code == 401
    assert "etag" not in bad.headers
