"""Soak: a mixed load through nginx onto the scaled-out topology, for minutes, then a check
of the data it left.

    .venv/bin/python bench/soak.py --minutes 2                 # starts its own topology
    .venv/bin/python bench/soak.py --minutes 30 --instances 3
    .venv/bin/python bench/soak.py --minutes 5 --topology deploy/local/.run   # a running one

Without ``--topology`` it starts ``deploy/local/up.sh`` in a temp dir with
``QUILLPRESS_RATE_LIMITS=off`` (the load signs in a handful of accounts from 127.0.0.1
again and again: with limits on it would measure the limiter, not the service) and
stops it with ``down.sh`` on every exit path. An empty database is seeded with the demo
data (``quillpress seed``), then the topology's Redis is flushed (the seed wrote behind
the cache's back).

The load: ``--concurrency`` loops, each a fixed sequence of requests until the deadline
(every request has a timeout, so every loop ends): 70% anonymous reads, 20% authenticated
reads, 10% writes and logins (articles created and deleted, comments, favorites, follows,
sign-ins). Each loop writes as an account of its own. Traffic goes to loopback only.

Reported: requests, throughput, p50/p99 per class, 5xx and transport errors (goal: 0), the
RSS of every instance over time from /proc (goal: flat), a PNG plot (``--plot DIR``, the
``bench`` extra), and at the end, on the primary: every maintained counter equals a real
count, and no row points at a row that does not exist. Exit status 1 if a 5xx, a transport
error or a data check failed."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from array import array
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from statistics import quantiles
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx

if __package__ in (None, ""):  # run as a script: make ``bench.*`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import plots
from bench.soak_checks import data_problems

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy" / "local"
QUILLPRESS = REPO / ".venv" / "bin" / "quillpress"
PASSWORD = "soak-password-1234"  # noqa: S105 (the soak accounts' own)
TAG_POOL = [f"soak{n}" for n in range(12)]
RSS_EVERY_S = 5.0
BUCKET_S = 10.0
REQUEST_TIMEOUT_S = 10.0


def refuse_non_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"soak: {url} is not a loopback address; the soak targets 127.0.0.1 only")


# --- the topology --------------------------------------------------------------------------


def read_topology(state_dir: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (state_dir / "topology.env").read_text().splitlines():
        if "=" in line:
            key, _, value = shlex.split(line)[0].partition("=")
            values[key] = value
    return values


@contextmanager
def own_topology(instances: int) -> Iterator[Path]:
    """``up.sh --instances N`` in a temp dir (rate limits off), ``down.sh`` on every exit."""
    parent = Path(tempfile.mkdtemp(prefix="quillpress-soak-"))
    parent.chmod(0o755)  # the postgres user must reach its data directories
    state = parent / "topology"
    env = {**os.environ, "QUILLPRESS_LOCAL_DIR": str(state), "QUILLPRESS_RATE_LIMITS": "off"}
    print(f"soak: starting a topology of {instances} instances in {state}", flush=True)
    up = subprocess.run(
        [str(DEPLOY / "up.sh"), "--instances", str(instances)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        if up.returncode != 0:
            raise SystemExit(f"soak: up.sh failed:\n{up.stdout}{up.stderr}")
        yield state
    finally:
        subprocess.run([str(DEPLOY / "down.sh")], env=env, capture_output=True, check=False)
        if parent.exists() and not any(parent.iterdir()):
            parent.rmdir()


async def count_users(primary_url: str) -> int:
    conn = await asyncpg.connect(primary_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM app_user"))
    finally:
        await conn.close()


def seed_if_empty(topology: dict[str, str]) -> None:
    users = asyncio.run(count_users(topology["PRIMARY_URL"]))
    if users:
        print(f"soak: the database holds {users} users already; not seeding", flush=True)
        return
    env = {**os.environ, "QUILLPRESS_DATABASE_URL": topology["PRIMARY_URL"]}
    env.pop("DATABASE_URL", None)
    print("soak: seeding the demo data (50 users, 500 articles)", flush=True)
    subprocess.run([str(QUILLPRESS), "seed"], env=env, check=True, capture_output=True)
    from redis import Redis

    with Redis.from_url(topology["REDIS_URL"]) as redis:  # the seed bypassed the cache
        redis.flushall()


# --- measurements ----------------------------------------------------------------------------


@dataclass
class Figures:
    started: float = field(default_factory=time.monotonic)
    latencies: dict[str, array[float]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    five_hundreds: Counter[str] = field(default_factory=Counter)
    buckets: Counter[int] = field(default_factory=Counter)  # requests per BUCKET_S
    rss: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # MiB over time
    duration: float = 0.0

    def record(self, kind: str, what: str, status: int | None, seconds: float) -> None:
        self.buckets[int((time.monotonic() - self.started) // BUCKET_S)] += 1
        if status is None:
            self.errors[f"{kind} {what}"] += 1
            return
        self.latencies.setdefault(kind, array("d")).append(seconds * 1000)
        self.statuses[status] += 1
        if status >= 500:
            self.five_hundreds[f"{status} {kind} {what}"] += 1


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def sample_rss(pids: dict[str, int], figures: Figures, stop: asyncio.Event) -> None:
    while True:
        now = time.monotonic() - figures.started
        for name, pid in pids.items():
            value = rss_mib(pid)
            if value is not None:
                figures.rss.setdefault(name, []).append((now, value))
        try:
            await asyncio.wait_for(stop.wait(), RSS_EVERY_S)
            return
        except TimeoutError:
            continue


# --- the load --------------------------------------------------------------------------------


@dataclass
class Blog:
    """What the loops know of the data: slugs to read, authors to follow."""

    slugs: list[str]
    authors: list[str]
    tags: list[str]


class Loop:
    """One client loop, writing as an account of its own."""

    def __init__(self, client: httpx.AsyncClient, blog: Blog, figures: Figures, n: int) -> None:
        self.client, self.blog, self.figures = client, blog, figures
        self.rng = random.Random(n)
        self.name = f"soak{uuid.uuid4().hex[:6]}{n}"
        self.headers: dict[str, str] = {}
        self.mine: list[str] = []  # this loop's articles
        self.comments: list[tuple[str, int]] = []
        self.favorites: set[str] = set()

    async def call(
        self, kind: str, what: str, method: str, path: str, *, auth: bool = False, **kw: Any
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await self.client.request(
                method, path, headers=self.headers if auth else None, **kw
            )
        except httpx.HTTPError:
            self.figures.record(kind, what, None, time.perf_counter() - started)
            return None
        self.figures.record(kind, what, response.status_code, time.perf_counter() - started)
        return response

    async def register(self) -> None:
        user = {"username": self.name, "email": f"{self.name}@example.com", "password": PASSWORD}
        response = await self.call("write", "register", "POST", "/api/users", json={"user": user})
        if response is None or response.status_code != 201:
            raise SystemExit(f"soak: could not register {self.name}: {response}")
        self.headers = {"Authorization": f"Token {response.json()['user']['token']}"}

    def slug(self) -> str:
        return self.rng.choice(self.blog.slugs)

    async def anonymous_read(self) -> None:
        choice = self.rng.randrange(7)
        if choice == 0:
            offset = self.rng.randrange(0, 200)
            await self.call("anonymous", "list", "GET", f"/api/articles?limit=20&offset={offset}")
        elif choice == 1:
            tag = self.rng.choice(self.blog.tags)
            await self.call("anonymous", "tag", "GET", f"/api/articles?tag={tag}")
        elif choice == 2:
            author = self.rng.choice(self.blog.authors)
            await self.call("anonymous", "author", "GET", f"/api/articles?author={author}")
        elif choice == 3:
            await self.call("anonymous", "article", "GET", f"/api/articles/{self.slug()}")
        elif choice == 4:
            await self.call("anonymous", "comments", "GET", f"/api/articles/{self.slug()}/comments")
        elif choice == 5:
            author = self.rng.choice(self.blog.authors)
            await self.call("anonymous", "profile", "GET", f"/api/profiles/{author}")
        else:
            await self.call("anonymous", "tags", "GET", "/api/tags")

    async def authenticated_read(self) -> None:
        choice = self.rng.randrange(4)
        if choice == 0:
            await self.call("authenticated", "feed", "GET", "/api/articles/feed", auth=True)
        elif choice == 1:
            await self.call("authenticated", "user", "GET", "/api/user", auth=True)
        elif choice == 2:
            path = f"/api/articles/{self.slug()}"
            await self.call("authenticated", "article", "GET", path, auth=True)
        else:
            await self.call("authenticated", "list", "GET", "/api/articles?limit=20", auth=True)

    async def write(self) -> None:
        choice = self.rng.randrange(10)
        if choice < 2:
            await self.create_article()
        elif choice < 4:
            await self.comment()
        elif choice < 6:
            await self.toggle_favorite()
        elif choice == 6:
            author = self.rng.choice(self.blog.authors)
            method = self.rng.choice(["POST", "DELETE"])
            await self.call("write", "follow", method, f"/api/profiles/{author}/follow", auth=True)
        elif choice == 7:
            body = {"user": {"email": f"{self.name}@example.com", "password": PASSWORD}}
            await self.call("write", "login", "POST", "/api/users/login", json=body)
        elif choice == 8 and self.comments:
            slug, comment_id = self.comments.pop()
            path = f"/api/articles/{slug}/comments/{comment_id}"
            await self.call("write", "uncomment", "DELETE", path, auth=True)
        elif self.mine:
            slug = self.mine.pop(self.rng.randrange(len(self.mine)))
            path = f"/api/articles/{slug}"
            response = await self.call("write", "delete", "DELETE", path, auth=True)
            if response is not None and response.status_code == 204 and slug in self.blog.slugs:
                self.blog.slugs.remove(slug)
        else:
            await self.create_article()

    async def create_article(self) -> None:
        tags = self.rng.sample(TAG_POOL, self.rng.randrange(0, 4))
        article = {"title": f"Soak {uuid.uuid4().hex[:8]}", "description": "d", "body": "b"}
        body = {"article": {**article, "tagList": tags}}
        response = await self.call("write", "create", "POST", "/api/articles", json=body, auth=True)
        if response is not None and response.status_code == 201:
            slug = response.json()["article"]["slug"]
            self.mine.append(slug)
            self.blog.slugs.append(slug)

    async def comment(self) -> None:
        slug = self.slug()
        body = {"comment": {"body": "A soak comment"}}
        path = f"/api/articles/{slug}/comments"
        response = await self.call("write", "comment", "POST", path, json=body, auth=True)
        if response is not None and response.status_code == 201:
            self.comments.append((slug, response.json()["comment"]["id"]))

    async def toggle_favorite(self) -> None:
        slug = self.slug()
        method = "DELETE" if slug in self.favorites else "POST"
        path = f"/api/articles/{slug}/favorite"
        response = await self.call("write", "favorite", method, path, auth=True)
        if response is not None and response.status_code == 200:
            self.favorites.symmetric_difference_update({slug})

    async def run(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            draw = self.rng.random()
            if draw < 0.70:
                await self.anonymous_read()
            elif draw < 0.90:
                await self.authenticated_read()
            else:
                await self.write()


async def discover(client: httpx.AsyncClient) -> Blog:
    slugs: list[str] = []
    authors: set[str] = set()
    for offset in range(0, 200, 100):
        page = (await client.get(f"/api/articles?limit=100&offset={offset}")).json()
        slugs += [item["slug"] for item in page["articles"]]
        authors |= {item["author"]["username"] for item in page["articles"]}
    tags = (await client.get("/api/tags")).json()["tags"] or TAG_POOL
    if not slugs:
        raise SystemExit("soak: the blog has no articles to read")
    return Blog(slugs=slugs, authors=sorted(authors), tags=tags)


async def soak(entry: str, minutes: float, concurrency: int, pids: dict[str, int]) -> Figures:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=entry, timeout=REQUEST_TIMEOUT_S, limits=limits
    ) as client:
        blog = await discover(client)
        figures = Figures()
        loops = [Loop(client, blog, figures, n) for n in range(concurrency)]
        for loop in loops:
            await loop.register()
        figures = Figures()  # measure the load only, from here
        for loop in loops:
            loop.figures = figures
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_rss(pids, figures, stop))
        deadline = time.monotonic() + minutes * 60
        await asyncio.gather(*(loop.run(deadline) for loop in loops))
        figures.duration = time.monotonic() - figures.started
        stop.set()
        await sampler
    return figures


# --- report ------------------------------------------------------------------------------------


def percentile(values: array[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return quantiles(values, n=100, method="inclusive")[q - 1]


def report(figures: Figures, plot_dir: Path | None) -> None:
    duration = figures.duration
    every = array("d", (v for values in figures.latencies.values() for v in values))
    total = len(every) + sum(figures.errors.values())
    print(f"\nduration {duration:.0f} s, {total} requests, {total / duration:.1f} req/s")
    print(f"{'class':<14} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for kind, values in sorted(figures.latencies.items()):
        p50, p99 = percentile(values, 50), percentile(values, 99)
        print(f"{kind:<14} {len(values):>9} {p50:>8.1f} {p99:>8.1f}")
    p50, p99 = percentile(every, 50), percentile(every, 99)
    print(f"{'all':<14} {len(every):>9} {p50:>8.1f} {p99:>8.1f}")
    print(f"statuses: {dict(sorted(figures.statuses.items()))}")
    print(f"5xx: {sum(figures.five_hundreds.values())} {dict(figures.five_hundreds) or ''}")
    print(f"transport errors: {sum(figures.errors.values())} {dict(figures.errors) or ''}")
    print(f"{'instance':<12} {'RSS start MiB':>14} {'RSS end MiB':>12} {'max MiB':>8}")
    for name, series in figures.rss.items():
        values = [mib for _, mib in series]
        print(f"{name:<12} {values[0]:>14.1f} {values[-1]:>12.1f} {max(values):>8.1f}")
    if plot_dir is not None:
        buckets = [
            (index * BUCKET_S, count / BUCKET_S) for index, count in sorted(figures.buckets.items())
        ]
        print(f"plot: {plots.soak(plot_dir, buckets, figures.rss)}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=2.0, help="load duration (default 2)")
    parser.add_argument("--instances", type=int, default=2, help="instances of its own topology")
    parser.add_argument("--concurrency", type=int, default=16, help="client loops (default 16)")
    parser.add_argument("--topology", type=Path, help="state dir of a running up.sh topology")
    parser.add_argument("--entry", help="URL to load instead of the topology's nginx")
    parser.add_argument("--plot", type=Path, default=REPO / "bench" / "out", help="PNG dir")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    if not 0 < args.minutes <= 24 * 60 or not 1 <= args.concurrency <= 256:
        parser.error("--minutes must be in (0, 1440] and --concurrency in [1, 256]")
    return args


def run(args: argparse.Namespace, state: Path) -> int:
    topology = read_topology(state)
    entry = args.entry or topology["ENTRY_URL"]
    refuse_non_loopback(entry)
    pids = {
        f"instance-{n}": int(pid)
        for n, pid in enumerate(topology["INSTANCE_PIDS"].split(), start=1)
    }
    seed_if_empty(topology)
    print(f"soak: {args.minutes:g} min, {args.concurrency} loops, through {entry}", flush=True)
    figures = asyncio.run(soak(entry, args.minutes, args.concurrency, pids))
    report(figures, None if args.no_plot else args.plot)
    problems = asyncio.run(data_problems(topology["PRIMARY_URL"]))
    print("data: " + ("; ".join(problems) if problems else "every counter exact, no orphans"))
    failed = problems or figures.five_hundreds or figures.errors
    return 1 if failed else 0


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # finally blocks run: down.sh
    if args.topology is not None:
        raise SystemExit(run(args, args.topology.resolve()))
    with own_topology(args.instances) as state:
        status = run(args, state)
    raise SystemExit(status)


if __name__ == "__main__":
    main()
