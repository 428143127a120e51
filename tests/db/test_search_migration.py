"""Migration 0008 on a database that already holds articles: the index is backfilled (every
weighted field), kept in step by its triggers, removed whole by the downgrade without
losing a row, and built again by the next upgrade. On PostgreSQL without ``pg_trgm``,
search works and suggestions are off, said once in the log."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from quillpress.config import ConfigurationError
from quillpress.db import migrate, search_language
from quillpress.db.database import Database
from quillpress.domain.clients import ClientInfo
from quillpress.domain.commands import ArticleFilter, Page
from quillpress.domain.search import parse
from quillpress.infra.limits import Limiter
from quillpress.repositories import search as search_repo
from quillpress.repositories.listings import Criteria
from quillpress.services import search as search_service
from tests.db.migrated import database_at

ROWS = [
    "INSERT INTO app_user (id, username, email, email_normalized, password_hash, role, "
    "created_at, updated_at) VALUES "
    "(1, 'ann', 'ann@x.org', 'ann@x.org', 'h', 'user', '2026-01-01', '2026-01-01'), "
    "(2, 'quentin', 'q@x.org', 'q@x.org', 'h', 'user', '2026-01-01', '2026-01-01')",
    "INSERT INTO tag (id, name) VALUES (1, 'gardening'), (2, 'travel')",
    "INSERT INTO article (id, slug, title, description, body, author_id, created_at, updated_at) "
    "VALUES (1, 's1', 'Zanzibar spices', 'A trip', 'Cloves everywhere.', 1, "
    "'2026-01-02', '2026-01-02'), "
    "(2, 's2', 'Tomatoes', 'Growing them', 'Sun and water.', 2, '2026-01-03', '2026-01-03')",
    "INSERT INTO article_tag (article_id, tag_id, position, article_created_at) "
    "VALUES (1, 2, 0, '2026-01-02'), (2, 1, 0, '2026-01-03')",
]
TABLES = ("app_user", "tag", "article", "article_tag")
SEARCH_TABLES = {"article_search", "search_word", "search_config", "article_fts"}


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A database of its own (it is migrated down and up), at revision 0007, with rows."""
    async with database_at(request.param, tmp_path, "0007") as created:
        async with created.begin() as conn:
            for statement in ROWS:
                await conn.execute(text(statement))
        yield created


async def _ids(engine: AsyncEngine, typed: str) -> list[int]:
    async with engine.connect() as conn:
        found = await search_repo.search_page(
            conn, parse(typed), Criteria(), viewer_id=None, limit=10, offset=0
        )
    return [row.id for row in found.rows]


async def _counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            table: (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608
            for table in TABLES
        }


async def _search_tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    return names & SEARCH_TABLES


async def test_upgrade_backfills_the_index_and_downgrade_removes_it_keeping_every_row(
    engine: AsyncEngine,
) -> None:
    await migrate.upgrade(engine)
    assert await _ids(engine, "zanzibar") == [1]  # title
    assert await _ids(engine, "spice") == [1]  # stemmed
    assert await _ids(engine, "gardening") == [2]  # a tag
    assert await _ids(engine, "quentin") == [2]  # the author's name
    assert await _ids(engine, "water") == [2]  # the body
    async with engine.begin() as conn:  # the triggers keep it in step from here
        await conn.execute(text("UPDATE app_user SET username = 'quinn' WHERE id = 2"))
        await conn.execute(text("DELETE FROM article_tag WHERE article_id = 1"))
        await conn.execute(text("UPDATE article SET body = 'Nutmeg too.' WHERE id = 1"))
    assert await _ids(engine, "quinn") == [2]
    assert await _ids(engine, "quentin") == []
    assert await _ids(engine, "travel") == []
    assert await _ids(engine, "nutmeg") == [1]

    before = await _counts(engine)
    await migrate.downgrade(engine, "0007")
    assert await migrate.current_revision(engine) == "0007"
    assert await _search_tables(engine) == set()
    assert await _counts(engine) == before  # nothing cascaded away
    async with engine.begin() as conn:  # no trigger is left behind to fail a write
        await conn.execute(
            text(
                "INSERT INTO article (id, slug, title, description, body, author_id, "
                "created_at, updated_at) VALUES (3, 's3', 'Quokka', 'd', 'b', 1, "
                "'2026-01-04', '2026-01-04')"
            )
        )
        await conn.execute(text("UPDATE app_user SET username = 'ann2' WHERE id = 1"))
        await conn.execute(text("DELETE FROM article WHERE id = 2"))

    await migrate.upgrade(engine)
    assert await _ids(engine, "quokka") == [3]
    assert sorted(await _ids(engine, "ann2")) == [1, 3]
    assert await _ids(engine, "tomatoes") == []


async def test_without_pg_trgm_search_works_and_suggestions_are_off_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with database_at("postgres", tmp_path, "head") as engine:
        async with engine.begin() as conn:
            for statement in ROWS:
                await conn.execute(text(statement))
            await conn.execute(text("DROP EXTENSION pg_trgm CASCADE"))
        db = Database(engine)
        page = Page(limit=5)
        with caplog.at_level(logging.INFO, logger="quillpress.search"):
            for typed in ("zanzbar", "tomatez"):
                found = await search_service.search_articles(
                    db,
                    None,
                    typed,
                    ArticleFilter(),
                    page,
                    client=ClientInfo(),
                    limiter=Limiter.disabled(),
                )
                assert found.page.items == []
                assert found.suggestion is None
        found = await search_service.search_articles(
            db,
            None,
            "tomatoes",
            ArticleFilter(),
            page,
            client=ClientInfo(),
            limiter=Limiter.disabled(),
        )
        assert [hit.article.id for hit in found.page.items] == [2]
        off = [r for r in caplog.records if "suggestions are off" in r.getMessage()]
        assert len(off) == 1


async def test_another_search_language_rebuilds_the_index_in_it_once(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE article SET title = 'Running shoes' WHERE id = 1"))
    assert await _ids(engine, "run") == [1]  # english stems
    assert await search_language.apply(engine, "simple")
    assert await _ids(engine, "run") == []
    assert await _ids(engine, "running") == [1]
    assert await _ids(engine, "gardening") == [2]  # tags and the rest, all rebuilt
    assert not await search_language.apply(engine, "simple")  # the same: nothing to do
    assert await search_language.apply(engine, "english")
    assert await _ids(engine, "run") == [1]
    if engine.dialect.name == "postgresql":
        with pytest.raises(ConfigurationError, match="no text search configuration"):
            await search_language.apply(engine, "klingon")
        assert await _ids(engine, "run") == [1]  # refused whole
