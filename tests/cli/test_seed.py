"""`quillpress seed`: the asked numbers, the same data for the same seed, never on top of
existing users, and data the API can serve."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select
from typer.testing import CliRunner

from quillpress import cli
from quillpress.app import create_app
from quillpress.db.models import AppUser, Article, Comment, Favorite, Follow
from quillpress.seeding import generate as demo_data
from quillpress.seeding import seed as seed_service
from tests.cli import db
from tests.cli.conftest import sqlite_url
from tests.conftest import make_settings


def _seed(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli.app, ["seed", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def shared_db(database_url: str, cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The session database (SQLite and PostgreSQL legs), emptied again afterwards."""
    assert db.count(database_url, "app_user") == 0, "the shared database should start empty"
    monkeypatch.setenv("QUILLPRESS_DATABASE_URL", database_url)
    try:
        yield database_url
    finally:
        db.delete_all(database_url)


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite returns naive


def test_seed_creates_the_asked_numbers_in_the_documented_shape(
    runner: CliRunner, shared_db: str
) -> None:
    output = _seed(runner, "--users", "12", "--articles", "60", "--seed", "7")
    assert "password123" in output
    counts = db.counts(shared_db)
    assert counts["app_user"] == 12
    assert counts["article"] == 60
    assert 3 * 60 <= counts["article_tag"] <= 7 * 60
    assert counts["favorite"] > 0
    assert counts["comment"] > 0
    assert counts["follow"] > 0

    slugs = db.slugs(shared_db)
    assert len(set(slugs)) == len(slugs)
    titles = [row.title for row in db.rows(shared_db, select(Article.title))]
    assert len(set(titles)) == len(titles)
    emails = [row.email for row in db.rows(shared_db, select(AppUser.email))]
    assert all(email.endswith("@example.com") for email in emails)
    hashes = {row.password_hash for row in db.rows(shared_db, select(AppUser.password_hash))}
    assert len(hashes) == 1  # hashed once, shared by every demo user

    now = datetime.now(UTC)
    for model in (AppUser, Article, Comment, Favorite, Follow):
        moments = [_as_utc(row[0]) for row in db.rows(shared_db, select(model.created_at))]
        assert moments, model
        assert max(moments) < now, model
    spread = [_as_utc(row[0]) for row in db.rows(shared_db, select(Article.created_at))]
    assert (max(spread) - min(spread)).days > 30  # spread over the past, not one instant


def test_same_seed_gives_the_same_data(
    runner: CliRunner, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = []
    for name, seed in (("one.db", "5"), ("two.db", "5"), ("three.db", "6")):
        url = sqlite_url(cli_env / name)
        monkeypatch.setenv("QUILLPRESS_DATABASE_URL", url)
        _seed(runner, "--users", "8", "--articles", "40", "--seed", seed)
        results.append((db.slugs(url), db.tag_lists(url)))
    assert results[0] == results[1]
    assert results[0][0] != results[2][0]
    assert len(results[0][1]) == 40


def test_generation_is_pure_and_deterministic() -> None:
    plan = demo_data.SeedPlan(users=5, articles=20, seed=3)
    assert demo_data.generate(plan) == demo_data.generate(plan)
    data = demo_data.generate(plan)
    assert all(article.created_at < demo_data.BASE_DATE for article in data.articles)
    assert [a.created_at for a in data.articles] == sorted(a.created_at for a in data.articles)
    assert all(follower != followed for follower, followed, _ in data.follows)


def test_seed_refuses_a_database_with_users(runner: CliRunner, db_url: str) -> None:
    _seed(runner, "--users", "3", "--articles", "5")
    before = db.counts(db_url)
    result = runner.invoke(cli.app, ["seed", "--users", "3", "--articles", "5"])
    assert result.exit_code == 1
    assert "already has users" in result.output
    assert db.counts(db_url) == before


def test_seeded_data_is_served_by_the_api(runner: CliRunner, db_url: str) -> None:
    _seed(runner, "--users", "6", "--articles", "25")
    # A plain test: the command runs its own event loop, so the API part gets another.
    asyncio.run(_read_through_api(db_url))


async def _read_through_api(db_url: str) -> None:
    app = create_app(make_settings(db_url))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client,
    ):
        page = (await client.get("/api/articles?limit=10")).json()
        assert page["articlesCount"] == 25
        assert len(page["articles"]) == 10
        first = page["articles"][0]
        assert 3 <= len(first["tagList"]) <= 7
        assert first["author"]["username"]
        created = [article["createdAt"] for article in page["articles"]]
        assert created == sorted(created, reverse=True)

        article = (await client.get(f"/api/articles/{first['slug']}")).json()["article"]
        assert article["body"]
        tags = (await client.get("/api/tags")).json()["tags"]
        assert tags

        email = f"{first['author']['username']}@example.com"
        login = await client.post(
            "/api/users/login",
            json={"user": {"email": email, "password": seed_service.DEMO_PASSWORD}},
        )
        assert login.status_code == 200, login.text
