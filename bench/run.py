"""Benchmark Quillpress's article list and cheapest reads against raw-asyncpg floors, or
how lists grow with data.

    .venv/bin/python bench/run.py [--articles 20000] [--duration 10] [--rounds 2]
                                  [--connections 32] [--tables list,reads]
                                  [--profile LABEL|missed ...] [--plot DIR] [--keep-db]
    .venv/bin/python bench/run.py --scale [--sizes 20000,200000,1000000] [--duration 5]
                                  [--search-only]

Default run: a throwaway PostgreSQL database seeded with ``bench/bulk.py`` (COPY), the
floors (``bench/floor.py`` for the list, ``bench/floors.py`` for the cheap reads) and
Quillpress four times over, one worker each: cache off, cache in Redis (a key prefix of
this run's own, deleted afterwards), cache in memory, and cache in Redis with the default
rate limits on (every other server runs with them off). It checks that every target
answers the same, then loads them with ``wrk`` in interleaved rounds (every target once
per round) so drift in the machine's load hits all alike, and prints two tables (the
article list; the cheap reads) with each target's requests/s, p50/p99, SQL statements,
server CPU per request, cache description and ratio to its floor as ``N.NNx floor``,
then the goals, each met or MISSED. ``--profile`` records where a target's time goes
(py-spy, ``bench/profiling.py``).

``--scale``: one database grown 20k → 200k → 1M articles; at each size p50/p99 of every
list endpoint and of four full-text searches (a rare word, a phrase, no match, a common
word) at low concurrency (cache off: the database path), then the growth ratio from the
smallest to the largest size. See ``bench/scale.py``.

Figures, not a test: it stays out of CI. Traffic goes to 127.0.0.1 only. Servers are
stopped and the database dropped on every exit path (unless ``--keep-db``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench.*`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bulk, persisted, reads
from bench.harness import (
    INSTALL_WRK,
    REPO,
    BenchError,
    Running,
    base_env,
    bench_database,
    describe_machine,
    fail,
    fetch_json,
    first_difference,
    free_port,
    login,
    pg_url,
    quillpress_command,
    server,
)
from bench.measure import (
    HIT_CONTRACT,
    Figures,
    Load,
    Target,
    print_goals,
    print_logged,
    print_table,
    ratio,
    run_rounds,
)

LIST_PATH = "/api/articles?limit=20"
GRAPHQL_QUERY = (
    "{ articles(first: 20) { totalCount edges { node { slug title description tagList "
    "createdAt updatedAt favorited favoritesCount author { username bio image following } } } } }"
)
GRAPHQL_BODY = json.dumps({"query": GRAPHQL_QUERY}).encode()
DEFAULT_PLOTS = REPO / "bench" / "out"
VIEWER_EMAIL = "user2@example.com"  # the signed-in reader of the authenticated targets
PERSISTED = "GraphQL persisted cached"
LIMITS_ON = "REST cached anonymous, limits on"
TABLES = ("list", "reads")

# The issue's goals: minimum ratio to the floor of the same run, per target.
TARGETS = (
    Target("floor", "floor", LIST_PATH),
    Target("REST uncached", "off", LIST_PATH, floor="floor", goal=0.7),
    Target("REST cached anonymous", "redis", LIST_PATH, floor="floor", goal=2.5, hit_contract=True),
    Target(
        "REST cached authenticated", "redis", LIST_PATH, signed_in=True, floor="floor", goal=1.2
    ),
    Target("GraphQL uncached", "off", "/graphql", GRAPHQL_BODY, floor="floor", goal=0.4),
    Target(
        "GraphQL cached anonymous",
        "redis",
        "/graphql",
        GRAPHQL_BODY,
        floor="floor",
        goal=1.0,
        hit_contract=True,
    ),
    # The path is filled in once the query is registered (``bench/persisted.py``).
    Target(PERSISTED, "redis", "/graphql", floor="floor", goal=2.0, hit_contract=True),
    Target(
        "REST cached anonymous, memory",
        "memory",
        LIST_PATH,
        floor="floor",
        goal=3.0,
        hit_contract=True,
    ),
    # The second figure of REST cached anonymous: the same, the default rate limits on.
    Target(
        LIMITS_ON,
        "limits",
        LIST_PATH,
        floor="floor",
        hit_contract=True,
        allow_status=True,
    ),
)

# SQL statements per request before this issue's work (measured on main, 2026-12-05):
# "unchanged or fewer" is checked against these.
STATEMENTS_BEFORE = {
    "REST uncached": 1,
    "REST cached anonymous": 0,
    "REST cached authenticated": 1,
    "GraphQL uncached": 1,
    "GraphQL cached anonymous": 0,
    PERSISTED: 0,  # new: no figure on main; a cached GraphQL page's
    "REST cached anonymous, memory": 0,
    LIMITS_ON: 0,  # new: REST cached anonymous's
}
ALL_LABELS = [t.label for t in TARGETS] + [t.label for t in reads.targets("s", "u")]


def positive_sizes(text: str) -> list[int]:
    sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    if not sizes or any(size < 10_020 for size in sizes) or sizes != sorted(set(sizes)):
        raise argparse.ArgumentTypeError(
            "increasing sizes, each at least 10020 (the deep pages are at offset 10000)"
        )
    return sizes


def table_names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names or any(name not in TABLES for name in names):
        raise argparse.ArgumentTypeError(f"comma-separated, of: {', '.join(TABLES)}")
    return names


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark Quillpress's article list and cheap reads against raw floors.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--scale", action="store_true", help="measure growth with data size")
    parser.add_argument(
        "--sizes",
        type=positive_sizes,
        default=[20_000, 200_000, 1_000_000],
        help="--scale: article counts, comma-separated",
    )
    parser.add_argument(
        "--search-only",
        action="store_true",
        help="--scale: measure only the full-text searches (not the list endpoints)",
    )
    parser.add_argument("--users", type=int, default=1_000, help="seeded users")
    parser.add_argument("--articles", type=int, default=20_000, help="seeded articles")
    parser.add_argument("--seed", type=int, default=42, help="generator's random seed")
    parser.add_argument("--tags", type=int, default=300, help="seeded tag pool")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before each run")
    parser.add_argument("--rounds", type=int, default=2, help="rounds over all targets")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument(
        "--threads", type=int, default=1, help="wrk threads (one leaves the cores to the servers)"
    )
    parser.add_argument(
        "--tables",
        type=table_names,
        default=list(TABLES),
        help="which tables: list (the article list), reads (the cheap reads), comma-separated",
    )
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="LABEL",
        help="after the rounds, record a py-spy profile of this target (repeatable; "
        "'missed': every target that missed a goal)",
    )
    parser.add_argument(
        "--profile-dir", type=Path, default=DEFAULT_PLOTS, help="directory for the profiles"
    )
    parser.add_argument(
        "--plot", type=Path, default=DEFAULT_PLOTS, help="directory for the PNG plots"
    )
    parser.add_argument("--no-plot", action="store_true", help="print figures only")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    for name in ("users", "tags", "duration", "rounds", "connections", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.articles < 40 or args.warmup < 0:
        parser.error("--articles must be at least 40 (two full pages) and --warmup at least 0")
    if args.users < 2:
        parser.error("--users must be at least 2")
    unknown = [label for label in args.profile if label not in [*ALL_LABELS, "missed"]]
    if unknown:
        parser.error(f"--profile {unknown[0]!r}: not a target (known: {', '.join(ALL_LABELS)})")
    if args.profile:
        from bench import profiling

        if profiling.py_spy() is None:
            parser.error(profiling.INSTALL)
    return args


def seed(database: str, articles: int, args: argparse.Namespace) -> None:
    shape = bulk.Shape(users=args.users, tags=args.tags, seed=args.seed)
    print(f"seeding    {args.users} users, {articles:,} articles, {args.tags} tags (COPY)")
    seconds = asyncio.run(bulk.seed(pg_url(database), articles, shape, bulk.hash_password()))
    print(f"seeded in {seconds:.1f} s")


# --- the default run -----------------------------------------------------------------


@contextmanager
def redis_prefix() -> Iterator[str]:
    """A key prefix of this run's own; its keys are deleted at the end."""
    import redis

    prefix = f"qpbench-{secrets.token_hex(4)}:"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        try:
            keys = list(client.scan_iter(match=f"{prefix}*", count=1_000))
            for start in range(0, len(keys), 1_000):
                client.delete(*keys[start : start + 1_000])
            print(f"deleted    {len(keys)} Redis keys under {prefix}")
        except redis.RedisError as error:
            print(f"could not delete Redis keys under {prefix}: {error}", file=sys.stderr)
        finally:
            client.close()


REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def start_servers(
    stack: ExitStack, env: Mapping[str, str], logs: Path, prefix: str, tables: Sequence[str]
) -> tuple[dict[str, int], dict[str, Running]]:
    """Ports and running processes per server: the floors, then Quillpress per cache mode (and,
    for the list, the Redis one again with the default rate limits on)."""
    floors = {"floor": "bench.floor:app"} if "list" in tables else {}
    if "reads" in tables:
        floors["floors"] = "bench.floors:app"
    redis_env = {
        "QUILLPRESS_CACHE": "redis",
        "QUILLPRESS_REDIS_URL": REDIS_URL,
        "QUILLPRESS_REDIS_PREFIX": prefix,
    }
    caches: dict[str, dict[str, str]] = {
        "off": {"QUILLPRESS_CACHE": "off"},
        "redis": redis_env,
        "memory": {"QUILLPRESS_CACHE": "memory"},
    }
    if "list" in tables:
        caches["limits"] = redis_env
    ports = {key: free_port() for key in [*floors, *caches]}
    running: dict[str, Running] = {}
    for key, module in floors.items():
        command = [sys.executable, "-m", "uvicorn", module, "--app-dir", str(REPO)]
        command += ["--host", "127.0.0.1", "--port", str(ports[key]), "--workers", "1"]
        command += ["--log-level", "warning", "--no-access-log"]
        running[key] = stack.enter_context(server(key, command, env, logs, ports[key]))
    for key, extra in caches.items():
        server_env = {**env, **extra}
        if key == "limits":
            del server_env["QUILLPRESS_RATE_LIMITS"]  # the defaults: what production runs
            name = "Quillpress cache redis, limits on"
        else:
            name = f"Quillpress cache {key}"
        command = quillpress_command(ports[key])
        running[key] = stack.enter_context(server(name, command, server_env, logs, ports[key]))
    print("serving    " + ", ".join(f"{key} on :{port}" for key, port in ports.items()))
    return ports, running


