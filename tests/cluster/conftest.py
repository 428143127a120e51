"""The cluster leg: a real topology of this run's own (``deploy/local/up.sh``: a PostgreSQL
primary and its streaming replica, Redis, two Quillpress instances in production mode and
nginx in front), started once per test session and stopped by ``down.sh`` at the end.

Selected by ``QUILLPRESS_TEST_CLUSTER=1``; unset, these tests skip with the reason, and with
``CI=true`` unset fails the run (like the PostgreSQL and Redis legs). Tests that break the
topology (kill an instance, stop the replica or Redis, run ``down.sh``) carry the
``disruptive`` marker and run after every other cluster test, in file order.

Other branches' tests build on the ``topology`` fixture: it is the parsed ``topology.env``
(every key ``up.sh`` writes), with typed accessors for the lists. The topology starts
with ``up.sh --seed`` (the demo data: 50 users, 500 articles), as an operator's would;
what the entry URL answered right after ``up.sh`` returned is kept in ``first_look``.
Scenarios that name their users empty the blog first (the ``fresh`` fixture)."""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from quillpress.config import normalise_database_url
from quillpress.db.engine import create_engine
from tests.conftest import ON_CI, TABLES

CLUSTER_ENV = "QUILLPRESS_TEST_CLUSTER"
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "local"
UP_TIMEOUT_S = 240
DOWN_TIMEOUT_S = 120
HTTP_TIMEOUT_S = 30.0


@pytest.hookimpl(trylast=True)  # after pytest's own reordering by fixture scope
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Disruptive tests last (a stable sort keeps each group's file order)."""
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "disruptive: breaks the shared topology, so it runs after the others"
    )


@dataclass(frozen=True)
class Topology:
    """What ``up.sh`` recorded: ``values`` holds every ``KEY=VALUE`` of ``topology.env``."""

    values: dict[str, str]
    output: str = ""
    """What ``up.sh`` printed."""
    first_look: dict[str, Any] = field(default_factory=dict)
    """Path → JSON body the entry URL answered right after ``up.sh`` returned."""

    @classmethod
    def read(cls, state_dir: Path) -> Topology:
        return cls(dict(topology_entries(state_dir)))

    def __getitem__(self, key: str) -> str:
        return self.values[key]

    @property
    def state_dir(self) -> Path:
        return Path(self["STATE_DIR"])

    @property
    def entry_url(self) -> str:
        return self["ENTRY_URL"]

    @property
    def instance_urls(self) -> list[str]:
        return self["INSTANCE_URLS"].split()

    @property
    def instance_pids(self) -> list[int]:
        return [int(pid) for pid in self["INSTANCE_PIDS"].split()]

    @property
    def pids(self) -> dict[str, int]:
        """Every recorded process: primary, replica, redis, nginx, instance-1…"""
        found = {
            name.lower(): int(self[f"{name}_PID"])
            for name in ("PRIMARY", "REPLICA", "REDIS", "NGINX")
        }
        for number, pid in enumerate(self.instance_pids, start=1):
            found[f"instance-{number}"] = pid
        return found

    @property
    def ports(self) -> dict[str, int]:
        found = {
            name.lower(): int(self[f"{name}_PORT"])
            for name in ("PRIMARY", "REPLICA", "REDIS", "NGINX")
        }
        for number, port in enumerate(self["INSTANCE_PORTS"].split(), start=1):
            found[f"instance-{number}"] = int(port)
        return found

    @property
    def primary_url(self) -> str:
        """The primary as an async SQLAlchemy URL (``PRIMARY_URL`` is the libpq form)."""
        return normalise_database_url(self["PRIMARY_URL"])

    @property
    def replica_url(self) -> str:
        return normalise_database_url(self["REPLICA_URL"])

    @property
    def secret_key(self) -> str:
        return Path(self["SECRET_KEY_FILE"]).read_text().strip()


def topology_entries(state_dir: Path) -> list[tuple[str, str]]:
    """Every ``KEY="value"`` line of ``topology.env``, in file order."""
    entries: list[tuple[str, str]] = []
    for line in (state_dir / "topology.env").read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            (word,) = shlex.split(line)  # KEY="value with spaces"
            key, _, value = word.partition("=")
            entries.append((key, value))
    return entries


# What the instances get on top of up.sh's production settings. As in tests/cache: these
# tests pin what a working Redis does (a hit after a fill), and on a loaded machine the
# production timeout (50 ms) turns some reads into bypasses; a stopped Redis refuses
# connections at once, so the outage test is not slowed by it.
INSTANCE_SETTINGS = {"QUILLPRESS_REDIS_TIMEOUT_MS": "1000"}


