"""Reading a database directly in CLI tests (what a command left behind)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import inspect, select, text

from quillpress.db.engine import create_engine
from quillpress.db.models import AppUser, Article, ArticleTag, Tag

CLEANUP_ORDER = ["comment", "favorite", "article_tag", "tag", "follow", "article", "app_user"]


async def _run(url: str, statement: Any) -> list[Any]:
    engine = create_engine(url, null_pool=True)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(statement)).all())
    finally:
        await engine.dispose()


def rows(url: str, statement: Any) -> list[Any]:
    return asyncio.run(_run(url, statement))


def count(url: str, table: str) -> int:
    return int(rows(url, text(f"SELECT count(*) FROM {table}"))[0][0])  # noqa: S608 (fixed names)


def counts(url: str) -> dict[str, int]:
    return {table: count(url, table) for table in CLEANUP_ORDER}


def slugs(url: str) -> list[str]:
    return [row.slug for row in rows(url, select(Article.slug).order_by(Article.id))]


def tag_lists(url: str) -> list[tuple[str, ...]]:
    """Every article's tags in order, articles in id order."""
    stmt = (
        select(ArticleTag.article_id, Tag.name)
        .join(Tag, Tag.id == ArticleTag.tag_id)
        .order_by(ArticleTag.article_id, ArticleTag.position)
    )
    lists: dict[int, list[str]] = {}
    for row in rows(url, stmt):
        lists.setdefault(row.article_id, []).append(row.name)
    return [tuple(tags) for tags in lists.values()]


def role_of(url: str, username: str) -> str:
    return str(rows(url, select(AppUser.role).where(AppUser.username == username))[0][0])


async def _tables(url: str) -> set[str]:
    engine = create_engine(url, null_pool=True)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


def tables(url: str) -> set[str]:
    return asyncio.run(_tables(url))


async def _delete_all(url: str) -> None:
    engine = create_engine(url, null_pool=True)
    try:
        async with engine.begin() as conn:
            for table in CLEANUP_ORDER:
                await conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (fixed names)
    finally:
        await engine.dispose()


def delete_all(url: str) -> None:
    """Empty the tables of a shared (session) database, children first."""
    asyncio.run(_delete_all(url))


async def _execute(url: str, sql: str, params: dict[str, Any]) -> None:
    engine = create_engine(url, null_pool=True)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql), params)
    finally:
        await engine.dispose()


def execute(url: str, sql: str, **params: Any) -> None:
    """One statement in its own transaction (a row a command would not write)."""
    asyncio.run(_execute(url, sql, params))
