"""Where the tail comes from: p99 against p50 at 32 connections, with the server instrumented.

    .venv/bin/python bench/tail.py [--articles 20000] [--duration 10] [--connections 32]
                                   [--variants baseline,pool32,gcfreeze] [--py-spy DIR]

Seeds a throwaway database (``bench/bulk.py``), then for each variant starts one
Quillpress worker (cache off) wrapped by ``bench/lagwatch.py`` and loads
``GET /api/articles?limit=20`` with wrk. Per variant it prints wrk's p50/p99 and, from
inside the server, what the event loop was doing: stalls (the loop did not get back to a
2 ms timer for more than 10 ms), garbage collections by generation with their pauses, and
how many of the slowest requests (the in-process top 1%) overlapped a stall or a
gen-2 collection. The floor is measured the same way for reference.

Variants (combine with ``+``): ``baseline``; ``pool32`` (QUILLPRESS_DATABASE_POOL_SIZE=32,
one connection per client, so no pool wait); ``gcfreeze`` (``gc.freeze()`` after startup:
objects alive at startup leave the collector's generations); ``nogc`` (``gc.disable()``
by a 0 threshold, to bound what collection costs at all). ``--py-spy DIR`` records a
flame graph of each variant's measured run (needs ptrace permission).

A diagnostic for people, not a test."""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from statistics import quantiles
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bulk
from bench.harness import (
    REPO,
    BenchError,
    base_env,
    bench_database,
    cpu_seconds,
    fail,
    free_port,
    pg_url,
    server,
    write_script,
    wrk,
)

