"""CPU milliseconds per request of Quillpress's reads, in process, next to the floor.

    .venv/bin/python bench/cpu.py postgresql://postgres@127.0.0.1:5432/<db>
        [--requests 500] [--trials 5] [--concurrency 8] [--profile DIR]
        [--only user,list,tags,profile,article,search] [--cache off|memory|redis]

Point it at a database seeded by ``bench/bulk.py`` (``bench/run.py --keep-db`` leaves one
behind). Production settings, cache off (``--cache redis`` or ``memory``: the warm-up fills
it, so the trials measure hits; Redis on ``--redis-url``), rate limits off, one event loop
(uvloop when installed, as uvicorn uses): ``--concurrency`` tasks send ``--requests``
requests through the whole ASGI app (middleware, routing, dependencies, handler, SQL over
the pool) with no sockets and no HTTP parsing, and the process's CPU time
(``time.process_time``) is divided by the requests; of ``--trials`` such runs the least
counts (other work on a shared machine only ever adds to it). On a shared machine wall-clock
throughput is noisy; CPU per request is what decides requests/s once the worker is
saturated. ``bench/floor.py`` is measured the same way, so ``floor cpu / target cpu``
estimates the ratio ``bench/run.py`` reports (HTTP parsing, the same for both, is left out:
the in-process ratio is a little harsher than wrk's).

``--profile DIR`` also writes a cProfile of each target (``DIR/<target>.prof``; read with
``python -m pstats`` or snakeviz) and prints its top functions by own and by cumulative time.

A diagnostic for people, not a test: nothing here asserts anything.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import json
import os
import pstats
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench.*`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asgi_lifespan import LifespanManager
from bench import bulk
from bench.run import GRAPHQL_QUERY

VIEWER_EMAIL = "user2@example.com"
ARTICLE = "/api/articles/{slug}"
"""The newest article's path (its slug is read from the database at start)."""


@dataclass(frozen=True, slots=True)
class Target:
    key: str
    label: str
    method: str
    path: str
    query: bytes = b""
    body: bytes = b""
    signed_in: bool = False
    floor: bool = False


TARGETS = (
    Target(
        "floor", "floor GET /api/articles?limit=20", "GET", "/api/articles", b"limit=20", floor=True
    ),
    Target("user", "GET /api/user (signed in)", "GET", "/api/user", signed_in=True),
    Target("tags", "GET /api/tags", "GET", "/api/tags"),
    Target("profile", "GET /api/profiles/user2", "GET", "/api/profiles/user2"),
    Target("article", "GET /api/articles/{newest slug}", "GET", ARTICLE),
    Target("list", "GET /api/articles?limit=20 anonymous", "GET", "/api/articles", b"limit=20"),
    Target(  # a word in about 5% of bench/bulk.py's articles: a full page of matches
        "search", "GET /api/articles?q=zhang&limit=20", "GET", "/api/articles", b"q=zhang&limit=20"
    ),
    Target(
        "list_auth",
        "GET /api/articles?limit=20 signed in",
        "GET",
        "/api/articles",
        b"limit=20",
        signed_in=True,
    ),
    Target(
        "feed",
        "GET /api/articles/feed (signed in)",
        "GET",
        "/api/articles/feed",
        b"limit=20",
        signed_in=True,
    ),
    Target(
        "graphql",
        "POST /graphql articles(first: 20)",
        "POST",
        "/graphql",
        body=json.dumps({"query": GRAPHQL_QUERY}).encode(),
    ),
)


