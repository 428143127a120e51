"""The N+1 query problem, measured three ways on the same page of posts.

Run it with ``quillpress demo n-plus-one`` (or ``python -m quillpress.demo.n_plus_one``).
"The 10 newest posts with their comments" costs 11 statements or 2, depending only on
*how* the code asks; all three ways return exactly the same titles and comment bodies:

1. **naive**: one query for the posts, then one query per post for its comments. The count
   grows with the page (1 + N): that growth is the N+1 problem.
2. **eager loading**: the ORM fetches the comments of the whole page in one extra ``IN``
   query (``selectinload``). Quillpress's relationships are ``lazy="raise"``, so forgetting
   the option fails loudly instead of silently turning into the naive way.
3. **GraphQL + DataLoader**: each post's ``comments`` resolver asks for *its own* comments,
   but a DataLoader collects those calls and answers them with one batch, so the page costs
   the same few statements for 3 posts or for 100.

On a throwaway SQLite file by default; ``database_url`` (a PostgreSQL server) runs it in a
database created for the run and dropped after it, where every statement is a real
network round trip. This module is the project's one sanctioned naive path (explicit
per-row queries). It exists to be measured; nothing else may import or copy
:func:`load_naively`.

Size: a teaching script read top to bottom: the three ways side by side are the point.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from statistics import median
from typing import Any

from graphql import graphql
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import selectinload

from quillpress.api.graphql.context import Context
from quillpress.api.graphql.schema import schema
from quillpress.config import Settings, normalise_database_url
from quillpress.db import migrate
from quillpress.db.database import Database, first_line
from quillpress.db.engine import create_engine, execute_outside_transaction
from quillpress.db.models import Article, Comment
from quillpress.db.stats import StatementStats, current_stats
from quillpress.demo.report import render
from quillpress.domain.clients import ClientInfo
from quillpress.domain.clock import utcnow
from quillpress.infra.limits import Limiter
from quillpress.infra.security import Security
from quillpress.repositories import seed as seed_repo
from quillpress.repositories.listings import NEWEST_FIRST

__all__ = ["Lesson", "LessonError", "Result", "main", "run", "run_sync"]

DEFAULT_POSTS = 10
MAX_POSTS = 100
"""The lesson's GraphQL query asks for the whole page at once, so it stays within this
page-size limit (set explicitly below, whatever the environment says)."""
COMMENTS_PER_POST = 2
TAGS = ("sql", "performance", "python", "graphql")

NAIVE = "naive (1 query + 1 per post)"
EAGER = "eager loading (selectinload)"
GRAPHQL = "GraphQL + DataLoader"

QUERY = """
query Posts($first: Int!) {
  articles(first: $first) { edges { node { title comments { body } } } }
}
"""
"""The GraphQL way's query: the same two fields the other ways load. ``comments`` is
resolved per post, through the per-request DataLoader that batches them."""

Loaded = list[tuple[str, tuple[str, ...]]]
"""What every way returns: ``(post title, its comment bodies newest first)``, newest post
first."""


class LessonError(Exception):
    """The lesson cannot run as asked (a bad or unreachable database URL): one line for
    the user, no traceback."""


@dataclass(frozen=True, slots=True)
class Result:
    """What one way of loading the page cost.

    ``milliseconds`` is time spent in the database (from :mod:`quillpress.db.stats`);
    ``total_milliseconds`` adds the Python work around it (ORM objects, GraphQL
    execution), which is where the eager and GraphQL ways spend most of their time on
    SQLite."""

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
    """``posts`` authors with one tagged post each and ``COMMENTS_PER_POST`` comments on
    every post, in bulk, in one transaction.

    Each post is a minute older than the one before, so "newest first" is this list in
    order; each comment a second newer than the previous one on its post."""
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
        comments = [
            {
                "body": f"Comment {k + 1} on post {i + 1}",
                "article_id": article_id,
                "author_id": user_ids[(i + 1) % len(user_ids)],  # the next writer
                "created_at": now - timedelta(minutes=i) + timedelta(seconds=k + 1),
                "updated_at": now - timedelta(minutes=i) + timedelta(seconds=k + 1),
            }
            for i, article_id in enumerate(article_ids)
            for k in range(COMMENTS_PER_POST)
        ]
        await seed_repo.insert_comments(conn, comments, _ignore_progress)


# --- way 1: naive -------------------------------------------------------------------


async def _newest_posts(conn: AsyncConnection, limit: int) -> Sequence[Any]:
    """Statement 1: the page of posts, carrying only each post's *id* for what follows."""
    stmt = select(Article.id, Article.title).order_by(*NEWEST_FIRST).limit(limit)
    return (await conn.execute(stmt)).all()


async def _comment_bodies(conn: AsyncConnection, article_id: int) -> tuple[str, ...]:
    """One post's comments: harmless on its own, the "N" in N+1 when called once per row."""
    stmt = (
        select(Comment.body)
        .where(Comment.article_id == article_id)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )
    return tuple((await conn.execute(stmt)).scalars())


async def load_naively(db: Database, posts: int) -> Loaded:
    """1 + N statements: every post waits for its own round trip to fetch its comments."""
    loaded: Loaded = []
    async with db.read() as conn:
        for post in await _newest_posts(conn, posts):
            loaded.append((post.title, await _comment_bodies(conn, post.id)))
    return loaded


# --- way 2: eager loading -----------------------------------------------------------


