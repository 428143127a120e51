"""The admin overview at scale: p50/p95 of ``services.overview.overview`` on PostgreSQL.

    .venv/bin/python bench/console_overview.py                       # 20k articles, 2k users
    .venv/bin/python bench/console_overview.py --articles 1000000 --users 100000  # issue 22

Creates a database of its own on the PostgreSQL server at ``--url`` (dropped at the end
unless ``--keep``), migrates it to head and fills it with the bulk seeder
(``bench/bulk.py``: COPY, triggers off while loading, then the daily counts rebuilt as the
triggers would have kept them; the search index left empty, as nothing here searches) with every
article and user created in the last 30 days.
Then, with the triggers on, one ``INSERT … SELECT`` each adds a sign-in per user, a
lockout per 50 users and a live session per 10 users (the statement-level triggers count
each in one grouped upsert; their time is printed). Every ``daily_count`` row is checked
against a ``GROUP BY`` of the rows before anything is timed.

Timed: the use case itself (``time.perf_counter`` around each call, one at a time, after
a warm-up), as the console page calls it; its one statement alone through asyncpg (the
database's share); and, for comparison, the same figures counted from the tables through
asyncpg (one statement: four ``count(*)`` and four grouped 30-day ranges over indexed
``created_at`` / ``(action, at)``), which is what the counters replace. The goal
(issue 22): the overview under 100 ms p50 at 1M articles and 100k users. A diagnostic for
people, not a test; nothing here runs in CI.
"""

