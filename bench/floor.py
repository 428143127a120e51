"""The floor: the least work any Python server could do to answer ``GET /api/articles``.

A hand-written ASGI app (no framework, no ORM, no validation layer), one asyncpg pool and
one SQL statement per request, rows turned into dicts and serialized by orjson. It exists
so Quillpress's figures can be read as a ratio to what this machine, this PostgreSQL and
this data allow, measured in the same run under the same load (absolute requests/s mean
little on a shared two-core box).

It answers exactly one request shape, anonymous ``GET /api/articles?limit=&offset=``,
with the same JSON as Quillpress (``bench/run.py`` checks that before measuring: a floor
that did less work than Quillpress would flatter nobody). Everything else is a 404.

Run by ``bench/run.py`` as ``uvicorn bench.floor:app``; it reads its database from
``BENCH_DATABASE_URL`` (a plain ``postgresql://`` URL) and its pool size from
``BENCH_POOL_SIZE`` (default 10, the same as Quillpress's default pool).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_LIMIT = 100  # Quillpress's default max page size

# One statement for the whole response. Totals come from the counters Quillpress's writes
# maintain (``counter``, ``article.favorites_count``), as Quillpress reads them: a floor
# that counted rows would do more work than the thing it measures and flatter it.
# (``bench/bulk.py`` checks the counters against the rows before anything is measured.)
# The one-row ``total`` drives a LEFT JOIN LATERAL so the total survives an empty page;
# tags come as a text[] sorted by name (every response lists tags by name); timestamps
# are formatted by PostgreSQL exactly as Quillpress formats them (UTC, milliseconds
# truncated, "Z"). The outer ORDER BY repeats the page's order because a join does not
# promise to preserve a subquery's order.
PAGE_SQL = """
SELECT total.n AS articles_count,
       page.slug, page.title, page.description, page.tag_list,
       page.created_at, page.updated_at, page.favorites_count,
       page.username, page.bio, page.image
FROM (SELECT coalesce(max(value), 0) AS n FROM counter WHERE name = 'articles') AS total
LEFT JOIN LATERAL (
    SELECT a.id, a.created_at AS sort_at, a.slug, a.title, a.description,
           ARRAY(
               SELECT t.name
               FROM article_tag AS at JOIN tag AS t ON t.id = at.tag_id
               WHERE at.article_id = a.id
               ORDER BY t.name
           ) AS tag_list,
           to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
               AS created_at,
           to_char(a.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
               AS updated_at,
           a.favorites_count,
           u.username, u.bio, u.image
    FROM article AS a JOIN app_user AS u ON u.id = a.author_id
    ORDER BY a.created_at DESC, a.id DESC
    LIMIT $1 OFFSET $2
) AS page ON true
ORDER BY page.sort_at DESC, page.id DESC
"""

_JSON_HEADERS = [(b"content-type", b"application/json")]


def _query_int(params: dict[str, list[str]], name: str, default: int) -> int | None:
    """The parameter as an int, ``default`` when absent, ``None`` when malformed."""
    values = params.get(name)
    if not values:
        return default
    try:
        return int(values[-1])
    except ValueError:
        return None


def article_of(row: asyncpg.Record) -> dict[str, object]:
    """One row → a RealWorld article as an anonymous viewer sees it (nothing favorited
    or followed), keys in Quillpress's order so the bytes match too."""
    return {
        "slug": row["slug"],
        "title": row["title"],
        "description": row["description"],
        "tagList": row["tag_list"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "favorited": False,
        "favoritesCount": row["favorites_count"],
        "author": {
            "username": row["username"],
            "bio": row["bio"],
            "image": row["image"],
            "following": False,
        },
    }


def render_page(rows: list[asyncpg.Record]) -> bytes:
    """Rows of ``PAGE_SQL`` → the RealWorld list body."""
    articles = [
        article_of(row)
        for row in rows
        if row["slug"] is not None  # the LEFT JOIN's lone NULL row of an empty page
    ]
    return orjson.dumps({"articles": articles, "articlesCount": rows[0]["articles_count"]})


class Floor:
    """The ASGI application; the pool belongs to the lifespan, as in Quillpress."""

    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                size = int(os.environ.get("BENCH_POOL_SIZE", "10"))
                self.pool = await asyncpg.create_pool(
                    os.environ["BENCH_DATABASE_URL"], min_size=size, max_size=size
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.pool is not None:
                    await self.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, send: Send) -> None:
        if scope["method"] != "GET" or scope["path"] != "/api/articles":
            await _respond(send, 404, b'{"errors":{"path":["not found"]}}')
            return
        params = parse_qs(scope["query_string"].decode("latin-1"))
        limit = _query_int(params, "limit", 20)
        offset = _query_int(params, "offset", 0)
        if limit is None or not 1 <= limit <= MAX_LIMIT or offset is None or offset < 0:
            await _respond(send, 422, b'{"errors":{"query":["is invalid"]}}')
            return
        assert self.pool is not None, "lifespan did not run"
        rows = await self.pool.fetch(PAGE_SQL, limit, offset)
        await _respond(send, 200, render_page(rows))


async def _respond(send: Send, status: int, body: bytes) -> None:
    headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


app = Floor()
