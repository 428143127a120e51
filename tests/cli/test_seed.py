"""`quillpress seed` and `serve --demo`: the asked numbers and tag pool, the same data for
the same seed, never on top of existing users, avatar URLs under the public address, and
data the API (avatars included) can serve."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from sqlalchemy import select
from typer.testing import CliRunner

from quillpress import cli
from quillpress.app import create_app
from quillpress.db.models import AppUser, Article, Comment, Favorite, Follow
from quillpress.seeding import seed as seed_service
from quillpress.seeding.plan import DEFAULT_TAGS, LOCAL_URL, MAX_TAGS
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


def _images(url: str) -> dict[str, str | None]:
    return {
        row.username: row.image for row in db.rows(url, select(AppUser.username, AppUser.image))
    }


def test_the_tag_pool_is_small_by_default_and_sized_by_tags(
    runner: CliRunner, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, extra, expected in (
        ("default.db", [], DEFAULT_TAGS),
        ("small.db", ["--tags", "9"], 9),
    ):
        url = sqlite_url(cli_env / name)
        monkeypatch.setenv("QUILLPRESS_DATABASE_URL", url)
        output = _seed(runner, "--users", "10", "--articles", "200", *extra)
        assert db.count(url, "tag") == expected
        assert f"{expected} tags" in output


@pytest.mark.parametrize("tags", ["0", str(MAX_TAGS + 1)])
def test_a_tag_pool_out_of_range_is_refused(runner: CliRunner, db_url: str, tags: str) -> None:
    result = runner.invoke(cli.app, ["seed", "--tags", tags])
    assert result.exit_code == 2
    assert "--tags" in result.output


def test_avatar_urls_use_the_local_serve_address_unless_a_public_url_is_set(
    runner: CliRunner, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUILLPRESS_PUBLIC_URL", raising=False)
    local = sqlite_url(cli_env / "local.db")
    monkeypatch.setenv("QUILLPRESS_DATABASE_URL", local)
    _seed(runner, "--users", "10", "--articles", "5")

    public = sqlite_url(cli_env / "public.db")
    monkeypatch.setenv("QUILLPRESS_DATABASE_URL", public)
    monkeypatch.setenv("QUILLPRESS_PUBLIC_URL", "https://blog.example.com")
    _seed(runner, "--users", "10", "--articles", "5")

    for url, base in ((local, LOCAL_URL), (public, "https://blog.example.com")):
        images = _images(url)
        assert sum(image is not None for image in images.values()) >= 6
        for username, image in images.items():
            assert image in (None, f"{base}/avatars/{username}.svg")


def test_serve_demo_points_avatars_at_the_address_it_serves(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    result = runner.invoke(cli.app, ["serve", "--demo", "--host", "127.0.0.2", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert calls
    images = [image for image in _images(db_url).values() if image]
    assert images
    assert all(image.startswith("http://127.0.0.2:8123/avatars/") for image in images)


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
        LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
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
        user = login.json()["user"]
        author = (await client.get(f"/api/profiles/{user['username']}")).json()["profile"]
        assert author["image"] == user["image"]

        images = [
            article["author"]["image"] for article in page["articles"] if article["author"]["image"]
        ]
        assert images
        avatar = await client.get(httpx.URL(images[0]).path)
        assert avatar.status_code == 200
        assert avatar.headers["content-type"] == "image/svg+xml"

        registered = await client.post(
            "/api/users",
            json={
                "user": {
                    "username": "newcomer",
                    "email": "new@example.org",
                    "password": "pw-12345678",
                }
            },
        )
        assert registered.status_code == 201, registered.text
        assert registered.json()["user"]["image"] is None
        assert registered.json()["user"]["bio"] is None
