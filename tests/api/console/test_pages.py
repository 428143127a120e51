"""The console's pages: what each shows, by the names a person reads, with everything a
client stored rendered as text; each page's title; the statements each costs."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from quillpress.config import Settings
from tests.conftest import make_settings
from tests.helpers import create_article, register, statement_count

TITLE = "— Quillpress admin</title>"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The uncached path: its statement counts are the ones pinned here."""
    return make_settings(database_url, cache="off")


async def test_the_overview_shows_counts_charts_and_their_tables(
    admin: httpx.AsyncClient,
) -> None:
    writer = await register(admin, "ann")
    await create_article(admin, writer, title="First")
    page = await admin.get("/admin")
    assert page.status_code == 200, page.text
    assert "<title>Overview — Quillpress admin</title>" in page.text
    assert page.text.count('role="img"') == 5
    assert page.text.count("<table>") == 5
    assert "<strong>2</strong> users" in page.text
    assert "<strong>1</strong> articles" in page.text
    assert statement_count(page) <= 5


async def test_markup_in_stored_values_is_rendered_as_text(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    """A username cannot hold markup (the API refuses it), so the row is written as a
    client could write an audit field: a user agent."""
    await admin.get("/api/user", headers={"User-Agent": "<script>alert(1)</script>"})
    engine = app.state.resources.database.engine
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE app_user SET bio = :bio WHERE username = 'root'"),
            {"bio": '<img src=x onerror="alert(2)">'},
        )
    await register(admin, "mallory")
    await admin.post(
        "/api/users/login",
        json={"user": {"email": "mallory@example.com", "password": "wrong but logged"}},
        headers={"User-Agent": "<script>alert(3)</script>"},
    )
    audit = await admin.get("/admin/audit")
    assert "<script>alert" not in audit.text
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in audit.text
    user = await admin.get("/admin/users/root")
    assert "<img src=x" not in user.text
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in user.text
    writer = await register(admin, "writer")
    article = await create_article(admin, writer, title="<b>Bold</b> & <i>loud</i>")
    for path in ("/admin/articles", f"/admin/articles/{article['slug']}/delete"):
        page = await admin.get(path)
        assert "<b>Bold</b>" not in page.text, path
        assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;i&gt;loud&lt;/i&gt;" in page.text, path


PAGES = (
    "/admin",
    "/admin/users",
    "/admin/users?q=ann&role=user&banned=no",
    "/admin/users/ann",
    "/admin/articles",
    "/admin/articles?author=ann&tag=t1",
    "/admin/articles?q=post",
    "/admin/articles/post-1/delete",
    "/admin/comments",
    "/admin/comments?article=post-1&author=bob",
    "/admin/comments/1/delete",
    "/admin/audit",
    "/admin/audit?actor=root&target=ann&action=admin.ban&from=2020-01-01&until=2100-01-01",
    "/admin/audit.jsonl",
)


async def test_every_page_costs_at_most_five_statements_whatever_it_lists(
    admin: httpx.AsyncClient,
) -> None:
    ann = await register(admin, "ann")
    bob = await register(admin, "bob")
    for index in range(30):
        article = await create_article(admin, ann, title=f"Post {index}", tagList=[f"t{index % 3}"])
        await admin.post(
            f"/api/articles/{article['slug']}/comments",
            json={"comment": {"body": f"comment {index}"}},
            headers=bob,
        )
    for name in ("ann", "bob"):
        await admin.post(
            "/api/users/login", json={"user": {"email": f"{name}@example.com", "password": "x"}}
        )
    counts = {}
    for path in PAGES:
        response = await admin.get(path)
        assert response.status_code == 200, (path, response.text)
        counts[path] = statement_count(response)
    assert max(counts.values()) <= 5, counts


async def test_every_page_title_ends_with_the_console_s_name(admin: httpx.AsyncClient) -> None:
    ann = await register(admin, "ann")
    await create_article(admin, ann, title="Post 1")
    for path in PAGES:
        if path.endswith(".jsonl") or path.startswith("/admin/comments/"):
            continue
        response = await admin.get(path)
        assert TITLE in response.text, path
