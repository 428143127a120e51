"""``bench/run.py --scale``: how each list endpoint's latency grows with the data.

One database, grown 20k → 200k → 1M articles with ``bench/bulk.py`` (COPY; each size adds
to the last, and the rows are the ones seeding that size at once would give). At each
size a fresh Quillpress worker with the cache off (so this measures the database path)
serves every list endpoint to ``wrk -c4 -t1`` (low concurrency: latency, not queueing),
and p50/p99 are printed; at the end, each endpoint's p50 growth from the smallest to the
largest size, against the goal of at most 1.5x.

The endpoint parameters are chosen from the data at each size: the most used tag, the
most prolific author, the user with most favorites, the reader who follows most authors
(signed in through the API); the cursor at depth 10,000 is read from the ``Link`` header of
``?offset=9980&limit=20``, and its page is checked equal to ``?offset=10000``'s."""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
from bench import bulk
from bench.harness import (
    BenchError,
    Sample,
    base_env,
    bench_database,
    describe_machine,
    fetch,
    fetch_json,
    first_difference,
    free_port,
    login,
    pg_url,
    quillpress_command,
    server,
    write_script,
    wrk,
)

GROWTH_GOAL = 1.5
CONNECTIONS = 4
LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


@dataclass(frozen=True, slots=True)
class Endpoint:
    label: str
    path: str
    signed_in: bool = False


@dataclass(frozen=True, slots=True)
class Picks:
    tag: str
    author: str
    fan: str
    reader_email: str
    reader_follows: int


async def _picks(url: str) -> Picks:
    conn = await asyncpg.connect(url)
    try:
        tag = await conn.fetchval("SELECT name FROM tag ORDER BY articles_count DESC, name LIMIT 1")
        author = await conn.fetchval(
            "SELECT username FROM app_user ORDER BY articles_count DESC, id LIMIT 1"
        )
        fan = await conn.fetchval(
            "SELECT username FROM app_user ORDER BY favorites_count DESC, id LIMIT 1"
        )
        reader = await conn.fetchrow(
            """SELECT u.email, count(*) AS n FROM follow AS f JOIN app_user AS u
               ON u.id = f.follower_id GROUP BY u.id, u.email ORDER BY n DESC, u.id LIMIT 1"""
        )
    finally:
        await conn.close()
    return Picks(tag, author, fan, reader["email"], int(reader["n"]))


def deep_cursor(port: int) -> str:
    """The path of the cursor page at depth 10,000, from the ``Link`` chain."""
    _, _, response = fetch(port, "/api/articles?offset=9980&limit=20")
    found = LINK_NEXT.search(response.getheader("link") or "")
    if found is None:
        raise BenchError("no Link rel=next on /api/articles?offset=9980&limit=20")
    parts = urlsplit(found.group(1))
    path = f"{parts.path}?{parts.query}"
    difference = first_difference(
        fetch_json(port, "/api/articles?offset=10000&limit=20")["articles"],
        fetch_json(port, path)["articles"],
    )
    if difference:
        raise BenchError(f"the cursor page differs from offset=10000 at {difference}")
    return path


def endpoints(port: int, picks: Picks) -> list[Endpoint]:
    return [
        Endpoint("home", "/api/articles?limit=20"),
        Endpoint("offset=10000", "/api/articles?offset=10000&limit=20"),
        Endpoint("cursor at 10000", deep_cursor(port)),
        Endpoint("tag (most used)", f"/api/articles?tag={picks.tag}&limit=20"),
        Endpoint("author (most articles)", f"/api/articles?author={picks.author}&limit=20"),
        Endpoint("favorited (most favorites)", f"/api/articles?favorited={picks.fan}&limit=20"),
        Endpoint("feed (most follows)", "/api/articles/feed?limit=20", signed_in=True),
        Endpoint("tags", "/api/tags"),
    ]


