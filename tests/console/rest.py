"""The REST API of the live server, as a client program uses it: content for the console to
moderate, and the checks that a console action took effect for everyone else at once."""

from __future__ import annotations

import httpx

from tests.console.backstage import Account, unique


def publish(api: httpx.Client, author: Account, title: str | None = None) -> str:
    """A new article by ``author``; its slug."""
    article = {
        "title": title or unique("Article "),
        "description": "Something to moderate",
        "body": "Body text.",
        "tagList": ["moderation"],
    }
    response = api.post("/api/articles", json={"article": article}, headers=author.authorization)
    assert response.status_code == 201, response.text
    slug: str = response.json()["article"]["slug"]
    return slug


def comment(api: httpx.Client, author: Account, slug: str, body: str) -> int:
    response = api.post(
        f"/api/articles/{slug}/comments",
        json={"comment": {"body": body}},
        headers=author.authorization,
    )
    assert response.status_code in (200, 201), response.text
    identifier: int = response.json()["comment"]["id"]
    return identifier


def listed_slugs(api: httpx.Client) -> set[str]:
    """The slugs of ``GET /api/articles``' first page (newest first: a test's own article
    is on it)."""
    response = api.get("/api/articles", params={"limit": 100})
    assert response.status_code == 200, response.text
    return {article["slug"] for article in response.json()["articles"]}


def log_in(api: httpx.Client, account: Account, *, user_agent: str) -> str:
    """Another session of ``account``, from another device; its token."""
    response = api.post(
        "/api/users/login",
        json={"user": {"email": account.email, "password": account.password}},
        headers={"User-Agent": user_agent},
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["user"]["token"]
    return token


def current_user(api: httpx.Client, token: str) -> httpx.Response:
    return api.get("/api/user", headers={"Authorization": f"Token {token}"})


def admin_user(api: httpx.Client, admin: Account, username: str) -> dict[str, object]:
    """One user as the admin API lists them (role, ban)."""
    response = api.get(
        "/api/admin/users", params={"query": username, "limit": 100}, headers=admin.authorization
    )
    assert response.status_code == 200, response.text
    (found,) = [user for user in response.json()["users"] if user["username"] == username]
    return dict(found)


def make_sole_admin(api: httpx.Client, admin: Account) -> None:
    """Demote every other unbanned admin (earlier tests' own), through the admin API, so
    that ``admin`` is the last one."""
    response = api.get(
        "/api/admin/users", params={"query": "admin", "limit": 100}, headers=admin.authorization
    )
    assert response.status_code == 200, response.text
    others = [
        user["username"]
        for user in response.json()["users"]
        if user["role"] == "admin" and not user["banned"] and user["username"] != admin.username
    ]
    for username in others:
        demoted = api.put(
            f"/api/admin/users/{username}",
            json={"user": {"role": "user"}},
            headers=admin.authorization,
        )
        assert demoted.status_code == 200, demoted.text
