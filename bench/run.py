"""Load Quillpress's article list (REST and GraphQL) and the floor, and print the ratios.

    .venv/bin/python bench/run.py [--users 1000] [--articles 20000] [--tags 300] [--duration 10]
                                  [--rounds 2] [--connections 32] [--keep-db]

Creates a throwaway PostgreSQL database on 127.0.0.1:5432, seeds it with Quillpress's own
seeder, starts Quillpress and the floor (``bench/floor.py``) with one worker each, checks
that all three targets return the same data, then loads them with ``wrk`` in interleaved
rounds (floor, REST, GraphQL, floor, REST, GraphQL, …) so drift in the machine's load hits
all three alike. Figures are requests/s, p50/p99 latency, SQL statements per request and the
ratio to the floor of the same run; see ``bench/README.md`` for how to read them.

This prints figures; it is not a test and stays out of CI. Traffic goes to 127.0.0.1 only.
Servers are stopped and the database dropped on every exit path (unless ``--keep-db``).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any, NoReturn

import asyncpg

REPO = Path(__file__).resolve().parent.parent
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
LIST_PATH = "/api/articles?limit=20"
GRAPHQL_QUERY = (
    "{ articles(first: 20) { totalCount edges { node { slug title description tagList "
    "createdAt updatedAt favorited favoritesCount author { username bio image following } } } } }"
)
GOALS = {"rest": 0.5, "graphql": 0.35}  # minimum ratio to the floor (design notes)
READY_TIMEOUT = 60.0
SERVER_TIMING = re.compile(r'desc="(\d+) statements?"')
INSTALL_WRK = (
    "wrk is not installed. On Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y wrk"
)

# Appended to every wrk script: one machine-readable line instead of parsing wrk's prose.
# Latency percentiles are in microseconds; status errors are non-2xx/3xx responses.
LUA_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %.1f, "p99_us": %.1f, '
    .. '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


class BenchError(RuntimeError):
    """A run that cannot produce trustworthy figures (mismatch, server down, wrk errors)."""


@dataclass(frozen=True, slots=True)
class Target:
    key: str
    label: str
    port: int
    path: str
    script: Path
    body: bytes | None = None  # a POST body; GET when None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"


@dataclass(slots=True)
class Sample:
    """One measured wrk run."""

    rps: float
    p50_ms: float
    p99_ms: float


@dataclass(slots=True)
class Figures:
    samples: list[Sample] = field(default_factory=list)
    statements: int | None = None  # per request, from Server-Timing (Quillpress only)

    @property
    def rps(self) -> float:
        return mean(sample.rps for sample in self.samples)


def fail(message: str) -> NoReturn:
    print(f"\nbench: {message}", file=sys.stderr)
    raise SystemExit(1)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark Quillpress's article list against a raw-asyncpg floor.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=1_000, help="seeded users")
    parser.add_argument("--articles", type=int, default=20_000, help="seeded articles")
    parser.add_argument("--seed", type=int, default=42, help="seeder's random seed")
    parser.add_argument(
        "--tags", type=int, default=300, help="seeded tag pool (the figures assume a few hundred)"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before each run")
    parser.add_argument("--rounds", type=int, default=2, help="floor/REST/GraphQL rounds")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument(
        "--threads", type=int, default=1, help="wrk threads (one leaves the cores to the servers)"
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    for name in ("users", "tags", "duration", "rounds", "connections", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.articles < 20 or args.warmup < 0:
        parser.error("--articles must be at least 20 (one full page) and --warmup at least 0")
    return args


# --- database ------------------------------------------------------------------------


def pg_url(database: str) -> str:
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


async def _admin(*statements: str, database: str = "postgres") -> None:
    """Statements that cannot run in a transaction (CREATE/DROP DATABASE, VACUUM)."""
    conn = await asyncpg.connect(pg_url(database))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@contextmanager
def bench_database(keep: bool) -> Iterator[str]:
    """A fresh, uniquely named database; dropped on exit (connections forced off)."""
    name = f"quillpress_bench_{secrets.token_hex(4)}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        fail(f"cannot create a database on {PG_HOST}:{PG_PORT} as {PG_USER}: {error}")
    print(f"database   {name}")
    try:
        yield name
    finally:
        if keep:
            print(f"kept database {name} ({pg_url(name)})")
        else:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            print(f"dropped database {name}")


def seed(database: str, args: argparse.Namespace, env: dict[str, str]) -> None:
    """Migrate and seed with Quillpress's own CLI, then VACUUM ANALYZE so both servers meet
    settled statistics and a visibility map (``count(*)`` can use index-only scans)."""
    print(
        f"seeding    {args.users} users, {args.articles} articles, {args.tags} tags"
        f" (seed {args.seed})…"
    )
    started = time.monotonic()
    command = [sys.executable, "-m", "quillpress", "seed", "--users", str(args.users)]
    command += ["--articles", str(args.articles), "--seed", str(args.seed)]
    command += ["--tags", str(args.tags)]
    if subprocess.run(command, env=env, cwd=REPO, check=False).returncode != 0:
        raise BenchError("seeding failed (see the output above)")
    asyncio.run(_admin("VACUUM ANALYZE", database=database))
    print(f"seeded in {time.monotonic() - started:.0f} s")


# --- servers -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(name: str, command: list[str], env: dict[str, str], logs: Path) -> Iterator[Path]:
    """A server subprocess in its own session (so the terminal's Ctrl-C reaches only us
    and we stop it in order); output goes to a log file shown if it misbehaves."""
    log_path = logs / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield log_path
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        print(f"stopped    {name}")


def fetch(port: int, path: str, body: bytes | None = None) -> tuple[int, bytes, str | None]:
    """(status, body, Server-Timing header) of one request to 127.0.0.1:``port``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request("GET" if body is None else "POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("server-timing")
    finally:
        conn.close()


def fetch_json(port: int, path: str, body: bytes | None = None) -> Any:
    status, payload, _ = fetch(port, path, body)
    if status != 200:
        raise BenchError(f"{path} on port {port} answered {status}: {payload[:500]!r}")
    return json.loads(payload)


def wait_ready(name: str, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if fetch(port, "/api/articles?limit=1")[0] == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.25)
    tail = log_path.read_text(errors="replace")[-3000:]
    raise BenchError(f"{name} did not get ready within {READY_TIMEOUT:.0f} s; its log:\n{tail}")


# --- the check -----------------------------------------------------------------------


def first_difference(left: Any, right: Any, path: str = "$") -> str | None:
    """Where two JSON values first differ, for an error message a person can act on."""
    if type(left) is not type(right):
        return f"{path}: {left!r} != {right!r}"
    if isinstance(left, dict):
        for key in sorted(set(left) | set(right)):
            if key not in left or key not in right:
                return f"{path}.{key}: present on one side only"
            found = first_difference(left[key], right[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list):
        if len(left) != len(right):
            return f"{path}: {len(left)} items != {len(right)} items"
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if left == right else f"{path}: {left!r} != {right!r}"


def check_same_answers(floor: int, quill: int, expected_total: int) -> None:
    """The floor must return exactly what Quillpress returns, or its figure means nothing;
    GraphQL's nodes must carry the same values as REST's items (same field names)."""
    for path in (LIST_PATH, "/api/articles?limit=20&offset=40", "/api/articles?limit=7"):
        rest, raw = fetch_json(quill, path), fetch_json(floor, path)
        difference = first_difference(rest, raw)
        if difference:
            raise BenchError(f"floor and Quillpress REST differ for {path} at {difference}")
    rest = fetch_json(quill, LIST_PATH)
    if rest["articlesCount"] != expected_total or len(rest["articles"]) != 20:
        raise BenchError(f"unexpected data: {rest['articlesCount']} articles in the database")
    graphql = fetch_json(quill, "/graphql", graphql_body())
    if "errors" in graphql:
        raise BenchError(f"GraphQL errors: {graphql['errors']}")
    connection = graphql["data"]["articles"]
    as_rest = {
        "articles": [edge["node"] for edge in connection["edges"]],
        "articlesCount": connection["totalCount"],
    }
    difference = first_difference(rest, as_rest)
    if difference:
        raise BenchError(f"GraphQL and REST differ at {difference}")
    print("checked    floor == REST == GraphQL (3 REST pages, 1 GraphQL page)")


def statements_per_request(target: Target) -> int | None:
    _, _, timing = fetch(target.port, target.path, target.body)
    found = SERVER_TIMING.search(timing or "")
    return int(found.group(1)) if found else None


# --- wrk -----------------------------------------------------------------------------


def graphql_body() -> bytes:
    return json.dumps({"query": GRAPHQL_QUERY}).encode()


def write_script(path: Path, body: bytes | None) -> Path:
    """A wrk Lua script: the reporting ``done`` hook, plus method/body/header for a POST."""
    lines = []
    if body is not None:
        lines += [
            'wrk.method = "POST"',
            f"wrk.body = [==[{body.decode()}]==]",
            'wrk.headers["Content-Type"] = "application/json"',
        ]
    path.write_text("\n".join(lines) + LUA_REPORT)
    return path


def wrk(target: Target, seconds: int, args: argparse.Namespace) -> Sample:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s"]
    command += ["--latency", "--timeout", "10s", "-s", str(target.script), target.url]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if result.returncode != 0 or line is None:
        raise BenchError(f"wrk failed on {target.label}:\n{result.stdout}\n{result.stderr}")
    report = json.loads(line.removeprefix("BENCH_RESULT "))
    errors = {k: report[k] for k in ("connect", "read", "write", "status", "timeout") if report[k]}
    if errors:
        raise BenchError(f"{target.label} had errors under load: {errors}\n{result.stdout}")
    return Sample(
        rps=report["requests"] / (report["duration_us"] / 1e6),
        p50_ms=report["p50_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
    )


# --- report --------------------------------------------------------------------------


def print_table(targets: list[Target], figures: dict[str, Figures]) -> None:
    floor_rps = figures["floor"].rps
    header = f"{'target':<28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'stmts':>6} {'x floor':>8}"
    print("\n" + header + "\n" + "-" * len(header))
    for target in targets:
        fig = figures[target.key]
        statements = "1" if target.key == "floor" else str(fig.statements or "?")
        print(
            f"{target.label:<28} {fig.rps:>8.0f} {mean(s.p50_ms for s in fig.samples):>8.1f} "
            f"{mean(s.p99_ms for s in fig.samples):>8.1f} {statements:>6} "
            f"{fig.rps / floor_rps:>7.2f}x"
        )
    print("\ngoals (uncached path, ratio to the floor of this run):")
    for key, goal in GOALS.items():
        ratio = figures[key].rps / floor_rps
        verdict = "met" if ratio >= goal else "MISSED"
        print(f"  {key:<8} >= {goal:.2f}x floor: {ratio:.2f}x - {verdict}")


def describe_machine(args: argparse.Namespace) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    python = platform.python_version()
    print(f"machine    {os.cpu_count()} cores, load average {load}, Python {python}")
    print(
        f"load       wrk -t{args.threads} -c{args.connections}, {args.warmup} s warm-up + "
        f"{args.duration} s per run, {args.rounds} round(s), one worker per server"
    )


# --- main ----------------------------------------------------------------------------


def run(args: argparse.Namespace, stack: ExitStack) -> None:
    database = stack.enter_context(bench_database(args.keep_db))
    logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="quillpress-bench-")))
    env = {
        **os.environ,
        "QUILLPRESS_DATABASE_URL": pg_url(database),
        "QUILLPRESS_SECRET_KEY": secrets.token_urlsafe(48),
        "QUILLPRESS_ENV": "production",
        "QUILLPRESS_LOG_LEVEL": "WARNING",
        "BENCH_DATABASE_URL": pg_url(database),
    }
    seed(database, args, env)

    quill, floor = free_port(), free_port()
    quill_cmd = [sys.executable, "-m", "quillpress", "serve", "--host", "127.0.0.1"]
    quill_cmd += ["--port", str(quill), "--workers", "1"]
    floor_cmd = [sys.executable, "-m", "uvicorn", "bench.floor:app", "--app-dir", str(REPO)]
    floor_cmd += ["--host", "127.0.0.1", "--port", str(floor), "--workers", "1"]
    floor_cmd += ["--log-level", "warning", "--no-access-log"]
    quill_log = stack.enter_context(server("quillpress", quill_cmd, env, logs))
    floor_log = stack.enter_context(server("floor", floor_cmd, env, logs))
    wait_ready("Quillpress", quill, quill_log)
    wait_ready("the floor", floor, floor_log)
    print(f"serving    Quillpress on 127.0.0.1:{quill}, floor on 127.0.0.1:{floor}")

    check_same_answers(floor, quill, args.articles)
    get, post = logs / "get.lua", logs / "post.lua"
    targets = [
        Target("floor", "floor (ASGI+asyncpg, 1 SQL)", floor, LIST_PATH, get),
        Target("rest", "REST GET /api/articles", quill, LIST_PATH, get),
        Target("graphql", "GraphQL articles(first: 20)", quill, "/graphql", post, graphql_body()),
    ]
    for target in targets:
        write_script(target.script, target.body)
    figures = {target.key: Figures() for target in targets}
    for target in targets[1:]:
        figures[target.key].statements = statements_per_request(target)

    describe_machine(args)
    for round_number in range(1, args.rounds + 1):
        for target in targets:
            if args.warmup:
                wrk(target, args.warmup, args)
            sample = wrk(target, args.duration, args)
            figures[target.key].samples.append(sample)
            print(
                f"round {round_number}    {target.label:<28} {sample.rps:>8.0f} req/s  "
                f"p50 {sample.p50_ms:.1f} ms  p99 {sample.p99_ms:.1f} ms"
            )
    print_table(targets, figures)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average at the end: {load} (other work on the machine skews absolute figures)")


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
            run(args, stack)
    except BenchError as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted (servers stopped, database dropped unless --keep-db)")


if __name__ == "__main__":
    main()
