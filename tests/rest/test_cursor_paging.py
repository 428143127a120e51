"""Keyset paging on the REST lists: an optional opaque ``cursor``, the next page announced
in ``Link: <…>; rel="next"`` (RFC 8288), offset paging unchanged."""

from __future__ import annotations

import re

import httpx
import pytest

from quillpress.api.rest import links
from tests.helpers import create_article, error_fields, register

LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


@pytest.fixture
async def blog(client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    """23 articles (every third tagged ``odd``) by ann, followed by reader."""
    ann = await register(client, "ann")
    reader = await register(client, "reader")
    await client.post("/api/profiles/ann/follow", headers=reader)
    for index in range(23):
        await create_article(
            client, ann, title=f"Post {index}", tagList=["odd"] if index % 3 == 0 else []
        )
    return {"ann": ann, "reader": reader}


def _next_url(response: httpx.Response) -> str | None:
    link = response.headers.get("link")
    if link is None:
        return None
    match = LINK.match(link)
    assert match, link
    return match.group("url")


async def _walk(
    client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None
) -> tuple[list[str], list[httpx.Response]]:
    slugs: list[str] = []
    responses: list[httpx.Response] = []
    next_url: str | None = url
    while next_url is not None:
        response = await client.get(next_url, headers=headers)
        assert response.status_code == 200, response.text
        responses.append(response)
        slugs.extend(article["slug"] for article in response.json()["articles"])
        next_url = _next_url(response)
    return slugs, responses


@pytest.mark.parametrize(
    ("path", "viewer"),
    [
        ("/api/articles", None),
        ("/api/articles?tag=odd", None),
        ("/api/articles?author=ann", None),
        ("/api/articles/feed", "reader"),
    ],
)
async def test_following_the_links_walks_every_article_once_in_offset_order(
    client: httpx.AsyncClient, blog: dict[str, dict[str, str]], path: str, viewer: str | None
) -> None:
    headers = blog[viewer] if viewer else None
    separator = "&" if "?" in path else "?"
    everything = (await client.get(f"{path}{separator}limit=100", headers=headers)).json()
    slugs, responses = await _walk(client, f"{path}{separator}limit=5", headers)

    assert slugs == [article["slug"] for article in everything["articles"]]
    assert len(set(slugs)) == len(slugs) == everything["articlesCount"]
    # Every page, cursor or not, reports the total of all matches.
    assert {r.json()["articlesCount"] for r in responses} == {everything["articlesCount"]}
    assert "link" not in responses[-1].headers  # the last page announces nothing


async def test_the_link_keeps_the_request_and_replaces_only_the_position(
    client: httpx.AsyncClient, blog: dict[str, dict[str, str]]
) -> None:
    response = await client.get("/api/articles?tag=odd&limit=3&offset=3&unknown=kept")
    url = httpx.URL(_next_url(response) or "")
    assert str(url).startswith("http://testserver/api/articles?")
    assert url.params.get("tag") == "odd"
    assert url.params.get("unknown") == "kept"
    assert url.params.get("limit") == "3"
    assert "offset" not in url.params
    # The cursor continues where this offset page ended.
    following = (await client.get(str(url))).json()["articles"]
    by_offset = (await client.get("/api/articles?tag=odd&limit=3&offset=6")).json()["articles"]
    assert following == by_offset


async def test_a_page_that_is_the_last_has_no_link(
    client: httpx.AsyncClient, blog: dict[str, dict[str, str]]
) -> None:
    last = await client.get("/api/articles?limit=23")
    assert "link" not in last.headers
    assert "host" not in last.headers["vary"].lower()  # no link, nothing from the Host
    assert "link" in (await client.get("/api/articles?limit=22")).headers
    assert "link" not in (await client.get("/api/articles?tag=nosuch")).headers


async def test_a_cursor_with_an_offset_is_a_422(
    client: httpx.AsyncClient, blog: dict[str, dict[str, str]]
) -> None:
    first = await client.get("/api/articles?limit=2")
    cursor = httpx.URL(_next_url(first) or "").params["cursor"]
    for offset in ("0", "4"):
        response = await client.get("/api/articles", params={"cursor": cursor, "offset": offset})
        assert error_fields(response, 422) == {"cursor": ["cannot be combined with offset"]}


@pytest.mark.parametrize("cursor", ["nonsense", "", "bm90IGEgZGF0ZXw1", "x" * 300])
async def test_an_invalid_cursor_is_a_422_keyed_cursor(
    client: httpx.AsyncClient, cursor: str
) -> None:
    response = await client.get("/api/articles", params={"cursor": cursor})
    assert list(error_fields(response, 422)) == ["cursor"]


async def test_rest_and_graphql_share_their_cursors(
    client: httpx.AsyncClient, blog: dict[str, dict[str, str]]
) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ articles(first: 4) { pageInfo { endCursor } } }"}
    )
    end_cursor = response.json()["data"]["articles"]["pageInfo"]["endCursor"]
    rest = await client.get("/api/articles", params={"cursor": end_cursor, "limit": 4})
    by_offset = await client.get("/api/articles?limit=4&offset=4")
    assert rest.json() == by_offset.json()


async def test_browsers_may_read_the_link_header(
    client: httpx.AsyncClient, blog: dict[str, dict[str, str]]
) -> None:
    response = await client.get(
        "/api/articles?limit=2", headers={"Origin": "http://localhost:3000"}
    )
    assert "link" in response.headers
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "link" in {name.strip() for name in exposed.split(",")}


def test_the_public_url_replaces_scheme_host_and_mount_prefix() -> None:
    """Under ``QUILLPRESS_PUBLIC_URL`` (which carries any prefix the app is reached
    under) the request's path within the app and its query are kept; without it, the
    request's own scheme, ``Host`` and root path."""
    scope = {
        "type": "http",
        "scheme": "http",
        "path": "/quill/api/articles",
        "root_path": "/quill",
        "query_string": b"tag=a&limit=2",
        "headers": [(b"host", b"evil.example")],
    }
    public = links.page_url(scope, "https://blog.example/quill")
    assert str(public) == "https://blog.example/quill/api/articles?tag=a&limit=2"
    assert (
        str(links.page_url(scope, None)) == "http://evil.example/quill/api/articles?tag=a&limit=2"
    )
