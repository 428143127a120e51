"""Where the CPU of one ``GET /api/articles?limit=20`` goes, step by step.

    .venv/bin/python bench/profile_list.py postgresql://postgres@127.0.0.1:5432/<db> [--cprofile]

Point it at a seeded database (``bench/run.py --keep-db`` leaves one behind). It times, one
request at a time, each step of Quillpress's list path (the listing statement, the count, the
view assembly, the envelope, the whole ASGI app) next to the same SQL sent through raw
asyncpg, so the difference is what the layers above the driver cost. Figures are CPU
milliseconds of this process (``time.process_time``): under load the server is CPU-bound,
so CPU per request, not wall time, decides requests/s. ``--cprofile`` adds the top
functions by own CPU time for the whole ASGI path (profiling inflates absolute figures
about threefold; read them as shares).

A diagnostic for people, not a test: nothing here asserts anything.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import orjson
from asgi_lifespan import LifespanManager

from quillpress.api.rest import envelopes
from quillpress.app import create_app
from quillpress.config import Settings
from quillpress.db.database import Database
from quillpress.db.engine import create_engine
from quillpress.domain.commands import ArticleFilter, Page
from quillpress.repositories import listings
from quillpress.services import articles as article_service
from quillpress.services import assemble

RAW_TAGS = """SELECT at.article_id, t.name FROM article_tag AS at JOIN tag AS t ON t.id = at.tag_id
WHERE at.article_id = ANY($1) ORDER BY at.article_id, at.position"""
RAW_PAGE = """SELECT a.id, a.slug, a.title, a.description, a.created_at, a.updated_at, a.author_id,
u.username, u.bio, u.image,
(SELECT count(*) FROM favorite AS f WHERE f.article_id = a.id) AS favorites_count
FROM article AS a JOIN app_user AS u ON u.id = a.author_id
ORDER BY a.created_at DESC, a.id DESC LIMIT $1 OFFSET $2"""


async def cpu_ms(label: str, step: Callable[[], Awaitable[Any]], repeat: int) -> None:
    """Mean CPU (and wall) milliseconds of ``step`` after a warm-up."""
    for _ in range(max(20, repeat // 10)):
        await step()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(repeat):
        await step()
    cpu_each = (time.process_time() - cpu) / repeat * 1000
    wall_each = (time.perf_counter() - wall) / repeat * 1000
    print(f"  {label:<58} cpu {cpu_each:6.3f} ms   wall {wall_each:6.3f} ms")


def asgi_get(app: Any, path: str, query: bytes) -> Callable[[], Awaitable[None]]:
    """One in-process ASGI request (no sockets, no HTTP parsing): the app's own cost."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def request() -> None:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app({**scope, "state": {}}, receive, send)
        if sent[0]["status"] != 200:
            raise RuntimeError(f"{path} answered {sent[0]['status']}")

    return request


async def main(url: str, repeat: int, with_cprofile: bool) -> None:
    settings = Settings(database_url=url, secret_key="profile-" * 6, log_level="WARNING")
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    db = Database(engine)
    pool = await asyncpg.create_pool(url.replace("+asyncpg", ""), min_size=1, max_size=1)
    criteria, filters, page = listings.Criteria(), ArticleFilter(), Page(limit=20)
    try:
        async with engine.connect() as conn:
            listing = await listings.list_page(conn, criteria, viewer_id=None, limit=21)
            rows, tags = listing.rows, listing.tags
            ids = [row.id for row in rows[:20]]
            print("Quillpress, inside one open connection:")
            await cpu_ms(
                "list_page (one statement: page, tags, total; 21 rows)",
                lambda: listings.list_page(conn, criteria, viewer_id=None, limit=21),
                repeat,
            )
            await cpu_ms(
                "count (maintained counter)", lambda: listings.count(conn, criteria), repeat
            )

        async def views() -> list[Any]:
            return [assemble.article_view(row, tags[row.id], with_body=False) for row in rows[:20]]

        async def checkout() -> None:
            async with db.read() as conn:
                await conn.exec_driver_sql("SELECT 1")

        listed = await article_service.list_articles(db, None, filters, page)

        async def envelope() -> bytes:
            return orjson.dumps(envelopes.articles(listed))

        await cpu_ms("assemble 20 ArticleViews", views, repeat)
        await cpu_ms("envelope + orjson", envelope, repeat)
        await cpu_ms("db.read(): checkout, BEGIN, SELECT 1, ROLLBACK", checkout, repeat)
        await cpu_ms(
            "service list_articles (all of the above)",
            lambda: article_service.list_articles(db, None, filters, page),
            repeat,
        )
        print("The same SQL through raw asyncpg (pool acquire included):")
        await cpu_ms("page", lambda: pool.fetch(RAW_PAGE, 21, 0), repeat)
        await cpu_ms("tags", lambda: pool.fetch(RAW_TAGS, ids), repeat)
        await cpu_ms(
            "count", lambda: pool.fetch("SELECT value FROM counter WHERE name = 'articles'"), repeat
        )

        app = create_app(settings)
        async with LifespanManager(app):
            request = asgi_get(app, "/api/articles", b"limit=20")
            print("The whole app, in process (middleware, routing, dependencies, handler):")
            await cpu_ms("GET /api/articles?limit=20", request, repeat)
            if with_cprofile:
                profiler = cProfile.Profile(time.process_time)
                profiler.enable()
                for _ in range(repeat):
                    await request()
                profiler.disable()
                print("\nTop functions by own CPU time (cProfile, inflated ~3x):")
                pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    finally:
        await pool.close()
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url", help="a seeded PostgreSQL database (postgresql://…)")
    parser.add_argument("--repeat", type=int, default=500, help="requests per measurement")
    parser.add_argument("--cprofile", action="store_true", help="also print a cProfile summary")
    args = parser.parse_args()
    try:
        import uvloop  # the event loop uvicorn uses, so per-await costs match the server

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(main(args.database_url, args.repeat, args.cprofile))