PATH = "/api/articles?limit=20"
VARIANTS = {
    "baseline": {},
    "pool32": {"QUILLPRESS_DATABASE_POOL_SIZE": "32", "BENCH_POOL_SIZE": "32"},
    "gcfreeze": {"BENCH_GC_FREEZE": "1"},
    "nogc": {"BENCH_GC_THRESHOLD": "0,0,0"},
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--variants", default="baseline,pool32,gcfreeze,gcfreeze+pool32")
    parser.add_argument("--py-spy", type=Path, default=None, help="flame graphs into DIR")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    for variant in args.variants.split(","):
        if any(part not in VARIANTS for part in variant.split("+")):
            parser.error(f"unknown variant {variant!r} (known: {', '.join(VARIANTS)})")
    return args


def summarize(report: dict[str, Any], window: tuple[float, float]) -> dict[str, Any]:
    """What happened inside the server during the measured window."""
    start, end = window
    stalls = [ms for at, ms in report["stalls"] if start <= at <= end]
    collections = [(gen, ms) for at, gen, ms, _ in report["collections"] if start <= at <= end]
    requests = [(at, ms) for at, ms in report["requests"] if start <= at <= end]
    by_gen = {gen: [ms for g, ms in collections if g == gen] for gen in (0, 1, 2)}
    slow_overlap = 0
    slowest: list[tuple[float, float]] = []
    if len(requests) >= 100:
        cut = quantiles([ms for _, ms in requests], n=100)[-1]
        slowest = [(at, ms) for at, ms in requests if ms >= cut]
        events = [(at, ms) for at, ms in report["stalls"]] + [
            (at - ms / 1000, ms) for at, gen, ms, _ in report["collections"] if gen == 2
        ]
        for at, ms in slowest:
            finish = at + ms / 1000
            if any(at <= e_at <= finish for e_at, _ in events):
                slow_overlap += 1
    cpu = [(at, seconds) for at, seconds in report.get("cpu", []) if start <= at <= end]
    busy = (cpu[-1][1] - cpu[0][1]) / (cpu[-1][0] - cpu[0][0]) if len(cpu) > 1 else float("nan")
    return {
        "busy": busy,
        "stalls": stalls,
        "by_gen": by_gen,
        "requests": len(requests),
        "slowest": len(slowest),
        "slow_overlap": slow_overlap,
        "in_process_p50": quantiles([ms for _, ms in requests], n=100)[49] if requests else 0,
        "in_process_p99": quantiles([ms for _, ms in requests], n=100)[98] if requests else 0,
    }


def describe(name: str, sample: Any, summary: dict[str, Any] | None) -> None:
    ratio = sample.p99_ms / sample.p50_ms
    print(
        f"{name:<24} {sample.rps:7.0f} req/s  p50 {sample.p50_ms:6.1f} ms  "
        f"p99 {sample.p99_ms:6.1f} ms  p99/p50 {ratio:4.1f}x"
    )
    if summary is None:
        return
    stalls = summary["stalls"]
    print(
        f"{'':<24} in process: p50 {summary['in_process_p50']:.1f} ms, p99 "
        f"{summary['in_process_p99']:.1f} ms over {summary['requests']} requests, "
        f"worker CPU {summary['busy']:.0%} busy"
    )
    print(
        f"{'':<24} loop stalls > 10 ms: {len(stalls)}, max {max(stalls, default=0):.0f} ms, "
        f"total {sum(stalls):.0f} ms"
    )
    for gen, pauses in summary["by_gen"].items():
        if pauses:
            print(
                f"{'':<24} gc gen{gen}: {len(pauses)} collections, mean "
                f"{sum(pauses) / len(pauses):.2f} ms, max {max(pauses):.1f} ms, "
                f"total {sum(pauses):.0f} ms"
            )
    print(
        f"{'':<24} slowest 1% of requests: {summary['slowest']}, of which "
        f"{summary['slow_overlap']} overlapped a loop stall or a gen-2 collection"
    )


def run(args: argparse.Namespace, stack: ExitStack) -> None:
    database = stack.enter_context(bench_database(args.keep_db))
    logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="quillpress-tail-")))
    seconds = asyncio.run(
        bulk.seed(pg_url(database), args.articles, bulk.Shape(), bulk.hash_password())
    )
    print(f"seeded     {args.articles:,} articles in {seconds:.1f} s")
    env = {**base_env(database), "QUILLPRESS_CACHE": "off"}
    script = write_script(logs / "get.lua")
    load = {"connections": args.connections}
    print(f"load       wrk -t1 -c{args.connections}, {args.warmup} s warm-up + {args.duration} s\n")

    port = free_port()
    floor_cmd = [sys.executable, "-m", "uvicorn", "bench.floor:app", "--app-dir", str(REPO)]
    floor_cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with server("floor", floor_cmd, env, logs, port):
        wrk(f"http://127.0.0.1:{port}{PATH}", script, seconds=args.warmup, **load)
        describe(
            "floor",
            wrk(f"http://127.0.0.1:{port}{PATH}", script, seconds=args.duration, **load),
            None,
        )

    for variant in args.variants.split(","):
        port = free_port()
        watch_file = logs / f"{variant}.json"
        extra: dict[str, str] = {"BENCH_WATCH_FILE": str(watch_file)}
        for part in variant.split("+"):
            extra.update(VARIANTS[part])
        command = [sys.executable, "-m", "uvicorn", "--factory", "bench.lagwatch:create"]
        command += ["--app-dir", str(REPO), "--host", "127.0.0.1", "--port", str(port)]
        command += ["--log-level", "warning", "--no-access-log"]
        url = f"http://127.0.0.1:{port}{PATH}"
        with server(f"Quillpress {variant}", command, {**env, **extra}, logs, port):
            wrk(url, script, seconds=args.warmup, **load)
            spy = None
            if args.py_spy is not None:
                args.py_spy.mkdir(parents=True, exist_ok=True)
                pid = _server_pid(port)
                out = args.py_spy / f"{variant}.svg"
                spy = subprocess.Popen(
                    [
                        str(Path(sys.executable).parent / "py-spy"),
                        "record",
                        "-p",
                        str(pid),
                        "-d",
                        str(args.duration),
                        "-o",
                        str(out),
                        "-r",
                        "200",
                        "--nonblocking",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.STDOUT,
                )
            before = _postgres_cpu()
            sample = wrk(url, script, seconds=args.duration, **load)
            print(f"{'':<24} PostgreSQL CPU {(_postgres_cpu() - before) / args.duration:.0%}")
            if spy is not None:
                spy.wait(timeout=args.duration + 30)
        report = json.loads(watch_file.read_text())
        # The measured window: the last `duration` seconds of requests.
        end = max((at for at, _ in report["requests"]), default=0.0)
        describe(variant, sample, summarize(report, (end - args.duration, end)))


def _postgres_cpu() -> float:
    """CPU seconds used so far by this machine's PostgreSQL processes (Linux /proc)."""
    total = 0.0
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() != "postgres":
                continue
        except OSError:
            continue  # gone since the listing
        total += cpu_seconds(int(comm.parent.name)) or 0.0
    return total


def _server_pid(port: int) -> int:
    out = subprocess.run(
        ["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, check=False
    ).stdout
    for part in out.split("pid=")[1:]:
        return int(part.split(",")[0])
    raise BenchError(f"no process listens on {port}")


def main() -> None:
    args = parse_args()
    try:
        with ExitStack() as stack:
            run(args, stack)
    except BenchError as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted (servers stopped, database dropped unless --keep-db)")


if __name__ == "__main__":
    main()
