"""Test harness: every database-backed test runs once on SQLite and once on PostgreSQL.

The PostgreSQL leg is selected by ``QUILLPRESS_TEST_POSTGRES_URL`` (a server URL whose
user may create databases). Unset, those tests skip with the reason; with ``CI=true``,
unset or unreachable fails the run. Each run creates its own fresh database(s) from the
migrations and drops them at the end: the servers are shared and keep state."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from redis import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from quillpress.app import create_app
from quillpress.config import Settings, normalise_database_url
from quillpress.db import migrate
from quillpress.db.engine import create_engine, execute_outside_transaction
from tests.tcp_proxy import TcpProxy

POSTGRES_ENV = "QUILLPRESS_TEST_POSTGRES_URL"
REDIS_ENV = "QUILLPRESS_TEST_REDIS_URL"
ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TABLES = [
    "idempotency_key",
    "comment",
    "favorite",
    "article_tag",
    "tag",
    "follow",
    "article",
    "audit_event",
    "user_session",
    "app_user",
    "counter",
    "daily_count",
]
# Not ``cache_epoch``: its one row must survive the cleaning between tests (instances read
# it; a missing row reads as a change, never as an error).

# Cheap argon2 parameters: the production ones are covered by one dedicated test.
FAST_HASHING = {"password_time_cost": 1, "password_memory_kib": 1024, "password_parallelism": 1}
TEST_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "gc_freeze": False,  # a full collection per app start would cost minutes here
        # The production deadline (5 s) is for a database that stopped answering; on this
        # shared, loaded machine a commit can stall that long behind another run's
        # checkpoint. Tests of the deadline itself set a short one (tests/outages.py).
        "database_timeout_ms": 60_000,
        **FAST_HASHING,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def migrate_database(url: str) -> None:
    """A database at the head revision, from the packaged migrations (never create_all)."""
    engine = create_engine(url, null_pool=True)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


def _postgres_admin_url() -> str:
    raw = os.environ.get(POSTGRES_ENV, "").strip()
    if not raw:
        reason = f"{POSTGRES_ENV} is not set (e.g. postgresql://postgres@127.0.0.1:5432/postgres)"
        if ON_CI:
            pytest.fail(f"CI=true requires the PostgreSQL leg: {reason}", pytrace=False)
        pytest.skip(reason)
    return normalise_database_url(raw)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "quillpress.db"
        url = f"sqlite+aiosqlite:///{path}"
        asyncio.run(migrate_database(url))
        yield url
        return
    admin_url = _postgres_admin_url()
    name = f"quillpress_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(execute_outside_transaction(admin_url, f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # unreachable server, bad credentials…
        message = f"PostgreSQL at {POSTGRES_ENV} is unreachable: {exc}"
        if ON_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(migrate_database(url))
        yield url
    finally:
        asyncio.run(
            execute_outside_transaction(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )


def _redis_url() -> str:
    raw = os.environ.get(REDIS_ENV, "").strip()
    if not raw:
        reason = f"{REDIS_ENV} is not set (e.g. redis://127.0.0.1:6379/0)"
        if ON_CI:
            pytest.fail(f"CI=true requires the Redis leg: {reason}", pytrace=False)
        pytest.skip(reason)
    return raw


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A reachable Redis URL; this run's keys live under its own prefix (see
    ``redis_prefix``) and are deleted at the end: the server is shared."""
    url = _redis_url()
    try:
        with Redis.from_url(url, socket_connect_timeout=2) as client:
            client.ping()
    except Exception as exc:
        message = f"Redis at {REDIS_ENV} is unreachable: {exc}"
        if ON_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    yield url
    with Redis.from_url(url) as client:
        for key in client.scan_iter(match=f"{RUN_PREFIX}*", count=500):
            client.delete(key)


RUN_PREFIX = f"qp-test-{uuid.uuid4().hex[:12]}:"


@pytest.fixture
async def redis_proxy(redis_server: str) -> AsyncIterator[TcpProxy]:
    """A cuttable TCP proxy in front of this run's Redis: ``stop()`` cuts every connection
    and refuses new ones, ``start()`` restores it (aim at it with ``tcp_proxy.through``)."""
    target = urlsplit(redis_server)
    tcp = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await tcp.start()
    yield tcp
    await tcp.stop()


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix of this test's own, under the run's prefix."""
    return f"{RUN_PREFIX}{uuid.uuid4().hex[:8]}:"


@pytest.fixture
def backend(database_url: str) -> str:
    return make_url(database_url).get_backend_name()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


async def truncate(engine: AsyncEngine) -> None:
    """Empty every table (the databases are per run, the rows per test)."""
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        else:
            for table in TABLES:
                await conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (fixed names)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    # Generous: on a loaded two-core machine an app's startup (pool, first epoch read)
    # once took longer than asgi-lifespan's default 5 s; a real failure still shows.
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        try:
            yield application
        finally:
            await truncate(application.state.resources.database.engine)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


# `make test-fast`: every test under these directories (tests/<name>/) is marked ``fast``,
# so a new test there is in the fast loop without a mark; elsewhere only ``smoke`` tests
# are (one per API). The database tests' PostgreSQL leg is marked ``postgres``.
FAST_DIRECTORIES = frozenset({"unit", "services"})
TESTS_ROOT = Path(__file__).resolve().parent


def _directory(item: pytest.Item) -> str | None:
    """The ``tests/<name>/`` an item is in (``None`` at tests/ itself or outside it)."""
    if not item.path.is_relative_to(TESTS_ROOT):
        return None
    parts = item.path.relative_to(TESTS_ROOT).parts
    return parts[0] if len(parts) > 1 else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _directory(item) in FAST_DIRECTORIES or item.get_closest_marker("smoke"):
            item.add_marker(pytest.mark.fast)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "postgres":
            item.add_marker(pytest.mark.postgres)


def _skip_reason(report: pytest.TestReport) -> str:
    """A skip's reason without pytest's "Skipped: " prefix (``longrepr`` is a
    ``(path, line, reason)`` tuple for skips)."""
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Per-backend tallies, so a run shows at a glance what ran where, then each distinct
    skip reason once with its count (``-ra`` would print one line per skipped test, and
    the PostgreSQL leg alone skips hundreds for the same reason): addopts uses ``-rfE``."""
    reasons = Counter(_skip_reason(report) for report in terminalreporter.stats.get("skipped", []))
    tallies: dict[str, Counter[str]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            leg = (
                "postgres"
                if "[postgres" in nodeid
                else "sqlite"
                if "[sqlite" in nodeid
                else "no database"
            )
            if outcome == "passed" and getattr(report, "when", "call") != "call":
                continue
            tallies.setdefault(leg, Counter())[outcome] += 1
    if tallies:
        terminalreporter.write_sep("-", "tests per database")
        for leg, counts in sorted(tallies.items()):
            terminalreporter.write_line(
                f"{leg}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
            )
    if reasons:
        terminalreporter.write_sep("-", "skipped, by reason")
        for reason, count in reasons.most_common():
            terminalreporter.write_line(f"{count:>5} x {reason}")
