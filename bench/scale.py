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
``?offset=9980&limit=20``, and its page is checked equal to ``?offset=10000``'s.

Full-text search (``?q=``, ``limit=20``) is measured beside them on the same bodies (prose
from a Zipf-like vocabulary, ``bench/corpus.py``): a rare word (about 0.01% of articles),
a two-word phrase, a word in no article (which also asks for a suggestion), and a common
word (about 5%). Each word's document frequency is counted from the index at each size
and printed, the API's ``articlesCount`` must equal it (exact totals), and the plans
(``EXPLAIN (ANALYZE, BUFFERS)`` of the search statement) of the common word, the rare
word and the phrase are printed. Goals: p50 growth at most 2x for the rare word, the
phrase and no match; the common word's first page at most 150 ms at the largest size.
``--search-only`` measures only these."""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import asyncpg
from bench import bulk, corpus
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
SEARCH_GROWTH_GOAL = 2.0
COMMON_WORD_GOAL_MS = 150.0
SEARCH = "search:"
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


def search_queries() -> dict[str, str]:
    """The measured searches: label → ``q``."""
    words = corpus.vocabulary()
    return {
        f"{SEARCH} rare word": words.rare,
        f"{SEARCH} phrase": f'"{words.phrase}"',
        f"{SEARCH} no match": corpus.NO_MATCH,
        f"{SEARCH} common word": words.common,
    }


async def _document_frequencies(url: str, queries: dict[str, str]) -> dict[str, int]:
    """Each query's matches, counted from the index (what ``articlesCount`` must say)."""
    conn = await asyncpg.connect(url)
    try:
        return {
            label: int(
                await conn.fetchval(
                    "SELECT count(*) FROM article_search WHERE document @@ "
                    "websearch_to_tsquery((SELECT language FROM search_config), $1)",
                    query,
                )
            )
            for label, query in queries.items()
        }
    finally:
        await conn.close()


async def _plan(url: str, query: str) -> str:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of the search page statement, as the server runs it."""
    from sqlalchemy.dialects.postgresql import asyncpg as dialect

    from quillpress.domain.search import parse
    from quillpress.repositories import search, search_syntax

    compiled = search._postgres_page(frozenset(), viewer=False, with_body=False).compile(
        dialect=dialect.dialect()
    )
    values: dict[str, Any] = {
        **compiled.params,
        "q": search_syntax.postgres(parse(query)),
        "candidates": search.CANDIDATES,
        "limit": 21,
        "offset": 0,
    }
    conn = await asyncpg.connect(url, server_settings={"jit": "off"})
    try:
        await conn.execute("SET max_parallel_workers_per_gather = 0")
        arguments = [values[name] for name in compiled.positiontup or ()]
        await conn.fetch(str(compiled), *arguments)  # warm, as the measured runs are
        rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}", *arguments)
    finally:
        await conn.close()
    return "\n".join(row[0] for row in rows)


def search_endpoints(port: int, size: int, url: str) -> list[Endpoint]:
    """The search endpoints, after checking each one's exact total against the index."""
    queries = search_queries()
    frequencies = asyncio.run(_document_frequencies(url, queries))
    found = []
    for label, query in queries.items():
        path = f"/api/articles?q={quote(query)}&limit=20"
        total = fetch_json(port, path)["articlesCount"]
        if total != frequencies[label]:
            counted = frequencies[label]
            raise BenchError(f"{path}: articlesCount {total}, the index counts {counted}")
        share = 100 * total / size
        print(f"  {label:<28} q={query!r}: in {total:,} articles ({share:.3f}%), exact total")
        found.append(Endpoint(label, path))
    for label in (f"{SEARCH} common word", f"{SEARCH} rare word", f"{SEARCH} phrase"):
        print(f"\n  plan of {label} (q={queries[label]!r}) at {size:,} articles:")
        print("    " + asyncio.run(_plan(url, queries[label])).replace("\n", "\n    ") + "\n")
    return found


def measure_size(
    database: str, size: int, args: argparse.Namespace, env: dict[str, str], logs: Path
) -> tuple[dict[str, Sample], Picks]:
    picks = asyncio.run(_picks(pg_url(database)))
    port = free_port()
    env = {**env, "QUILLPRESS_CACHE": "off"}
    with server(f"Quillpress at {size}", quillpress_command(port), env, logs, port):
        token = login(port, picks.reader_email, bulk.PASSWORD)
        results: dict[str, Sample] = {}
        chosen = [] if args.search_only else endpoints(port, picks)
        chosen += search_endpoints(port, size, pg_url(database))
        for number, endpoint in enumerate(chosen):
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
        verdict = "met" if growth <= _growth_goal(label) else "MISSED"
        if label == f"{SEARCH} common word":
            at_last = results[last][label].p50_ms
            verdict = f"{at_last:.0f} ms at {last:,}: " + (
                "met" if at_last <= COMMON_WORD_GOAL_MS else "MISSED"
            )
        print(f"{label:<28}{cells}  {growth:5.2f}x  {verdict}")
    print(
        f"\ngoals: every list endpoint's p50 grows <= {GROWTH_GOAL}x from {first:,} to "
        f"{last:,}; a search for a rare word, a phrase or no match <= {SEARCH_GROWTH_GOAL}x; "
        f"the common word's first page <= {COMMON_WORD_GOAL_MS:.0f} ms at the largest size"
    )


def _growth_goal(label: str) -> float:
    return SEARCH_GROWTH_GOAL if label.startswith(SEARCH) else GROWTH_GOAL


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
