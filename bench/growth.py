"""How list costs grow with data: p50 latency of each list use case on a big database.

    .venv/bin/python bench/growth.py build postgresql://postgres@127.0.0.1:5432/qp_big
    .venv/bin/python bench/growth.py measure postgresql://postgres@127.0.0.1:5432/qp_big
    .venv/bin/python bench/growth.py drop postgresql://postgres@127.0.0.1:5432/qp_big

``build`` creates the database, migrates it to the first revision, fills it with SQL
``generate_series`` inserts in a minute or two (the seeder builds Python objects for every
row), then migrates to ``--revision`` (default head), whose migrations backfill what they
add (counters…): ``--articles`` articles (default 200,000) by 1,000 users, five tags each
from a pool of 300 (``python`` on every tenth article), about five favorites per article,
each user following 20 others. Build at ``--revision 0001``, measure, ``quillpress db
upgrade``, measure again: the difference is the change.

``measure`` times the use cases themselves (``time.perf_counter`` around each service call,
one at a time, after a warm-up), so the figures are the database and Python cost of one
request without HTTP or load-generator noise. A diagnostic for people, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from quillpress.db import migrate
from quillpress.db.database import Database
from quillpress.db.engine import create_engine, execute_outside_transaction
from quillpress.domain.auth import Principal
from quillpress.domain.commands import ArticleFilter, Page
from quillpress.services import articles as article_service

USERS = 1_000
TAGS = 300
# Fixed statements; the only values formatted in are this script's own integers.
FILL = [
    # Lower-case ASCII addresses: their normalised form (domain.emails) is the address.
    """INSERT INTO app_user
        (id, username, email, email_normalized, password_hash, role, created_at, updated_at)
    SELECT g, 'user' || g, 'user' || g || '@example.com', 'user' || g || '@example.com',
           'not-a-hash', 'user',
           timestamp '2020-01-01', timestamp '2020-01-01'
    FROM generate_series(1, {users}) AS g""",
    """INSERT INTO tag (id, name)
    SELECT g, CASE WHEN g = 1 THEN 'python' ELSE 'tag-' || g END
    FROM generate_series(1, {tags}) AS g""",
    """INSERT INTO article (id, slug, title, description, body, author_id, created_at, updated_at)
    SELECT g, 'article-' || g, 'Article ' || g, repeat('about it ', 12), repeat('lorem ipsum ', 80),
           1 + (g * 31) % {users}, timestamp '2021-01-01' + g * interval '1 minute',
           timestamp '2021-01-01' + g * interval '1 minute'
    FROM generate_series(1, {articles}) AS g""",
    """INSERT INTO article_tag (article_id, tag_id, position)
    SELECT a, CASE WHEN p = 0 AND a % 10 = 0 THEN 1 ELSE 2 + (a * 13 + p * 37) % {tags_1} END, p
    FROM generate_series(1, {articles}) AS a, generate_series(0, 4) AS p
    ON CONFLICT DO NOTHING""",
    """INSERT INTO favorite (user_id, article_id, created_at)
    SELECT 1 + g % {users}, 1 + (g::bigint * 7919) % {articles}, timestamp '2022-01-01'
    FROM generate_series(1, {articles} * 5) AS g
    ON CONFLICT DO NOTHING""",
    """INSERT INTO follow (follower_id, followed_id, created_at)
    SELECT f, 1 + (f + k * 37) % {users}, timestamp '2022-01-01'
    FROM generate_series(1, {users}) AS f, generate_series(1, 20) AS k
    ON CONFLICT DO NOTHING""",
    "SELECT setval(pg_get_serial_sequence('app_user', 'id'), (SELECT max(id) FROM app_user))",
    "SELECT setval(pg_get_serial_sequence('tag', 'id'), (SELECT max(id) FROM tag))",
    "SELECT setval(pg_get_serial_sequence('article', 'id'), (SELECT max(id) FROM article))",
]


def _admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


async def build(url: str, articles: int, revision: str) -> None:
    name = make_url(url).database
    await execute_outside_transaction(_admin_url(url), f'CREATE DATABASE "{name}"')
    engine = create_engine(url, null_pool=True)
    try:
        await migrate.upgrade(engine, "0001")  # the rows as the first schema had them
        started = time.perf_counter()
        async with engine.begin() as conn:
            for statement in FILL:
                sql = statement.format(users=USERS, tags=TAGS, tags_1=TAGS - 1, articles=articles)
                await conn.execute(text(sql))
        print(f"filled in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        await migrate.upgrade(engine, revision)  # later migrations backfill what they add
        print(f"migrated to {revision} in {time.perf_counter() - started:.1f} s")
    finally:
        await engine.dispose()
    await execute_outside_transaction(url, "VACUUM ANALYZE")


async def drop(url: str) -> None:
    name = make_url(url).database
    await execute_outside_transaction(
        _admin_url(url), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    )


async def _p50_ms(call: Callable[[], Awaitable[Any]], repeat: int) -> float:
    for _ in range(3):
        await call()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


async def measure(url: str, repeat: int) -> None:
    engine = create_engine(url, pool_size=2)
    db = Database(engine)
    reader = Principal(user_id=1)
    page = Page(limit=20)
    deep = Page(limit=20, offset=10_000)

    def listing(filters: ArticleFilter, at: Page) -> Callable[[], Awaitable[Any]]:
        return lambda: article_service.list_articles(db, None, filters, at)

    cases: dict[str, Callable[[], Awaitable[Any]]] = {
        "GET /api/articles?limit=20": listing(ArticleFilter(), page),
        "…&offset=10000": listing(ArticleFilter(), deep),
        "…?tag=python": listing(ArticleFilter(tag="python"), page),
        "…?tag=python&offset=10000": listing(ArticleFilter(tag="python"), deep),
        "…?author=user7": listing(ArticleFilter(author="user7"), page),
        "…?favorited=user7": listing(ArticleFilter(favorited="user7"), page),
        "GET /api/articles/feed": lambda: article_service.feed(db, reader, page),
        "GET /api/tags": lambda: article_service.list_tags(db),
    }
    try:
        async with engine.connect() as conn:
            total = (await conn.execute(text("SELECT count(*) FROM article"))).scalar_one()
        print(f"{total:,} articles; p50 of {repeat} sequential calls, ms")
        for label, call in cases.items():
            print(f"{label:<32} {await _p50_ms(call, repeat):8.1f}")
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["build", "measure", "drop"])
    parser.add_argument("url", help="postgresql://… of the database (build creates it)")
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--revision", default="head", help="migrate to this before filling")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    url = args.url.replace("postgresql://", "postgresql+asyncpg://", 1)
    if args.action == "build":
        asyncio.run(build(url, args.articles, args.revision))
    elif args.action == "measure":
        asyncio.run(measure(url, args.repeat))
    else:
        asyncio.run(drop(url))


if __name__ == "__main__":
    main()