def requester(app: Any, target: Target, token: str | None) -> Callable[[], Awaitable[None]]:
    headers = [(b"host", b"127.0.0.1"), (b"user-agent", b"bench-cpu")]
    if target.body:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(target.body)).encode()),
        ]
    if target.signed_in:
        assert token is not None
        headers.append((b"authorization", f"Token {token}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": target.method,
        "scheme": "http",
        "path": target.path,
        "raw_path": target.path.encode(),
        "query_string": target.query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    body_message = {"type": "http.request", "body": target.body, "more_body": False}

    async def request() -> None:
        sent: list[dict[str, Any]] = []
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                await asyncio.Event().wait()  # a client that keeps the connection open
            delivered = True
            return body_message

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app({**scope, "state": {}}, receive, send)
        status = sent[0]["status"]
        if status != 200:
            raise RuntimeError(f"{target.label} answered {status}: {sent[1].get('body')!r}")

    return request


async def measure(
    request: Callable[[], Awaitable[None]], requests: int, concurrency: int
) -> tuple[float, float]:
    """CPU and wall milliseconds per request, ``concurrency`` requests in flight."""
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await request()

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (
        (time.process_time() - cpu) / requests * 1000,
        (time.perf_counter() - wall) / requests * 1000,
    )


async def newest_slug(url: str) -> str:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return str(await connection.fetchval("SELECT slug FROM article ORDER BY id DESC LIMIT 1"))
    finally:
        await connection.close()


async def sign_in(app: Any) -> str:
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        response = await client.post(
            "/api/users/login",
            json={"user": {"email": VIEWER_EMAIL, "password": bulk.PASSWORD}},
        )
        response.raise_for_status()
        return str(response.json()["user"]["token"])


async def main(args: argparse.Namespace) -> None:
    os.environ["BENCH_DATABASE_URL"] = args.database_url
    from bench.floor import Floor

    from quillpress.app import create_app
    from quillpress.config import Settings

    settings = Settings(
        env="production",
        database_url=args.database_url,
        secret_key=secrets.token_urlsafe(48),
        log_level="WARNING",
        cache=args.cache,
        redis_url=args.redis_url if args.cache == "redis" else None,
        redis_prefix=f"qpcpu-{secrets.token_hex(4)}:",
        rate_limits=False,
    )
    app = create_app(settings)
    floor = Floor()
    only = set(args.only.split(",")) if args.only else None
    figures: dict[str, tuple[float, float]] = {}
    async with LifespanManager(app), LifespanManager(floor):  # type: ignore[arg-type]
        token = await sign_in(app)
        slug = await newest_slug(args.database_url)
        for target in TARGETS:
            if target.path == ARTICLE:
                target = dataclasses.replace(target, path=ARTICLE.format(slug=slug))
            if only is not None and target.key not in only and not target.floor:
                continue
            request = requester(floor if target.floor else app, target, token)
            await measure(request, max(200, args.requests // 5), args.concurrency)  # warm-up
            trials = [
                await measure(request, args.requests, args.concurrency) for _ in range(args.trials)
            ]
            # The least CPU of the trials: other work on a shared machine only ever adds
            # (cache misses, preemption), so the minimum is the steadiest estimate.
            cpu, wall = min(trials)
            figures[target.key] = (cpu, wall)
            ratio = figures["floor"][0] / cpu
            print(
                f"{target.label:<42} cpu {cpu:6.3f} ms/req  wall {wall:6.3f} ms/req  "
                f"{ratio:.2f}x floor cpu",
                flush=True,
            )
            if args.profile is not None and not target.floor:
                await profile(request, target, args)
    if args.cache == "redis":
        await forget(args.redis_url, settings.redis_prefix)


async def forget(url: str, prefix: str) -> None:
    """Delete this run's keys: the Redis is shared."""
    from redis.asyncio import Redis

    async with Redis.from_url(url) as redis:
        async for key in redis.scan_iter(match=f"{prefix}*", count=500):
            await redis.delete(key)


async def profile(
    request: Callable[[], Awaitable[None]], target: Target, args: argparse.Namespace
) -> None:
    """cProfile of the same load (its own overhead inflates absolute times ~2-3x: read the
    shares), written to ``DIR/<key>.prof`` with the top entries printed."""
    args.profile.mkdir(parents=True, exist_ok=True)
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    await measure(request, args.requests, args.concurrency)
    profiler.disable()
    path = args.profile / f"{target.key}.prof"
    profiler.dump_stats(path)
    stats = pstats.Stats(profiler)
    print(f"--- {target.label}: top by own time ({path})")
    stats.sort_stats("tottime").print_stats(args.top)
    print(f"--- {target.label}: top by cumulative time")
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url", help="a seeded PostgreSQL database (postgresql://…)")
    parser.add_argument("--requests", type=int, default=500, help="requests per trial")
    parser.add_argument(
        "--trials", type=int, default=5, help="trials per target (the least counts)"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--only", default="", help="comma-separated target keys")
    parser.add_argument(
        "--cache", default="off", choices=["off", "memory", "redis"], help="the cache (hits)"
    )
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/0", help="with --cache redis"
    )
    parser.add_argument("--profile", type=Path, default=None, help="write cProfiles here")
    parser.add_argument("--top", type=int, default=25, help="profile entries printed")
    arguments = parser.parse_args()
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(main(arguments))