def check_same_answers(ports: Mapping[str, int], token: str, expected_total: int) -> None:
    """Every target must return exactly what the floor returns (the signed-in ones what the
    uncached signed-in list returns), or its figure means nothing."""
    for path in (LIST_PATH, "/api/articles?limit=20&offset=40", "/api/articles?limit=7"):
        floor = fetch_json(ports["floor"], path)
        for key in ("off", "redis", "memory", "limits"):
            for attempt in ("miss", "hit"):
                difference = first_difference(floor, fetch_json(ports[key], path))
                if difference:
                    raise BenchError(
                        f"floor and REST ({key}, {attempt}) differ for {path} at {difference}"
                    )
    rest = fetch_json(ports["off"], LIST_PATH)
    if rest["articlesCount"] != expected_total or len(rest["articles"]) != 20:
        raise BenchError(f"unexpected data: {rest['articlesCount']} articles in the database")
    auth = {"Authorization": f"Token {token}"}
    signed_in = fetch_json(ports["off"], LIST_PATH, headers=auth)
    for attempt in ("miss", "hit"):
        difference = first_difference(
            signed_in, fetch_json(ports["redis"], LIST_PATH, headers=auth)
        )
        if difference:
            raise BenchError(
                f"signed-in REST cached ({attempt}) differs from uncached at {difference}"
            )
    if not any(a["favorited"] or a["author"]["following"] for a in signed_in["articles"]):
        print("note       the signed-in page has no favorited or followed item")
    for key in ("off", "redis"):
        for attempt in ("miss", "hit"):
            graphql = fetch_json(ports[key], "/graphql", GRAPHQL_BODY)
            if "errors" in graphql:
                raise BenchError(f"GraphQL errors: {graphql['errors']}")
            connection = graphql["data"]["articles"]
            as_rest = {
                "articles": [edge["node"] for edge in connection["edges"]],
                "articlesCount": connection["totalCount"],
            }
            difference = first_difference(rest, as_rest)
            if difference:
                raise BenchError(f"GraphQL ({key}, {attempt}) and REST differ at {difference}")
    print(
        "checked    floor == REST (off, redis, memory, limits on; 3 pages) == GraphQL "
        "(off, redis); signed-in cached == uncached"
    )


def list_targets(ports: Mapping[str, int], figures: dict[str, Figures]) -> list[Target]:
    """The list table's targets, the persisted query's path filled in (or the target
    marked unavailable, with what the server said)."""
    targets = []
    for target in TARGETS:
        figures[target.label] = Figures()
        if target.label == PERSISTED:
            try:
                path = persisted.prepare(ports[target.server], GRAPHQL_QUERY)
            except persisted.Unavailable as error:
                figures[target.label].unavailable = str(error)
                print(f"unavailable {PERSISTED}: {error}")  # and MISSED under the goals
            else:
                print(f"checked    {PERSISTED}: GET {path[:60]}… == the POSTed query's data")
                target = replace(target, path=path)
        targets.append(target)
    return targets


