"""The console with the cache on, in process and in Redis: an article deleted from the
console is gone from the public API's cached list at once (the delete's events purge
it), a banned user's cached session is refused at their next request, and the pages stay
within their statements."""

from __future__ import annotations

import httpx
import pytest

from quillpress.config import Settings
from tests.api.console.conftest import post_form
from tests.conftest import make_settings
from tests.helpers import create_article, register, statement_count


@pytest.fixture(params=["memory", "redis"])
def settings(request: pytest.FixtureRequest, database_url: str) -> Settings:
    if request.param == "memory":
        return make_settings(database_url, cache="memory")
    return make_settings(
        database_url,
        cache="redis",
        redis_url=request.getfixturevalue("redis_server"),
        redis_prefix=request.getfixturevalue("redis_prefix"),
        redis_timeout_ms=1000,
    )


async def test_console_actions_reach_the_cached_api_at_once(
    admin: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    ann = await register(admin, "ann")
    article = await create_article(admin, ann, title="Cached for now")
    async with browser:
        for _ in range(2):  # the second read is answered from the cache
            listed = await browser.get("/api/articles")
            assert listed.json()["articlesCount"] == 1
        assert (await browser.get("/api/user", headers=ann)).status_code == 200
        slug = article["slug"]
        page = f"/admin/articles/{slug}/delete"
        deleted = await post_form(admin, page, page, reason="spam")
        assert deleted.status_code == 303
        assert (await browser.get("/api/articles")).json()["articlesCount"] == 0
        banned = await post_form(admin, "/admin/users/ann", "/admin/users/ann", action="ban")
        assert banned.status_code == 303
        assert (await browser.get("/api/user", headers=ann)).status_code == 401
    for path in ("/admin", "/admin/users", "/admin/users/ann", "/admin/articles", "/admin/audit"):
        response = await admin.get(path)
        assert response.status_code == 200, path
        assert statement_count(response) <= 5, path