def measure_size(
    database: str, size: int, args: argparse.Namespace, env: dict[str, str], logs: Path
) -> tuple[dict[str, Sample], Picks]:
    picks = asyncio.run(_picks(pg_url(database)))
    port = free_port()
    env = {**env, "QUILLPRESS_CACHE": "off"}
    with server(f"Quillpress at {size}", quillpress_command(port), env, logs, port):
        token = login(port, picks.reader_email, bulk.PASSWORD)
        results: dict[str, Sample] = {}
        for number, endpoint in enumerate(endpoints(port, picks)):
            headers = {"Authorization": f"Token {token}"} if endpoint.signed_in else {}
            status, payload, _ = fetch(port, endpoint.path, headers=headers)
            if status != 200:
                raise BenchError(f"{endpoint.path} answered {status}: {payload[:300]!r}")
            script = write_script(logs / f"scale{size}_{number}.lua", None, headers)
            url = f"http://127.0.0.1:{port}{endpoint.path}"
            if args.warmup:
                wrk(url, script, seconds=args.warmup, connections=CONNECTIONS)
            sample = wrk(url, script, seconds=args.duration, connections=CONNECTIONS)
            results[endpoint.label] = sample
            print(
                f"  {endpoint.label:<28} p50 {sample.p50_ms:7.1f} ms  p99 {sample.p99_ms:7.1f} ms"
                f"  {sample.rps:7.0f} req/s"
            )
    return results, picks


def print_growth(sizes: list[int], results: dict[int, dict[str, Sample]]) -> None:
    first, last = sizes[0], sizes[-1]
    columns = "".join(f"{f'{size:,}':>11}" for size in sizes)
    header = f"{'p50 ms (p99 ms)':<28}{columns}  growth {first // 1000}k→{last // 1000}k"
    print("\n" + header + "\n" + "-" * len(header))
    for label in results[first]:
        cells = "".join(
            f"{f'{results[s][label].p50_ms:.1f} ({results[s][label].p99_ms:.0f})':>11}"
            for s in sizes
        )
        growth = results[last][label].p50_ms / results[first][label].p50_ms
        verdict = "met" if growth <= GROWTH_GOAL else "MISSED"
        print(f"{label:<28}{cells}  {growth:5.2f}x  {verdict}")
    print(f"\ngoal: every list endpoint's p50 grows <= {GROWTH_GOAL}x from {first:,} to {last:,}")


def run_scale(args: argparse.Namespace, stack: ExitStack) -> None:
    database = stack.enter_context(bench_database(args.keep_db))
    logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="quillpress-scale-")))
    env = base_env(database)
    shape = bulk.Shape(users=args.users, tags=args.tags, seed=args.seed)
    password_hash = bulk.hash_password()
    describe_machine(args, CONNECTIONS)
    results: dict[int, dict[str, Sample]] = {}
    seeding: dict[int, float] = {}
    started = time.perf_counter()
    for size in args.sizes:
        print(f"\nseeding    to {size:,} articles ({args.users} users, {args.tags} tags, COPY)")
        seeding[size] = asyncio.run(bulk.seed(pg_url(database), size, shape, password_hash))
        print(f"seeded     {size:,} articles in {seeding[size]:.1f} s (counters checked)")
        results[size], picks = measure_size(database, size, args, env, logs)
        print(
            f"  (tag {picks.tag}, author {picks.author}, favorited {picks.fan}, "
            f"feed of {picks.reader_email} following {picks.reader_follows})"
        )
    print("\nseeding time: " + ", ".join(f"{s:,}: {t:.0f} s" for s, t in seeding.items()))
    print_growth(args.sizes, results)
    print(f"whole --scale run: {time.perf_counter() - started:.0f} s")
    if not args.no_plot:
        from bench import plots

        p50 = {
            label: [results[s][label].p50_ms for s in args.sizes]
            for label in results[args.sizes[0]]
        }
        print(f"plotted    {plots.latency_vs_size(args.plot, args.sizes, p50)}")
