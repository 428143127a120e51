"""Targets, interleaved rounds and the printed tables, shared by both tables of
``bench/run.py`` (the article list and the cheap reads).

A target is one request shape against one server. Each measured wrk run records the
server process's CPU seconds before and after (``/proc/<pid>/stat``), so every target
also gets its CPU milliseconds per request; after the first warm-up each Quillpress
target is asked once for its ``Server-Timing`` (SQL statements, cache description)."""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean

from bench.harness import Running, Sample, cpu_seconds, fetch, write_script, wrk

STATEMENTS = re.compile(r'db;[^,]*desc="(\d+) statements?"')
CACHE = re.compile(r'cache;desc="([^"]*)"')
HIT = re.compile(r"hit(?:, (\d+) round trips?)?")
PROBES = 5  # requests asked for their Server-Timing after the first warm-up
TAIL_GOAL = 3.0  # p99 at most this many times p50, at the run's connections
HIT_CONTRACT = 'Server-Timing cache;desc="hit, 1 round trip" (at most one Redis round trip)'


@dataclass(frozen=True, slots=True)
class Target:
    label: str
    server: str  # key into the ports: floor, floors, off, redis, memory, limits
    path: str
    body: bytes | None = None  # a POST body; GET when None
    signed_in: bool = False
    floor: str | None = None  # the label of the floor it is a ratio to; None: a floor
    goal: float | None = None  # minimum ratio to its floor
    hit_contract: bool = False  # a cached anonymous target: a hit, ≤ 1 Redis round trip
    allow_status: bool = False  # count non-2xx answers (rate limits on) instead of failing

    @property
    def is_floor(self) -> bool:
        return self.floor is None


@dataclass(slots=True)
class Figures:
    samples: list[Sample] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # per request, one per measured run
    statements: int | None = None  # per request, from Server-Timing (Quillpress only)
    cache: str | None = None  # Server-Timing's cache description, read after warm-up
    unavailable: str | None = None  # why the target could not be measured
    logged: Counter[str] = field(default_factory=Counter)  # server WARNINGs during its runs

    @property
    def measured(self) -> bool:
        return bool(self.samples)

    @property
    def rps(self) -> float:
        return mean(sample.rps for sample in self.samples)

    @property
    def p50(self) -> float:
        return mean(sample.p50_ms for sample in self.samples)

    @property
    def p99(self) -> float:
        return mean(sample.p99_ms for sample in self.samples)

    @property
    def cpu(self) -> float | None:
        return mean(self.cpu_ms) if self.cpu_ms else None

    @property
    def refused(self) -> int:
        return sum(sample.refused for sample in self.samples)


@dataclass(frozen=True, slots=True)
class Load:
    """Where and how the rounds run: ports and processes per server, wrk's settings."""

    ports: Mapping[str, int]
    servers: Mapping[str, Running]
    token: str
    logs: Path
    args: argparse.Namespace

    def headers(self, target: Target) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"} if target.signed_in else {}

    def url(self, target: Target) -> str:
        return f"http://127.0.0.1:{self.ports[target.server]}{target.path}"


def server_timing(header: str | None) -> tuple[int | None, str | None]:
    """(SQL statements, cache description) from a ``Server-Timing`` header."""
    statements = STATEMENTS.search(header or "")
    cache = CACHE.search(header or "")
    return (
        int(statements.group(1)) if statements else None,
        cache.group(1) if cache else None,
    )


def hit_problem(target: Target, description: str | None) -> str | None:
    """Why ``description`` breaks the hit contract, or ``None`` when it keeps it. A Redis
    target must say how many round trips the hit took; an in-process one has none."""
    if description is None:
        return "no cache description in Server-Timing"
    found = HIT.fullmatch(description)
    if found is None:
        return f"not a hit ({description!r})"
    if found.group(1) is None:
        return None if target.server == "memory" else "a hit, round trips not reported"
    trips = int(found.group(1))
    return None if trips <= 1 else f"a hit in {trips} round trips"