async def load_eagerly(engine: AsyncEngine, posts: int) -> Loaded:
    """2 statements: the posts, then all their comments in one ``WHERE article_id IN (…)``."""
    stmt = (
        select(Article).options(selectinload(Article.comments)).order_by(*NEWEST_FIRST).limit(posts)
    )
    async with AsyncSession(engine) as session:
        articles = (await session.scalars(stmt)).all()
        return [
            (
                article.title,
                tuple(
                    comment.body
                    for comment in sorted(
                        article.comments, key=lambda c: (c.created_at, c.id), reverse=True
                    )
                ),
            )
            for article in articles
        ]


async def lazy_load_refusal(engine: AsyncEngine) -> str:
    """The same query *without* ``selectinload``, then a touch of ``article.comments``.

    A default lazy relationship would quietly send one query per touch (the naive way,
    hidden in an attribute access); ``lazy="raise"`` refuses, and this returns why."""
    async with AsyncSession(engine) as session:
        article = (await session.scalars(select(Article).limit(1))).one()
        try:
            _ = article.comments
        except InvalidRequestError as error:
            return str(error)
    raise AssertionError("Article.comments loaded lazily: relationships must be lazy='raise'")


# --- way 3: GraphQL with a DataLoader -----------------------------------------------


async def load_through_graphql(
    db: Database, security: Security, settings: Settings, posts: int
) -> Loaded:
    """Quillpress's real schema, executed with a fresh per-request context (its
    DataLoaders must never outlive one request). Statements stay constant: the page,
    then one batch for every post's ``comments``."""
    context = Context(
        db=db,
        security=security,
        settings=settings,
        viewer=None,
        client=ClientInfo(),
        limiter=Limiter.disabled(),
    )
    result = await graphql(schema, QUERY, context_value=context, variable_values={"first": posts})
    if result.errors or result.data is None:
        raise RuntimeError(f"the demo query failed: {result.errors}")
    nodes = [edge["node"] for edge in result.data["articles"]["edges"]]
    return [
        (node["title"], tuple(comment["body"] for comment in node["comments"])) for node in nodes
    ]


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
    is_sqlite = engine.dialect.name == "sqlite"
    notes = {
        EAGER: "Without selectinload(), article.comments raises: "
        + await lazy_load_refusal(engine),
        GRAPHQL: "Every post's comments came from one DataLoader batch; the rest is "
        "Quillpress's page query"
        + (", whose tags are a statement of their own on SQLite." if is_sqlite else "."),
    }
    return [await measure(name, load, notes.get(name, "")) for name, load in ways.items()]


@dataclass(frozen=True, slots=True)
class Lesson:
    """The three results and where they were measured (``sqlite`` or ``postgresql``)."""

    backend: str
    results: list[Result]


async def run(database_url: str | None = None, *, posts: int = DEFAULT_POSTS) -> Lesson:
    """The whole lesson: migrate a fresh database, write ``posts`` posts with their
    comments, and measure the three ways.

    Without a URL the database is a throwaway SQLite file in a temporary directory (a
    file, not ``:memory:``: several connections must see it). With a PostgreSQL URL (any
    database on the server, e.g. ``postgres``) the lesson creates a database of its own
    there and drops it afterwards, so existing data is never read or touched."""
    if not 1 <= posts <= MAX_POSTS:
        raise ValueError(f"posts must be between 1 and {MAX_POSTS} (the GraphQL page size limit)")
    if database_url is None:
        with tempfile.TemporaryDirectory(prefix="quillpress-demo-") as directory:
            url = f"sqlite+aiosqlite:///{Path(directory) / 'demo.db'}"
            return Lesson("sqlite", await _run_on(url, posts))
    async with throwaway_database(database_url) as url:
        return Lesson("postgresql", await _run_on(url, posts))


@asynccontextmanager
async def throwaway_database(server_url: str) -> AsyncIterator[str]:
    """A new, empty database on the PostgreSQL server of ``server_url``, dropped (``WITH
    (FORCE)``, PostgreSQL 13+) when the block ends, however it ends."""
    try:
        url = make_url(normalise_database_url(server_url))
    except ArgumentError as error:
        raise LessonError(f"not a database URL: {server_url!r}") from error
    if url.get_backend_name() != "postgresql":
        raise LessonError(
            f"--database-url must be a PostgreSQL URL (got {url.get_backend_name()!r}); "
            "without it the lesson runs on a temporary SQLite file"
        )
    name = f"quillpress_demo_{secrets.token_hex(6)}"
    shown = url.render_as_string(hide_password=True)
    try:
        await execute_outside_transaction(
            url.render_as_string(hide_password=False), f'CREATE DATABASE "{name}"'
        )
    except Exception as error:  # unreachable, bad credentials, no CREATEDB right…
        reason = first_line(error)
        raise LessonError(f"cannot create a database on {shown}: {reason}") from error
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        await execute_outside_transaction(
            url.render_as_string(hide_password=False),
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        )


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


def run_sync(database_url: str | None = None, *, posts: int = DEFAULT_POSTS) -> Lesson:
    """:func:`run` for synchronous callers such as the CLI."""
    return asyncio.run(run(database_url, posts=posts))


def main(
    *,
    database_url: str | None = None,
    posts: int = DEFAULT_POSTS,
    full_sql: bool = False,
    console: Console | None = None,
) -> None:
    """Run the lesson and print it (``quillpress demo n-plus-one``); ``full_sql`` prints
    every statement whole instead of one cropped line each. Raises :class:`LessonError`
    for a database URL it cannot use."""
    lesson = run_sync(database_url, posts=posts)
    render(lesson.results, console or Console(), backend=lesson.backend, full_sql=full_sql)


if __name__ == "__main__":
    main()
