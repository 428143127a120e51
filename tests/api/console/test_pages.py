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
