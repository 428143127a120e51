"""Benchmark Quillpress's article list against a raw-asyncpg floor, or how lists grow with data.

    .venv/bin/python bench/run.py [--articles 20000] [--duration 10] [--rounds 2]
                                  [--connections 32] [--plot DIR] [--keep-db]
    .venv/bin/python bench/run.py --scale [--sizes 20000,200000,1000000] [--duration 5]

Default run: a throwaway PostgreSQL database seeded with ``bench/bulk.py`` (COPY), the
floor (``bench/floor.py``) and Quillpress three times over, one worker each: cache off,
cache in Redis (a key prefix of this run's own, deleted afterwards), cache in memory. It
checks that every target answers the same, then loads them with ``wrk`` in interleaved
rounds (every target once per round) so drift in the machine's load hits all alike, and
prints each target's requests/s, p50/p99 and ratio to the floor as ``N.NNx floor``.

``--scale``: one database grown 20k → 200k → 1M articles; at each size p50/p99 of every
list endpoint at low concurrency (cache off: the database path), then the growth ratio
from the smallest to the largest size. See ``bench/scale.py``.

Figures, not a test: it stays out of CI. Traffic goes to 127.0.0.1 only. Servers are
stopped and the database dropped on every exit path (unless ``--keep-db``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench.*`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bulk
from bench.harness import (
    INSTALL_WRK,
    REPO,
    BenchError,
    Sample,
    base_env,
    bench_database,
    describe_machine,
    fail,
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

LIST_PATH = "/api/articles?limit=20"
GRAPHQL_QUERY = (
    "{ articles(first: 20) { totalCount edges { node { slug title description tagList "
    "createdAt updatedAt favorited favoritesCount author { username bio image following } } } } }"
)
SERVER_TIMING = re.compile(r'desc="(\d+) statements?"')
DEFAULT_PLOTS = REPO / "bench" / "out"
VIEWER_EMAIL = "user2@example.com"  # the signed-in reader of the authenticated target

# Minimum ratio to the floor of the same run, per target (the issue's goals).
GOALS = {
    "REST cached anonymous": 1.5,
    "REST cached authenticated": 1.0,
    "REST uncached": 0.6,
    "GraphQL uncached": 0.45,
}
TAIL_GOAL = 3.0  # p99 at most this many times p50, at the run's connections


@dataclass(frozen=True, slots=True)
class Target:
    label: str
    server: str  # key into the ports: floor, off, redis, memory
    path: str
    body: bytes | None = None  # a POST body; GET when None
    signed_in: bool = False


TARGETS = (
    Target("floor", "floor", LIST_PATH),
    Target("REST uncached", "off", LIST_PATH),
    Target("REST cached anonymous", "redis", LIST_PATH),
    Target("REST cached authenticated", "redis", LIST_PATH, signed_in=True),
    Target("GraphQL uncached", "off", "/graphql", json.dumps({"query": GRAPHQL_QUERY}).encode()),
    Target(
        "GraphQL cached anonymous",
        "redis",
        "/graphql",
        json.dumps({"query": GRAPHQL_QUERY}).encode(),
    ),
    Target("REST cached anonymous, memory", "memory", LIST_PATH),
)


@dataclass(slots=True)
class Figures:
    samples: list[Sample] = field(default_factory=list)
    statements: int | None = None  # per request, from Server-Timing (Quillpress only)

    @property
    def rps(self) -> float:
        return mean(sample.rps for sample in self.samples)

    @property
    def p50(self) -> float:
        return mean(sample.p50_ms for sample in self.samples)

    @property
    def p99(self) -> float:
        return mean(sample.p99_ms for sample in self.samples)


def positive_sizes(text: str) -> list[int]:
    sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    if not sizes or any(size < 10_020 for size in sizes) or sizes != sorted(set(sizes)):
        raise argparse.ArgumentTypeError(
            "increasing sizes, each at least 10020 (the deep pages are at offset 10000)"
        )
    return sizes


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark Quillpress's article list against a raw-asyncpg floor.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--scale", action="store_true", help="measure growth with data size")
    parser.add_argument(
        "--sizes",
        type=positive_sizes,
        default=[20_000, 200_000, 1_000_000],
        help="--scale: article counts, comma-separated",
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
    stack: ExitStack, env: Mapping[str, str], logs: Path, prefix: str
) -> dict[str, int]:
    ports = {key: free_port() for key in ("floor", "off", "redis", "memory")}
    floor_cmd = [sys.executable, "-m", "uvicorn", "bench.floor:app", "--app-dir", str(REPO)]
    floor_cmd += ["--host", "127.0.0.1", "--port", str(ports["floor"]), "--workers", "1"]
    floor_cmd += ["--log-level", "warning", "--no-access-log"]
    stack.enter_context(server("floor", floor_cmd, env, logs, ports["floor"]))
    caches = {
        "off": {"QUILLPRESS_CACHE": "off"},
        "redis": {
            "QUILLPRESS_CACHE": "redis",
            "QUILLPRESS_REDIS_URL": REDIS_URL,
            "QUILLPRESS_REDIS_PREFIX": prefix,
        },
        "memory": {"QUILLPRESS_CACHE": "memory"},
    }
    for key, extra in caches.items():
        command = quillpress_command(ports[key])
        stack.enter_context(
            server(f"Quillpress cache {key}", command, {**env, **extra}, logs, ports[key])
        )
    print("serving    " + ", ".join(f"{key} on :{port}" for key, port in ports.items()))
    return ports


def check_same_answers(ports: Mapping[str, int], token: str, expected_total: int) -> None:
    """Every target must return exactly what the floor returns (the signed-in ones what the
    uncached signed-in list returns), or its figure means nothing."""
    for path in (LIST_PATH, "/api/articles?limit=20&offset=40", "/api/articles?limit=7"):
        floor = fetch_json(ports["floor"], path)
        for key in ("off", "redis", "memory"):
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
    body = json.dumps({"query": GRAPHQL_QUERY}).encode()
    for key in ("off", "redis"):
        for attempt in ("miss", "hit"):
            graphql = fetch_json(ports[key], "/graphql", body)
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
        "checked    floor == REST (off, redis, memory; 3 pages) == GraphQL (off, redis); "
        "signed-in cached == uncached"
    )


def statements_per_request(port: int, target: Target, headers: Mapping[str, str]) -> int | None:
    _, _, response = fetch(port, target.path, target.body, headers)
    found = SERVER_TIMING.search(response.getheader("server-timing") or "")
    return int(found.group(1)) if found else None


def print_table(figures: Mapping[str, Figures]) -> None:
    floor = figures["floor"].rps
    header = f"{'target':<31} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99/p50':>8}"
    header += f" {'stmts':>6}  ratio"
    print("\n" + header + "\n" + "-" * (len(header) + 6))
    for label, fig in figures.items():
        statements = (
            "1" if label == "floor" else str(fig.statements if fig.statements is not None else "?")
        )
        print(
            f"{label:<31} {fig.rps:>8.0f} {fig.p50:>8.1f} {fig.p99:>8.1f} "
            f"{fig.p99 / fig.p50:>7.1f}x "
            f"{statements:>6}  {fig.rps / floor:.2f}x floor"
        )
    print("\ngoals (ratio to the floor of this run):")
    for label, goal in GOALS.items():
        ratio = figures[label].rps / floor
        verdict = "met" if ratio >= goal else "MISSED"
        print(f"  {label:<27} >= {goal:.2f}x floor: {ratio:.2f}x floor - {verdict}")
    for label in ("floor", "REST uncached"):
        fig = figures[label]
        tail = fig.p99 / fig.p50
        verdict = "met" if tail <= TAIL_GOAL else "MISSED"
        print(f"  {label + ' p99/p50':<27} <= {TAIL_GOAL:.1f}x:       {tail:.1f}x - {verdict}")


def run_default(args: argparse.Namespace, stack: ExitStack) -> None:
    database = stack.enter_context(bench_database(args.keep_db))
    logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="quillpress-bench-")))
    seed(database, args.articles, args)
    prefix = stack.enter_context(redis_prefix())
    ports = start_servers(stack, base_env(database), logs, prefix)
    token = login(ports["off"], VIEWER_EMAIL, bulk.PASSWORD)
    check_same_answers(ports, token, args.articles)

    scripts: dict[str, Path] = {}
    figures: dict[str, Figures] = {}
    for number, target in enumerate(TARGETS):
        headers = {"Authorization": f"Token {token}"} if target.signed_in else {}
        scripts[target.label] = write_script(logs / f"target{number}.lua", target.body, headers)
        figures[target.label] = Figures()
        if target.server != "floor":
            figures[target.label].statements = statements_per_request(
                ports[target.server], target, headers
            )

    describe_machine(args, args.connections)
    for round_number in range(1, args.rounds + 1):
        for target in TARGETS:
            url = f"http://127.0.0.1:{ports[target.server]}{target.path}"
            load = {"connections": args.connections, "threads": args.threads}
            if args.warmup:
                wrk(url, scripts[target.label], seconds=args.warmup, **load)
            sample = wrk(url, scripts[target.label], seconds=args.duration, **load)
            figures[target.label].samples.append(sample)
            print(
                f"round {round_number}    {target.label:<31} {sample.rps:>7.0f} req/s  "
                f"p50 {sample.p50_ms:.1f} ms  p99 {sample.p99_ms:.1f} ms"
            )
    print_table(figures)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average at the end: {load} (other work on the machine skews absolute figures)")
    if not args.no_plot:
        from bench import plots

        floor = figures["floor"].rps
        written = plots.throughput(
            args.plot, {label: (fig.rps, fig.rps / floor) for label, fig in figures.items()}
        )
        print(f"plotted    {written}")


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
