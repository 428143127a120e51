"""``GET /profiles/{username}`` and ``POST``/``DELETE /profiles/{username}/follow``."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi import FastAPI

from quillpress.infra.tokens import TokenCodec
from tests.helpers import auth, register

MISSING = {"errors": {"token": ["is missing"]}}
INVALID_TOKEN = {"errors": {"token": ["is invalid"]}}
NOT_FOUND = {"errors": {"profile": ["not found"]}}


def profile_of(response: httpx.Response) -> dict[str, object]:
    assert response.status_code == 200, response.text
    profile: dict[str, object] = response.json()["profile"]
    return profile


async def follow(
    client: httpx.AsyncClient, username: str, headers: dict[str, str]
) -> httpx.Response:
    return await client.post(f"/api/profiles/{username}/follow", headers=headers)


async def unfollow(
    client: httpx.AsyncClient, username: str, headers: dict[str, str]
) -> httpx.Response:
    return await client.delete(f"/api/profiles/{username}/follow", headers=headers)


# --- reading ------------------------------------------------------------------------------


async def test_anonymous_profile_has_the_realworld_shape(client: httpx.AsyncClient) -> None:
    await register(client, "ann")
    response = await client.get("/api/profiles/ann")
    assert response.status_code == 200
    assert response.json() == {
        "profile": {"username": "ann", "bio": None, "image": None, "following": False}
    }


async def test_profile_shows_bio_and_image_and_never_the_email(
    client: httpx.AsyncClient,
) -> None:
    headers = await register(client, "ann")
    await client.put(
        "/api/user",
        json={"user": {"bio": "Writes things", "image": "https://img.example/a.png"}},
        headers=headers,
    )
    response = await client.get("/api/profiles/ann")
    assert profile_of(response) == {
        "username": "ann",
        "bio": "Writes things",
        "image": "https://img.example/a.png",
        "following": False,
    }
    assert "example.com" not in response.text
    assert "token" not in response.text


async def test_authenticated_profile_of_someone_not_followed_is_following_false(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "ann")
    bob = await register(client, "bob")
    assert profile_of(await client.get("/api/profiles/ann", headers=bob))["following"] is False


async def test_own_profile_is_not_following(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    assert profile_of(await client.get("/api/profiles/ann", headers=ann))["following"] is False


async def test_unknown_profile_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/profiles/nobody")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


async def test_unknown_profile_is_404_for_an_authenticated_viewer_too(
    client: httpx.AsyncClient,
) -> None:
    bob = await register(client, "bob")
    response = await client.get("/api/profiles/nobody", headers=bob)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


# --- following ----------------------------------------------------------------------------


async def test_follow_returns_the_profile_with_following_true(client: httpx.AsyncClient) -> None:
    await register(client, "ann")
    bob = await register(client, "bob")
    response = await follow(client, "ann", bob)
    assert response.status_code == 200
    assert response.json() == {
        "profile": {"username": "ann", "bio": None, "image": None, "following": True}
    }


async def test_following_shows_only_to_the_follower(client: httpx.AsyncClient) -> None:
    await register(client, "ann")
    bob = await register(client, "bob")
    cyd = await register(client, "cyd")
    await follow(client, "ann", bob)
    assert profile_of(await client.get("/api/profiles/ann", headers=bob))["following"] is True
    assert profile_of(await client.get("/api/profiles/ann", headers=cyd))["following"] is False
    assert profile_of(await client.get("/api/profiles/ann"))["following"] is False


async def test_follow_is_idempotent(client: httpx.AsyncClient) -> None:
    await register(client, "ann")
    bob = await register(client, "bob")
    first = await follow(client, "ann", bob)
    second = await follow(client, "ann", bob)
    assert second.status_code == 200
    assert first.json() == second.json()
    assert profile_of(second)["following"] is True
    # One follow, not two: a single unfollow undoes it.
    await unfollow(client, "ann", bob)
    assert profile_of(await client.get("/api/profiles/ann", headers=bob))["following"] is False


async def test_unfollow_returns_the_profile_with_following_false(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "ann")
    bob = await register(client, "bob")
    await follow(client, "ann", bob)
    response = await unfollow(client, "ann", bob)
    assert profile_of(response) == {
        "username": "ann",
        "bio": None,
        "image": None,
        "following": False,
    }
    assert profile_of(await client.get("/api/profiles/ann", headers=bob))["following"] is False


async def test_unfollow_is_idempotent(client: httpx.AsyncClient) -> None:
    await register(client, "ann")
    bob = await register(client, "bob")
    never = await unfollow(client, "ann", bob)
    assert profile_of(never)["following"] is False
    await follow(client, "ann", bob)
    await unfollow(client, "ann", bob)
    again = await unfollow(client, "ann", bob)
    assert profile_of(again)["following"] is False


async def test_unfollow_removes_only_your_own_follow(client: httpx.AsyncClient) -> None:
    await register(client, "ann")
    bob = await register(client, "bob")
    cyd = await register(client, "cyd")
    await follow(client, "ann", bob)
    await follow(client, "ann", cyd)
    await unfollow(client, "ann", bob)
    assert profile_of(await client.get("/api/profiles/ann", headers=cyd))["following"] is True


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_follow_and_unfollow_without_a_token_are_401(
    client: httpx.AsyncClient, method: str
) -> None:
    await register(client, "ann")
    response = await client.request(method, "/api/profiles/ann/follow")
    assert response.status_code == 401
    assert response.json() == MISSING


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_follow_and_unfollow_with_an_invalid_token_are_401(
    client: httpx.AsyncClient, method: str
) -> None:
    await register(client, "ann")
    response = await client.request(method, "/api/profiles/ann/follow", headers=auth("nope"))
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


@pytest.mark.parametrize("method", ["POST", "DELETE"])
async def test_follow_and_unfollow_an_unknown_user_are_404(
    client: httpx.AsyncClient, method: str
) -> None:
    bob = await register(client, "bob")
    response = await client.request(method, "/api/profiles/nobody/follow", headers=bob)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("name", ["ann", "ANN"])
async def test_following_yourself_is_422(client: httpx.AsyncClient, name: str) -> None:
    ann = await register(client, "ann")
    response = await follow(client, name, ann)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert list(errors) == ["profile"]
    assert errors["profile"]
    assert profile_of(await client.get("/api/profiles/ann", headers=ann))["following"] is False


async def test_follows_show_up_in_the_feed(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    await client.post(
        "/api/articles",
        json={"article": {"title": "Hello", "description": "d", "body": "b"}},
        headers=ann,
    )
    before = await client.get("/api/articles/feed", headers=bob)
    assert before.json()["articlesCount"] == 0
    await follow(client, "ann", bob)
    after = await client.get("/api/articles/feed", headers=bob)
    assert after.json()["articlesCount"] == 1
    assert after.json()["articles"][0]["author"]["following"] is True


# --- optional authentication --------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["Token garbage", "Bearer a.b.c", "Basic dXNlcjpwYXNz", "Token", "not-a-scheme-at-all"],
)
async def test_invalid_token_on_an_optional_auth_endpoint_is_401_not_anonymous(
    client: httpx.AsyncClient, header: str
) -> None:
    await register(client, "ann")
    response = await client.get("/api/profiles/ann", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


async def test_expired_token_on_an_optional_auth_endpoint_is_401(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await register(client, "ann")
    settings = app.state.resources.settings
    codec = TokenCodec(
        secret=settings.secret_key.get_secret_value(),
        lifetime_seconds=settings.token_lifetime_seconds,
    )
    expired = codec.issue(
        user_id=1, role="user", now=time.time() - settings.token_lifetime_seconds - 60
    )
    response = await client.get("/api/profiles/ann", headers=auth(expired))
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


async def test_invalid_token_is_401_even_for_an_unknown_profile(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/profiles/nobody", headers=auth("garbage"))
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


async def test_empty_authorization_header_on_an_optional_auth_endpoint_is_anonymous(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "ann")
    response = await client.get("/api/profiles/ann", headers={"Authorization": ""})
    assert profile_of(response)["following"] is False


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
async def test_optional_auth_endpoint_accepts_both_schemes(
    client: httpx.AsyncClient, scheme: str
) -> None:
    await register(client, "ann")
    bob = await register(client, "bob")
    await follow(client, "ann", bob)
    token = bob["Authorization"].split(" ", 1)[1]
    response = await client.get("/api/profiles/ann", headers=auth(token, scheme))
    assert profile_of(response)["following"] is True
