"""The N+1 query problem, measured three ways on the same page of posts.

Run it with ``python -m quillpress.demo.n_plus_one``. "The 10 newest posts with their
authors" costs 11 statements or 2, depending only on *how* the code asks:

1. **naive**: one query for the posts, then one query per post for its author. The count
   grows with the page (1 + N): that growth is the N+1 problem.
2. **eager loading**: the ORM fetches every author of the page in one extra ``IN`` query
   (``selectinload``). Quillpress's relationships are ``lazy="raise"``, so forgetting the
   option fails loudly instead of silently turning into the naive way.
3. **GraphQL + DataLoader**: each author's resolver asks for *its own* articles, but a
   DataLoader collects those calls and answers them with one batch, so a nested list costs
   the same few statements for 3 posts or for 10.

This module is the project's one sanctioned naive path (explicit per-row queries). It
exists to be measured; nothing else may import or copy :func:`load_naively`.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from statistics import median
from typing import Any

from graphql import graphql
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import selectinload

from quillpress.api.graphql.context import Context
from quillpress.api.graphql.schema import schema
from quillpress.config import Settings
from quillpress.db import migrate
from quillpress.db.base import utcnow
from quillpress.db.database import Database
from quillpress.db.engine import create_engine
from quillpress.db.models import AppUser, Article
from quillpress.db.stats import StatementStats, current_stats
from quillpress.demo.report import render
from quillpress.infra.cache import Cache
from quillpress.infra.security import Security
from quillpress.repositories import seed as seed_repo
from quillpress.repositories.listings import NEWEST_FIRST

__all__ = ["Result", "main", "render", "run", "run_sync"]

DEFAULT_POSTS = 10
MAX_POSTS = 100
"""The lesson's GraphQL query asks for the whole page at once, so it stays within this
page-size limit (set explicitly below, whatever the environment says)."""
TAGS = ("sql", "performance", "python", "graphql")

NAIVE = "naive (1 query + 1 per post)"
EAGER = "eager loading (selectinload)"
GRAPHQL = "GraphQL + DataLoader"

QUERY = """
query Posts($first: Int!) {
  articles(first: $first) {
    edges { node { title author { username articles(first: 1) { nodes { title } } } } }
  }
}
"""
"""The GraphQL way's query: ``author.articles`` is a nested list per post, served by a
DataLoader batch (one round of statements for all authors at once)."""

Loaded = list[tuple[str, str]]
"""What every way returns: ``(post title, author username)``, newest post first."""


@dataclass(frozen=True, slots=True)
class Result:
    """What one way of loading the page cost.

    ``milliseconds`` is time spent in the database (from :mod:`quillpress.db.stats`);
    ``total_milliseconds`` adds the Python work around it (ORM objects, GraphQL
    execution), which is where the eager and GraphQL ways spend most of their time."""

    name: str
    statements: int
    milliseconds: float
    sql: list[str]
    total_milliseconds: float
    loaded: Loaded
    note: str = ""


# --- the throwaway blog -------------------------------------------------------------


def _ignore_progress(_rows: int) -> None:
    """The bulk-insert helpers report progress per chunk; a demo has nothing to show."""


async def create_blog(db: Database, posts: int) -> None:
    """``posts`` authors with one tagged post each, in bulk, in one transaction.

    Each post is a minute older than the one before, so "newest first" is this list in
    order. A random suffix keeps names unique in a database that already holds data."""
    run_id = secrets.token_hex(3)
    now = utcnow()
    users = [
        {
            "username": f"writer{i + 1:02d}-{run_id}",
            "email": f"writer{i + 1:02d}-{run_id}@example.com",
            "password_hash": "!",  # no valid hash: demo authors cannot sign in
            "role": "user",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(posts)
    ]
    async with db.write() as tx:
        conn = tx.conn
        user_ids = await seed_repo.insert_users(conn, users, _ignore_progress)
        articles = [
            {
                "slug": f"post-{i + 1}-{run_id}",
                "title": f"Post {i + 1}",
                "description": "A demo post.",
                "body": "Counting statements is the first step to fewer of them.",
                "author_id": author_id,
                "created_at": now - timedelta(minutes=i),
                "updated_at": now - timedelta(minutes=i),
            }
            for i, author_id in enumerate(user_ids)
        ]
        article_ids = await seed_repo.insert_articles(conn, articles, _ignore_progress)
        tag_ids = await seed_repo.ensure_tags(conn, TAGS, _ignore_progress)
        links = [
            {"article_id": article_id, "tag_id": tag_ids[TAGS[(i + k) % len(TAGS)]], "position": k}
            for i, article_id in enumerate(article_ids)
            for k in range(2)
        ]
        await seed_repo.insert_article_tags(conn, links, _ignore_progress)


# --- way 1: naive -------------------------------------------------------------------


async def _newest_posts(conn: AsyncConnection, limit: int) -> Sequence[Any]:
    """Statement 1: the page of posts, carrying only each author's *id*."""
    stmt = select(Article.title, Article.author_id).order_by(*NEWEST_FIRST).limit(limit)
    return (await conn.execute(stmt)).all()


