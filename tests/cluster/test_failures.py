"""What the topology survives, and that it can be taken down cleanly. Each test here
breaks the shared topology, so they run last (``disruptive``), in this order: an instance
killed under load, then the replica and Redis stopped, then ``down.sh``."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.cluster.conftest import Topology, stop_topology, unique
from tests.helpers import create_article, register

pytestmark = pytest.mark.disruptive

READERS = 8
LOAD_BEFORE_KILL_S = 2.0
LOAD_AFTER_KILL_S = 4.0
PG_CTL = "/usr/lib/postgresql/15/bin/pg_ctl"
RUNUSER = "/usr/sbin/runuser"


def alive(pid: int) -> bool:
    """Running: a zombie has exited (it only waits for a parent to collect its status)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def wait_gone(pid: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while alive(pid):
        assert time.monotonic() < deadline, f"pid {pid} still running after {timeout}s"
        time.sleep(0.05)


async def read_load(
    client: httpx.AsyncClient, paths: list[str], stop: asyncio.Event
) -> tuple[int, Counter[str]]:
    """GETs in a loop until ``stop``: how many, and every failure by kind."""
    done, failures = 0, Counter[str]()
    while not stop.is_set():
        path = paths[done % len(paths)]
        try:
            response = await client.get(path)
            if response.status_code != 200:
                failures[f"{path} -> {response.status_code}"] += 1
        except httpx.HTTPError as exc:
            failures[f"{path} -> {type(exc).__name__}"] += 1
        done += 1
    return done, failures


async def test_killing_an_instance_under_a_read_load_fails_no_get(topology: Topology) -> None:
    async with httpx.AsyncClient(base_url=topology.entry_url, timeout=30.0) as client:
        author = await register(client, unique("loadauthor"))
        article = await create_article(client, author, title=unique("Read under load"))
        paths = [
            "/api/articles",
            f"/api/articles/{article['slug']}",
            "/api/tags",
            f"/api/profiles/{article['author']['username']}",
            f"/api/articles/{article['slug']}/comments",
        ]
        stop = asyncio.Event()
        readers = [asyncio.create_task(read_load(client, paths, stop)) for _ in range(READERS)]
        await asyncio.sleep(LOAD_BEFORE_KILL_S)
        victim = topology.instance_pids[0]
        os.kill(victim, signal.SIGKILL)
        await asyncio.sleep(LOAD_AFTER_KILL_S)
        stop.set()
        results = await asyncio.gather(*readers)
    wait_gone(victim)
    total = sum(done for done, _ in results)
    failures = sum((found for _, found in results), Counter[str]())
    assert total >= 50, f"only {total} GETs ran: the load test measured nothing"
    assert not failures, f"{sum(failures.values())} of {total} GETs failed: {dict(failures)}"


async def serves_reads_and_writes(client: httpx.AsyncClient, label: str) -> None:
    """A new account, an article, a comment and a favorite, then reads of each."""
    name = unique(label)
    headers = await register(client, name)
    article = await create_article(client, headers, title=unique(label), tagList=[label])
    slug = article["slug"]
    comment = await client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": "still here"}}, headers=headers
    )
    assert comment.status_code == 201, comment.text
    favorite = await client.post(f"/api/articles/{slug}/favorite", headers=headers)
    assert favorite.status_code == 200, favorite.text
    for path in (
        f"/api/articles/{slug}",
        f"/api/articles?author={name}",
        f"/api/articles?tag={label}",
        f"/api/articles/{slug}/comments",
        "/api/tags",
        "/api/user",
    ):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
    read = (await client.get(f"/api/articles/{slug}", headers=headers)).json()["article"]
    assert read["favorited"] is True
    assert read["favoritesCount"] == 1


def stop_replica(topology: Topology) -> None:
    """As an operator would: ``pg_ctl stop`` (fast) as the postgres user."""
    command = [RUNUSER, "-u", "postgres", "--", PG_CTL, "stop", "-m", "fast", "-w"]
    command += ["-D", topology["REPLICA_DATA"]]
    subprocess.run(command, check=True, capture_output=True, timeout=60)  # noqa: S603 (fixed)


async def test_the_api_serves_without_the_replica_and_then_without_redis(
    topology: Topology,
) -> None:
    async with httpx.AsyncClient(base_url=topology.entry_url, timeout=30.0) as client:
        await serves_reads_and_writes(client, "before")
        await asyncio.to_thread(stop_replica, topology)
        wait_gone(topology.pids["replica"])
        await serves_reads_and_writes(client, "noreplica")
        redis = topology.pids["redis"]
        os.kill(redis, signal.SIGTERM)
        wait_gone(redis)
        await serves_reads_and_writes(client, "noredis")


def _descendants(pids: set[int]) -> set[int]:
    """``pids`` and every process below them (PostgreSQL's backends, nginx's workers)."""
    found = set(pids)
    while True:
        more = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
            if ppid in found and int(entry.name) not in found:
                more.add(int(entry.name))
        if not more:
            return found
        found |= more


def listening_ports() -> set[int]:
    """Every TCP port something listens on (IPv4 and IPv6), from /proc/net/tcp*."""
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                ports.add(int(fields[1].rpartition(":")[2], 16))
    return ports


def test_down_leaves_no_process_and_no_listening_port(topology: Topology) -> None:
    recorded = set(topology.pids.values())
    processes = {pid for pid in _descendants(recorded) if alive(pid)}
    assert processes, "nothing of the topology was running before down.sh"
    ports = set(topology.ports.values())
    assert ports & listening_ports(), "no port of the topology was listening before down.sh"

    out = stop_topology(topology.state_dir)

    assert not [pid for pid in processes if alive(pid)], out
    assert not ports & listening_ports(), out
    assert not topology.state_dir.exists()
    assert "nothing to stop" in stop_topology(topology.state_dir)  # idempotent