# ruff: noqa: S608  (statements assembled from this file's own constants, no input)
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench.*`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
from bench import bulk
from sqlalchemy.engine import make_url

from quillpress.db import migrate
from quillpress.db.database import Database
from quillpress.db.engine import create_engine, execute_outside_transaction
from quillpress.db.stats import StatementStats, current_stats
from quillpress.domain.auth import Principal, Role
from quillpress.services.overview import overview

ADMIN = Principal(user_id=1, role=Role.ADMIN)
DAYS = 30
GOAL_MS = 100.0

# With the triggers on: audit rows and sessions spread over the window ($1 its start,
# $2 its length in seconds), user ``u`` at its own point of it.
AT = (
    "$1::timestamptz"
    " + make_interval(secs => $2::float8 * u.id / (SELECT max(id) + 1 FROM app_user))"
)
ACTIVITY = {
    "sign-ins (one per user)": f"""INSERT INTO audit_event (at, actor_id, actor, action, outcome)
        SELECT {AT}, u.id, u.username, 'user.login', 'success'
        FROM app_user AS u""",
    "lockouts (one per 50 users)": f"""INSERT INTO audit_event (at, action, target, outcome)
        SELECT {AT}, 'rate.lockout', 'user:' || u.username, 'failure'
        FROM app_user AS u WHERE u.id % 50 = 0""",
    "live sessions (one per 10 users)": f"""INSERT INTO user_session
            (id, user_id, created_at, last_seen_at, refreshed_at)
        SELECT 'bench-' || u.id, u.id, t.at, t.at, t.at
        FROM app_user AS u, LATERAL (SELECT {AT} AS at) AS t
        WHERE u.id % 10 = 0""",
}

# (kind, day, count) the rows say, to compare with daily_count before timing.
COUNTED = """SELECT kind, day, count(*) FROM (
    SELECT 'users' AS kind, (created_at AT TIME ZONE 'UTC')::date AS day FROM app_user
    UNION ALL SELECT 'articles', (created_at AT TIME ZONE 'UTC')::date FROM article
    UNION ALL SELECT 'comments', (created_at AT TIME ZONE 'UTC')::date FROM comment
    UNION ALL SELECT CASE action WHEN 'user.login' THEN 'sign_ins' ELSE 'lockouts' END,
        (at AT TIME ZONE 'UTC')::date FROM audit_event
        WHERE action IN ('user.login', 'rate.lockout')
    UNION ALL SELECT 'live_sessions', (created_at AT TIME ZONE 'UTC')::date
        FROM user_session WHERE revoked_at IS NULL
) AS rows GROUP BY kind, day"""
WRONG = f"""SELECT count(*) FROM (
    (({COUNTED}) EXCEPT (SELECT kind, day, count FROM daily_count WHERE count <> 0))
    UNION ALL
    ((SELECT kind, day, count FROM daily_count WHERE count <> 0) EXCEPT ({COUNTED}))
) AS differences"""

# The overview's own statement (``repositories.daily_counts.read``) as raw SQL, to compare
# like with like: the database's share of the use case.
RAW = """SELECT kind, day, count FROM daily_count
        WHERE kind IN ('users', 'sign_ins', 'articles', 'comments', 'lockouts') AND day >= $1
    UNION ALL SELECT kind, NULL, sum(count)::bigint FROM daily_count
        WHERE kind IN ('users', 'articles', 'comments', 'live_sessions') GROUP BY kind"""

# What the overview would cost without the counters: the same figures from the tables.
NAIVE = """SELECT 'total', NULL::date, (SELECT count(*) FROM app_user)
    UNION ALL SELECT 'total', NULL, (SELECT count(*) FROM article)
    UNION ALL SELECT 'total', NULL, (SELECT count(*) FROM comment)
    UNION ALL SELECT 'total', NULL,
        (SELECT count(*) FROM user_session WHERE revoked_at IS NULL)
    UNION ALL (SELECT 'users', (created_at AT TIME ZONE 'UTC')::date, count(*)
        FROM app_user WHERE created_at >= $1 GROUP BY 2)
    UNION ALL (SELECT 'articles', (created_at AT TIME ZONE 'UTC')::date, count(*)
        FROM article WHERE created_at >= $1 GROUP BY 2)
    UNION ALL (SELECT 'comments', (created_at AT TIME ZONE 'UTC')::date, count(*)
        FROM comment WHERE created_at >= $1 GROUP BY 2)
    UNION ALL (SELECT action, (at AT TIME ZONE 'UTC')::date, count(*)
        FROM audit_event WHERE action IN ('user.login', 'rate.lockout') AND at >= $1
        GROUP BY 1, 2)"""


def _window() -> tuple[datetime, timedelta]:
    """The start of the overview's oldest day (UTC midnight) and a span ending a few
    minutes before now (comments come minutes after their article: none in the future)."""
    now = datetime.now(UTC)
    start = datetime.combine(now.date() - timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    return start, now - start - timedelta(minutes=10)


def _shape(args: argparse.Namespace, start: datetime, span: timedelta) -> bulk.Shape:
    return bulk.Shape(
        users=args.users,
        tags=args.tags,
        start=start,
        step=span / (args.articles + 1),
        users_start=start,
        users_step=span / (args.users + 1),
    )


async def _activity(url: str, start: datetime, span: timedelta) -> None:
    conn = await asyncpg.connect(url)
    try:
        for label, sql in ACTIVITY.items():
            began = time.perf_counter()
            status = await conn.execute(sql, start, span.total_seconds())
            took = time.perf_counter() - began
            print(f"inserted   {label}: {status.split()[-1]} rows in {took:.2f} s, triggers on")
        await conn.execute("ANALYZE")
        wrong = int(await conn.fetchval(WRONG))
        if wrong:
            raise RuntimeError(f"daily_count disagrees with the rows on {wrong} (kind, day)s")
        days = int(await conn.fetchval("SELECT count(*) FROM daily_count"))
        print(f"checked    daily_count ({days} rows) equals a GROUP BY of the rows")
    finally:
        await conn.close()


async def _time(call: Callable[[], Awaitable[object]], *, calls: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        await call()
    samples = []
    for _ in range(calls):
        began = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def _report(label: str, samples: list[float]) -> float:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"{label:<34} p50 {p50:8.2f} ms   p95 {p95:8.2f} ms   max {ordered[-1]:8.2f} ms"
        f"   ({len(ordered)} calls)"
    )
    return p50


async def _measure(url: str, plain: str, args: argparse.Namespace, start: datetime) -> None:
    engine = create_engine(url, pool_size=2)
    db = Database(engine)
    try:
        stats = StatementStats()
        token = current_stats.set(stats)
        try:
            result = await overview(db, ADMIN, days=DAYS)
        finally:
            current_stats.reset(token)
        print(
            f"overview   {result.users:,} users, {result.articles:,} articles, "
            f"{result.comments:,} comments, {result.active_sessions:,} active sessions; "
            f"{stats.count} statement(s)"
        )
        for series in result.series:
            print(f"           {series.label:<13} {series.total:>10,} in the last {DAYS} days")
        print()
        p50 = _report(
            "overview (daily_count)",
            await _time(lambda: overview(db, ADMIN, days=DAYS), calls=args.calls, warmup=20),
        )
        conn = await asyncpg.connect(plain)
        try:
            raw = await _time(lambda: conn.fetch(RAW, start.date()), calls=args.calls, warmup=20)
            naive = await _time(lambda: conn.fetch(NAIVE, start), calls=args.naive_calls, warmup=1)
        finally:
            await conn.close()
        _report("its statement alone, asyncpg", raw)
        _report("counted from the tables, asyncpg", naive)
        verdict = "met" if p50 < GOAL_MS else "MISSED"
        print(f"\ngoal: overview p50 < {GOAL_MS:.0f} ms at this scale: {verdict}")
    finally:
        await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    given = make_url(args.url)
    admin = given.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    name = f"qp_bench_overview_{uuid.uuid4().hex[:8]}"
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    await execute_outside_transaction(admin, f'CREATE DATABASE "{name}"')
    print(f"database   {name} on {make_url(admin).host}")
    try:
        engine = create_engine(url, null_pool=True)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()
        start, span = _window()
        shape = _shape(args, start, span)
        seconds = await bulk.seed(
            plain, args.articles, shape, bulk.hash_password(), search_index=False
        )
        print(f"seeded     {args.articles:,} articles, {args.users:,} users in {seconds:.0f} s")
        await _activity(plain, start, span)
        await _measure(url, plain, args, start)
    finally:
        if args.keep:
            print(f"kept       {name}")
        else:
            await execute_outside_transaction(
                admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--tags", type=int, default=300)
    parser.add_argument("--calls", type=int, default=200, help="timed overview calls")
    parser.add_argument("--naive-calls", type=int, default=10, help="timed counting calls")
    parser.add_argument(
        "--url",
        default=os.environ.get(
            "QUILLPRESS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server's maintenance database (the bench creates its own)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    asyncio.run(main(parser.parse_args()))