async def _author_username(conn: AsyncConnection, author_id: int) -> str:
    """One author by id: harmless on its own, the "N" in N+1 when called once per row."""
    stmt = select(AppUser.username).where(AppUser.id == author_id)
    return str((await conn.execute(stmt)).scalar_one())


async def load_naively(db: Database, posts: int) -> Loaded:
    """1 + N statements: every post waits for its own round trip to fetch its author."""
    loaded: Loaded = []
    async with db.read() as conn:
        for post in await _newest_posts(conn, posts):
            loaded.append((post.title, await _author_username(conn, post.author_id)))
    return loaded


# --- way 2: eager loading -----------------------------------------------------------


async def load_eagerly(engine: AsyncEngine, posts: int) -> Loaded:
    """2 statements: the posts, then all their authors in one ``WHERE id IN (…)``."""
    stmt = (
        select(Article).options(selectinload(Article.author)).order_by(*NEWEST_FIRST).limit(posts)
    )
    async with AsyncSession(engine) as session:
        articles = (await session.scalars(stmt)).all()
        return [(article.title, article.author.username) for article in articles]


async def lazy_load_refusal(engine: AsyncEngine) -> str:
    """The same query *without* ``selectinload``, then a touch of ``article.author``.

    A default lazy relationship would quietly send one query per touch (the naive way,
    hidden in an attribute access); ``lazy="raise"`` refuses, and this returns why."""
    async with AsyncSession(engine) as session:
        article = (await session.scalars(select(Article).limit(1))).one()
        try:
            _ = article.author
        except InvalidRequestError as error:
            return str(error)
    raise AssertionError("Article.author loaded lazily: relationships must be lazy='raise'")


# --- way 3: GraphQL with a DataLoader -----------------------------------------------


async def load_through_graphql(
    db: Database, security: Security, settings: Settings, posts: int
) -> Loaded:
    """Quillpress's real schema, executed with a fresh per-request context (its
    DataLoaders must never outlive one request). Statements stay constant: the root
    page, then one batch for every author's nested ``articles`` list."""
    context = Context(db=db, security=security, settings=settings, viewer=None, cache=Cache(None))
    result = await graphql(schema, QUERY, context_value=context, variable_values={"first": posts})
    if result.errors or result.data is None:
        raise RuntimeError(f"the demo query failed: {result.errors}")
    nodes = [edge["node"] for edge in result.data["articles"]["edges"]]
    return [(node["title"], node["author"]["username"]) for node in nodes]


# --- measuring and running ----------------------------------------------------------


REPEATS = 5
"""Timed runs per way; the median is reported, so one garbage collection or scheduler
hiccup does not decide the comparison."""