def probe(load: Load, target: Target, figures: Figures, times: int = PROBES) -> None:
    """Statements and cache description as most of ``times`` requests report them (one
    request can catch a refill or a background read); a note when they varied."""
    seen = []
    for _ in range(times):
        _, _, response = fetch(
            load.ports[target.server], target.path, target.body, load.headers(target)
        )
        seen.append(server_timing(response.getheader("server-timing")))
    figures.statements, figures.cache = Counter(seen).most_common(1)[0][0]
    if len(set(seen)) > 1:
        shown = ", ".join(f"{s if s is not None else '?'} ({c})" for s, c in seen)
        print(f"note       {target.label}: Server-Timing varied over {times} requests: {shown}")


def run_rounds(
    load: Load, targets: Sequence[Target], figures: Mapping[str, Figures]
) -> dict[str, Path]:
    """Every available target once per round, each after its warm-up; returns the wrk
    scripts (the profiler reuses them)."""
    args = load.args
    scripts: dict[str, Path] = {}
    active = [target for target in targets if figures[target.label].unavailable is None]
    for number, target in enumerate(active):
        path = load.logs / f"target{number}.lua"
        scripts[target.label] = write_script(path, target.body, load.headers(target))
    for round_number in range(1, args.rounds + 1):
        for target in active:
            fig = figures[target.label]
            since = _size(load.servers[target.server].log)
            if args.warmup:
                one_run(load, target, scripts[target.label], args.warmup)
            if round_number == 1 and not target.is_floor:
                probe(load, target, fig)
            run = one_run(load, target, scripts[target.label], args.duration, since)
            sample = run.sample
            fig.samples.append(sample)
            if run.cpu_ms is not None:
                fig.cpu_ms.append(run.cpu_ms)
            fig.logged.update(run.logged)
            refused = f"  refused {sample.refused}" if sample.refused else ""
            cpu = f"  CPU {run.cpu_ms:.2f} ms/req" if run.cpu_ms is not None else ""
            logged = f"  logged {run.logged.total()}" if run.logged else ""
            print(
                f"round {round_number}    {target.label:<33} {sample.rps:>7.0f} req/s  "
                f"p50 {sample.p50_ms:.1f} ms  p99 {sample.p99_ms:.1f} ms{cpu}{refused}{logged}"
            )
    return scripts


@dataclass(frozen=True, slots=True)
class Run:
    """One wrk run: wrk's figures, the server's CPU per request, and what the server
    logged at WARNING or above meanwhile (say, a cache that fell back to the database)."""

    sample: Sample
    cpu_ms: float | None
    logged: Counter[str]