def run_script(name: str, state_dir: Path, *args: str, timeout: float) -> str:
    """Run ``deploy/local/<name>`` on ``state_dir``; its output, or a failure that shows it."""
    env = {**os.environ, **INSTANCE_SETTINGS, "QUILLPRESS_LOCAL_DIR": str(state_dir)}
    done = subprocess.run(  # noqa: S603 (this repository's own scripts)
        [str(DEPLOY / name), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"{name} exited {done.returncode}:\n{done.stdout}\n{done.stderr}", pytrace=False
        )
    return done.stdout


FIRST_LOOK = ("/api/articles", "/api/tags")


def start_topology(state_dir: Path, instances: int = 2, *, seed: bool = True) -> Topology:
    args = ["--instances", str(instances), *(["--seed"] if seed else [])]
    out = run_script("up.sh", state_dir, *args, timeout=UP_TIMEOUT_S)
    topology = Topology.read(state_dir)
    assert out.strip().splitlines()[-1] == topology.entry_url, out  # the last line
    first_look = {}
    for path in FIRST_LOOK:  # before anything else: what an operator sees at once
        response = httpx.get(topology.entry_url + path, timeout=HTTP_TIMEOUT_S)
        assert response.status_code == 200, (path, response.text)
        first_look[path] = response.json()
    return replace(topology, output=out, first_look=first_look)


def stop_topology(state_dir: Path) -> str:
    return run_script("down.sh", state_dir, timeout=DOWN_TIMEOUT_S)


def _cluster_selected() -> None:
    if os.environ.get(CLUSTER_ENV, "").strip() == "1":
        return
    reason = f"{CLUSTER_ENV} is not set to 1 (the cluster leg starts deploy/local/up.sh)"
    if ON_CI:
        pytest.fail(f"CI=true requires the cluster leg: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def topology() -> Iterator[Topology]:
    """This run's own topology. Its state lives in a fresh directory under the system temp
    dir, searchable by the ``postgres`` user (pytest's own temp dirs are private to root)."""
    _cluster_selected()
    parent = Path(tempfile.mkdtemp(prefix="quillpress-cluster-"))
    parent.chmod(0o755)
    state_dir = parent / "topology"
    try:
        yield start_topology(state_dir)
    finally:
        stop_topology(state_dir)  # idempotent: a disruptive test may have run it already
        parent.rmdir()


# --- helpers the cluster tests share ----------------------------------------------------


@pytest.fixture
async def primary(topology: Topology) -> AsyncIterator[AsyncEngine]:
    """An engine on the primary (no pool: each test's event loop is its own)."""
    engine = create_engine(topology.primary_url, null_pool=True)
    yield engine
    await engine.dispose()


BEHIND = text("SELECT pg_wal_lsn_diff(CAST(:target AS pg_lsn), pg_last_wal_replay_lsn())")


async def replica_caught_up(topology: Topology) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    primary = create_engine(topology.primary_url, null_pool=True)
    replica = create_engine(topology.replica_url, null_pool=True)
    try:
        async with primary.connect() as conn:
            target = (await conn.execute(text("SELECT pg_current_wal_lsn()"))).scalar_one()
        for _ in range(200):
            async with replica.connect() as conn:
                behind = (await conn.execute(BEHIND, {"target": target})).scalar_one()
            if behind <= 0:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"the replica did not replay up to {target} within 10 s")
    finally:
        await primary.dispose()
        await replica.dispose()


@pytest.fixture
async def fresh(topology: Topology, primary: AsyncEngine) -> None:
    """An empty blog for scenarios that name their users (``ann``, ``bob``…): every table
    emptied on the primary, this topology's Redis flushed (cache, sessions, counts: it is
    ours alone), and the replica caught up, so no instance reads rows from before."""
    async with primary.begin() as conn:
        await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    with Redis.from_url(topology["REDIS_URL"]) as redis:
        redis.flushall()
    await replica_caught_up(topology)


@pytest.fixture
async def through_nginx(topology: Topology) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=topology.entry_url, timeout=HTTP_TIMEOUT_S) as client:
        yield client


@pytest.fixture
async def instances(topology: Topology) -> AsyncIterator[list[httpx.AsyncClient]]:
    """One client per instance, straight to its port (no balancer in between)."""
    clients = [
        httpx.AsyncClient(base_url=url, timeout=HTTP_TIMEOUT_S) for url in topology.instance_urls
    ]
    try:
        yield clients
    finally:
        for client in clients:
            await client.aclose()


def unique(name: str) -> str:
    """A username no other test of the session uses (the topology's data is shared)."""
    return f"{name}{uuid.uuid4().hex[:8]}"
