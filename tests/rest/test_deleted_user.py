"""A token whose account no longer exists is 401 ``token is invalid`` on every endpoint,
optional-auth ones included (the one way in looks the account up)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tests.helpers import create_article, error_fields, register

ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/user", None),
    ("PUT", "/api/user", {"user": {"bio": "still here?"}}),
    ("GET", "/api/profiles/bob", None),
    ("POST", "/api/profiles/bob/follow", None),
    ("DELETE", "/api/profiles/bob/follow", None),
    ("GET", "/api/articles", None),
    ("GET", "/api/articles/feed", None),
    ("POST", "/api/articles", {"article": {"title": "t", "description": "d", "body": "b"}}),
    ("GET", "/api/articles/{slug}", None),
    ("PUT", "/api/articles/{slug}", {"article": {"body": "mine now"}}),
    ("DELETE", "/api/articles/{slug}", None),
    ("POST", "/api/articles/{slug}/favorite", None),
    ("DELETE", "/api/articles/{slug}/favorite", None),
    ("GET", "/api/articles/{slug}/comments", None),
    ("POST", "/api/articles/{slug}/comments", {"comment": {"body": "hi"}}),
    ("DELETE", "/api/articles/{slug}/comments/1", None),
    ("GET", "/api/tags", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
async def test_a_deleted_users_token_is_refused_on_every_endpoint(
    app: FastAPI, client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    ann = await register(client, "ann")
    bob = await register(client, "bob")
    slug = (await create_article(client, bob, title="Bob's post"))["slug"]
    async with app.state.resources.database.engine.begin() as conn:
        await conn.execute(text("DELETE FROM app_user WHERE username = 'ann'"))
    response = await client.request(method, path.format(slug=slug), json=body, headers=ann)
    assert error_fields(response, 401) == {"token": ["is invalid"]}
    assert response.headers["www-authenticate"] == "Token"
    # Nothing was written on the vanished account's behalf.
    article = (await client.get(f"/api/articles/{slug}")).json()["article"]
    assert article["body"] == "The body"