def print_list_table(targets: Sequence[Target], figures: Mapping[str, Figures]) -> list[str]:
    print_table("article list", targets, figures)
    print("\ngoals (ratio to the floor of this run):")
    missed = print_goals(targets, figures, STATEMENTS_BEFORE)
    limits = [t for t in targets if t.label in ("REST cached anonymous", LIMITS_ON)]
    shown = [ratio(figures, target) for target in limits]
    if all(value is not None for value in shown):
        refused = figures[LIMITS_ON].refused
        print(
            f"  REST cached anonymous: {shown[0]:.2f}x floor with rate limits off, "
            f"{shown[1]:.2f}x floor with the default limits on ({refused} answers refused)"
        )
    return missed


def print_reads_table(targets: Sequence[Target], figures: Mapping[str, Figures]) -> list[str]:
    print_table("cheap reads", targets, figures)
    print("\ngoals (ratio to each read's own floor):")
    missed = print_goals(targets, figures, reads.STATEMENTS_BEFORE)
    if not reads.print_cpu(figures) and reads.SIGNED_IN not in missed:
        missed.append(reads.SIGNED_IN)
    return missed


def run_default(args: argparse.Namespace, stack: ExitStack) -> None:
    database = stack.enter_context(bench_database(args.keep_db))
    logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="quillpress-bench-")))
    seed(database, args.articles, args)
    prefix = stack.enter_context(redis_prefix())
    ports, running = start_servers(stack, base_env(database), logs, prefix, args.tables)
    token = login(ports["off"], VIEWER_EMAIL, bulk.PASSWORD)

    figures: dict[str, Figures] = {}
    main: list[Target] = []
    cheap: list[Target] = []
    if "list" in args.tables:
        check_same_answers(ports, token, args.articles)
        main = list_targets(ports, figures)
    if "reads" in args.tables:
        auth = {"Authorization": f"Token {token}"}
        slug = fetch_json(ports["off"], "/api/articles?limit=1")["articles"][0]["slug"]
        username = fetch_json(ports["off"], "/api/user", headers=auth)["user"]["username"]
        reads.check_same_answers(ports, token, slug, username)
        cheap = list(reads.targets(slug, username))
        figures.update({target.label: Figures() for target in cheap})

    describe_machine(args, args.connections)
    load = Load(ports=ports, servers=running, token=token, logs=logs, args=args)
    scripts = run_rounds(load, [*main, *cheap], figures)
    missed: list[str] = []
    if main:
        missed += print_list_table(main, figures)
    if cheap:
        missed += print_reads_table(cheap, figures)
    print(f"\nhit contract: {HIT_CONTRACT}, checked on the cached anonymous targets")
    print_logged([*main, *cheap], figures)
    end_load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average at the end: {end_load} (other work on the machine skews absolute figures)")
    if args.profile:
        profile(load, [*main, *cheap], scripts, missed, args)
    if main and not args.no_plot:
        from bench import plots

        measured = [t for t in main if figures[t.label].measured]
        written = plots.throughput(
            args.plot,
            {t.label: (figures[t.label].rps, ratio(figures, t) or 0.0) for t in measured},
        )
        print(f"plotted    {written}")


def profile(
    load: Load,
    targets: Sequence[Target],
    scripts: Mapping[str, Path],
    missed: Sequence[str],
    args: argparse.Namespace,
) -> None:
    from bench import profiling

    chosen = [label for label in args.profile if label != "missed"]
    if "missed" in args.profile:
        chosen += [label for label in missed if label not in chosen]
    by_label = {target.label: target for target in targets}
    for label in chosen:
        target = by_label.get(label)
        if target is None or label not in scripts:
            print(f"\nprofile    {label}: not measured in this run, not profiled")
            continue
        out = profiling.record(load, target, scripts[label], args.profile_dir)
        profiling.summarize(out)


# --- main ----------------------------------------------------------------------------


def _terminate(signum: int, _frame: Any) -> None:
    """SIGTERM takes the same orderly path as Ctrl-C: servers stopped, database dropped."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        fail(INSTALL_WRK)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        with ExitStack() as stack:
            if args.scale:
                from bench import scale

                scale.run_scale(args, stack)
            else:
                run_default(args, stack)
    except BenchError as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted (servers stopped, database dropped unless --keep-db)")


if __name__ == "__main__":
    main()
