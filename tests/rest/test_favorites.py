"""``/api/articles/{slug}/favorite``: idempotent favoriting and per-viewer flags."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import create_article, error_fields, register

NOT_FOUND = {"article": ["not found"]}


@pytest.fixture
async def people(client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    """ann wrote "liked"; bob and cyd are readers."""
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    cyd = await register(client, "cyd")
    await create_article(client, ann, title="Liked", body="the body")
    return {"ann": ann, "bob": bob, "cyd": cyd}


async def test_favorite_returns_the_article_favorited_with_its_count(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    response = await client.post("/api/articles/liked/favorite", headers=people["bob"])
    assert response.status_code == 200, response.text
    article = response.json()["article"]
    assert article["slug"] == "liked"
    assert article["favorited"] is True
    assert article["favoritesCount"] == 1
    assert article["body"] == "the body"
    assert article["author"]["username"] == "ann"


async def test_favoriting_twice_is_idempotent(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    first = await client.post("/api/articles/liked/favorite", headers=people["bob"])
    second = await client.post("/api/articles/liked/favorite", headers=people["bob"])
    assert second.status_code == 200, second.text
    assert second.json()["article"]["favorited"] is True
    assert second.json()["article"]["favoritesCount"] == 1
    assert second.json()["article"] == first.json()["article"]
    listed = (await client.get("/api/articles?favorited=bob")).json()
    assert listed["articlesCount"] == 1


async def test_favorited_flag_is_per_viewer_in_single_and_list_views(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    await client.post("/api/articles/liked/favorite", headers=people["bob"])
    expectations = {"bob": True, "cyd": False, "ann": False}
    for name, favorited in expectations.items():
        single = (await client.get("/api/articles/liked", headers=people[name])).json()
        assert single["article"]["favorited"] is favorited, name
        assert single["article"]["favoritesCount"] == 1
        listed = (await client.get("/api/articles", headers=people[name])).json()
        assert listed["articles"][0]["favorited"] is favorited, name
        assert listed["articles"][0]["favoritesCount"] == 1
    anonymous = (await client.get("/api/articles")).json()["articles"][0]
    assert anonymous["favorited"] is False


async def test_unfavorite_removes_the_viewers_favorite_only(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    await client.post("/api/articles/liked/favorite", headers=people["bob"])
    await client.post("/api/articles/liked/favorite", headers=people["cyd"])
    response = await client.delete("/api/articles/liked/favorite", headers=people["bob"])
    assert response.status_code == 200, response.text
    article = response.json()["article"]
    assert article["favorited"] is False
    assert article["favoritesCount"] == 1
    assert article["body"] == "the body"
    as_cyd = (await client.get("/api/articles/liked", headers=people["cyd"])).json()["article"]
    assert as_cyd["favorited"] is True
    assert (await client.get("/api/articles?favorited=bob")).json()["articlesCount"] == 0
    assert (await client.get("/api/articles?favorited=cyd")).json()["articlesCount"] == 1


async def test_unfavoriting_what_was_never_favorited_is_a_no_op(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    await client.post("/api/articles/liked/favorite", headers=people["cyd"])
    for _ in range(2):
        response = await client.delete("/api/articles/liked/favorite", headers=people["bob"])
        assert response.status_code == 200, response.text
        assert response.json()["article"]["favorited"] is False
        assert response.json()["article"]["favoritesCount"] == 1


async def test_favorite_again_after_unfavorite(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    await client.post("/api/articles/liked/favorite", headers=people["bob"])
    await client.delete("/api/articles/liked/favorite", headers=people["bob"])
    response = await client.post("/api/articles/liked/favorite", headers=people["bob"])
    assert response.json()["article"]["favorited"] is True
    assert response.json()["article"]["favoritesCount"] == 1


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_favorite_endpoints_require_a_token(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], method: str
) -> None:
    response = await client.request(method, "/api/articles/liked/favorite")
    assert error_fields(response, 401) == {"token": ["is missing"]}
    assert (await client.get("/api/articles/liked")).json()["article"]["favoritesCount"] == 0


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_favorite_endpoints_reject_an_invalid_token(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], method: str
) -> None:
    response = await client.request(
        method, "/api/articles/liked/favorite", headers={"Authorization": "Token nonsense"}
    )
    assert error_fields(response, 401) == {"token": ["is invalid"]}


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_favorite_endpoints_on_an_unknown_article_are_404(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]], method: str
) -> None:
    response = await client.request(method, "/api/articles/no-such/favorite", headers=people["bob"])
    assert error_fields(response, 404) == NOT_FOUND


async def test_favorites_follow_a_slug_change(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    await client.post("/api/articles/liked/favorite", headers=people["bob"])
    await client.put(
        "/api/articles/liked", json={"article": {"title": "Renamed"}}, headers=people["ann"]
    )
    error_fields(await client.post("/api/articles/liked/favorite", headers=people["cyd"]), 404)
    response = await client.delete("/api/articles/renamed/favorite", headers=people["bob"])
    assert response.json()["article"]["favoritesCount"] == 0