def one_run(
    load: Load, target: Target, script: Path, seconds: int, since: int | None = None
) -> Run:
    """``since``: the log offset to read warnings from (the warm-up's start: an outage
    logs once, when it starts); the run's own start by default."""
    running = load.servers[target.server]
    offset = _size(running.log) if since is None else since
    before = cpu_seconds(running.pid)
    sample = wrk(
        load.url(target),
        script,
        seconds=seconds,
        connections=load.args.connections,
        threads=load.args.threads,
        allow_status=target.allow_status,
    )
    after = cpu_seconds(running.pid)
    logged = log_problems(running.log, offset)
    if before is None or after is None or not sample.requests:
        return Run(sample, None, logged)
    return Run(sample, (after - before) * 1000 / sample.requests, logged)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def log_problems(path: Path, offset: int) -> Counter[str]:
    """WARNING-or-worse records (JSON lines) and any other output a server wrote to its
    log after ``offset``, counted by message."""
    found: Counter[str] = Counter()
    try:
        with path.open("rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
    except OSError:
        return found
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            found[line.strip()[:120]] += 1
            continue
        if not isinstance(record, dict):
            found[line.strip()[:120]] += 1
        elif str(record.get("level", "")).lower() in {"warning", "error", "critical"}:
            error = f" ({str(record['error'])[:80]})" if record.get("error") else ""
            found[f"{record['level']}: {record.get('msg')}{error}"] += 1
    return found


def ratio(figures: Mapping[str, Figures], target: Target) -> float | None:
    fig = figures[target.label]
    if not fig.measured:
        return None
    if target.floor is None:
        return 1.0
    floor = figures[target.floor]
    return fig.rps / floor.rps if floor.measured else None


def print_table(
    title: str, targets: Sequence[Target], figures: Mapping[str, Figures], width: int = 33
) -> None:
    header = f"{title:<{width}} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'p99/p50':>7}"
    header += f" {'stmts':>5} {'CPU ms':>6}  {'cache':<20} ratio"
    print("\n" + header + "\n" + "-" * (len(header) + 8))
    for target in targets:
        fig = figures[target.label]
        if not fig.measured:
            print(f"{target.label:<{width}} unavailable: {fig.unavailable or 'not measured'}")
            continue
        statements = (
            "1" if target.is_floor else str(fig.statements if fig.statements is not None else "?")
        )
        cpu = f"{fig.cpu:.2f}" if fig.cpu is not None else "?"
        cache = "-" if target.is_floor else (fig.cache or "?")
        found = ratio(figures, target)
        shown = f"{found:.2f}x floor" if found is not None else "? (floor not measured)"
        refused = f"  ({fig.refused} refused)" if fig.refused else ""
        print(
            f"{target.label:<{width}} {fig.rps:>7.0f} {fig.p50:>7.1f} {fig.p99:>7.1f} "
            f"{fig.p99 / fig.p50:>6.1f}x {statements:>5} {cpu:>6}  {cache:<20} {shown}{refused}"
        )


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def print_goals(
    targets: Sequence[Target],
    figures: Mapping[str, Figures],
    statements_before: Mapping[str, int],
    width: int = 40,
) -> list[str]:
    """The goal lines of one table (throughput, tail, hit contract, statements); returns
    the labels of the targets whose throughput or hit goal was missed."""
    missed: list[str] = []
    for target in targets:
        if target.goal is None:
            continue
        found = ratio(figures, target)
        fig = figures[target.label]
        if found is None:
            why = fig.unavailable or "its floor was not measured"
            print(
                f"  {target.label:<{width}} >= {target.goal:.2f}x floor: "
                f"unavailable ({why}) - MISSED"
            )
            missed.append(target.label)
            continue
        print(
            f"  {target.label:<{width}} >= {target.goal:.2f}x floor: {found:.2f}x floor - "
            f"{verdict(found >= target.goal)}"
        )
        if found < target.goal:
            missed.append(target.label)

    measured = [t for t in targets if figures[t.label].measured]
    tails = [t for t in measured if figures[t.label].p99 > TAIL_GOAL * figures[t.label].p50]
    for target in tails:
        fig = figures[target.label]
        print(
            f"  {target.label + ' p99/p50':<{width}} <= {TAIL_GOAL:.1f}x: "
            f"{fig.p99 / fig.p50:.1f}x - MISSED"
        )
    if len(tails) < len(measured):
        print(f"  {'p99/p50 of the other targets':<{width}} <= {TAIL_GOAL:.1f}x: met")

    for target in measured:
        if not target.hit_contract:
            continue
        problem = hit_problem(target, figures[target.label].cache)
        shown = figures[target.label].cache or "?"
        print(
            f"  {target.label + ' cache':<{width}} hit, <= 1 round trip: {shown} - "
            + ("met" if problem is None else f"MISSED ({problem})")
        )
        if problem is not None and target.label not in missed:
            missed.append(target.label)

    more = []
    for target in measured:
        before = statements_before.get(target.label)
        now = figures[target.label].statements
        if before is not None and (now is None or now > before):
            more.append(f"{target.label} {now if now is not None else '?'} > {before}")
    shown = "; ".join(more) if more else "every target"
    print(f"  {'statements per request':<{width}} <= before: {shown} - {verdict(not more)}")
    return missed


def print_logged(targets: Sequence[Target], figures: Mapping[str, Figures]) -> None:
    """What servers logged at WARNING or above while a target was warmed up and measured:
    a cached target whose cache fell back to the database measured the database too."""
    noisy = [t for t in targets if figures[t.label].logged]
    if not noisy:
        print("  server logs during the measured runs: no warnings")
        return
    for target in noisy:
        logged = figures[target.label].logged
        shown = "; ".join(f"{count}x {message}" for message, count in logged.most_common(3))
        print(f"  {target.label} (server log during its runs, figure suspect): {shown}")