async def _measure_once(
    load: Callable[[], Awaitable[Loaded]],
) -> tuple[StatementStats, float, Loaded]:
    """Run ``load`` with a recording counter in ``current_stats``: the engine hook adds
    every statement sent meanwhile, from this task or any task it spawns."""
    stats = StatementStats(statements=[])
    token = current_stats.set(stats)
    started = time.perf_counter()
    try:
        loaded = await load()
    finally:
        elapsed = (time.perf_counter() - started) * 1000.0
        current_stats.reset(token)
    return stats, elapsed, loaded


async def measure(
    name: str, load: Callable[[], Awaitable[Loaded]], note: str = "", repeats: int = REPEATS
) -> Result:
    """Statements and SQL of one run (they are the same every run), median times of
    ``repeats`` runs."""
    runs = [await _measure_once(load) for _ in range(repeats)]
    stats, _, loaded = runs[0]
    return Result(
        name=name,
        statements=stats.count,
        milliseconds=median(run[0].milliseconds for run in runs),
        sql=list(stats.statements or []),
        total_milliseconds=median(run[1] for run in runs),
        loaded=loaded,
        note=note,
    )


async def compare(engine: AsyncEngine, settings: Settings, posts: int) -> list[Result]:
    """Load the same page the three ways. Each runs once unmeasured first, so one-off
    costs (connections, SQL compilation caches) do not blur the comparison."""
    db = Database(engine)
    security = Security.from_settings(settings)
    ways: dict[str, Callable[[], Awaitable[Loaded]]] = {
        NAIVE: lambda: load_naively(db, posts),
        EAGER: lambda: load_eagerly(engine, posts),
        GRAPHQL: lambda: load_through_graphql(db, security, settings, posts),
    }
    for load in ways.values():
        await load()
    notes = {
        EAGER: f"Without selectinload(), article.author raises: {await lazy_load_refusal(engine)}",
        GRAPHQL: "Every author's nested articles(first: 1) came from one DataLoader batch; "
        "the extra time is GraphQL execution, not the database.",
    }
    return [await measure(name, load, notes.get(name, "")) for name, load in ways.items()]


async def run(database_url: str | None = None, *, posts: int = DEFAULT_POSTS) -> list[Result]:
    """The whole lesson: migrate a database, write ``posts`` authors with one post each,
    and measure the three ways. Without a URL the database is a throwaway SQLite file in
    a temporary directory (a file, not ``:memory:``: several connections must see it)."""
    if not 1 <= posts <= MAX_POSTS:
        raise ValueError(f"posts must be between 1 and {MAX_POSTS} (the GraphQL page size limit)")
    if database_url is not None:
        return await _run_on(database_url, posts)
    with tempfile.TemporaryDirectory(prefix="quillpress-demo-") as directory:
        return await _run_on(f"sqlite+aiosqlite:///{Path(directory) / 'demo.db'}", posts)


async def _run_on(database_url: str, posts: int) -> list[Result]:
    """Own the engine for the lesson's duration; an explicit secret keeps the demo from
    writing a development secret file into the working directory."""
    settings = Settings(
        database_url=database_url, secret_key=secrets.token_urlsafe(32), max_page_size=MAX_POSTS
    )
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        await create_blog(Database(engine), posts)
        return await compare(engine, settings, posts)
    finally:
        await engine.dispose()


def run_sync(database_url: str | None = None, *, posts: int = DEFAULT_POSTS) -> list[Result]:
    """:func:`run` for synchronous callers such as the CLI."""
    return asyncio.run(run(database_url, posts=posts))


def main(
    *, database_url: str | None = None, posts: int = DEFAULT_POSTS, console: Console | None = None
) -> None:
    """Run the lesson and print it (``quillpress demo n-plus-one``)."""
    render(run_sync(database_url, posts=posts), console or Console())


if __name__ == "__main__":
    main()
