"""Small, explicit helpers for driving the API in tests."""

from __future__ import annotations

import re
from typing import Any

import httpx

PASSWORD = "correct-horse-battery"


def auth(token: str, scheme: str = "Token") -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}"}


async def register(
    client: httpx.AsyncClient, username: str, *, password: str = PASSWORD
) -> dict[str, str]:
    """Register ``username`` and return its auth headers."""
    response = await client.post(
        "/api/users",
        json={
            "user": {"username": username, "email": f"{username}@example.com", "password": password}
        },
    )
    assert response.status_code == 201, response.text
    return auth(response.json()["user"]["token"])


async def create_article(
    client: httpx.AsyncClient, headers: dict[str, str], title: str = "A title", **fields: Any
) -> dict[str, Any]:
    article = {"title": title, "description": "About it", "body": "The body", **fields}
    response = await client.post("/api/articles", json={"article": article}, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()["article"]
    return result


def statement_count(response: httpx.Response) -> int:
    """SQL statements the request issued, from its ``Server-Timing`` header."""
    match = re.search(r'desc="(\d+) statements"', response.headers["server-timing"])
    assert match, response.headers.get("server-timing")
    return int(match.group(1))
