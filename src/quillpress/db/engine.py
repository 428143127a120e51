"""Engine construction for both backends, with the SQLite settings that make it behave."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from quillpress.db.pool import FairQueuePool
from quillpress.db.stats import instrument

CONNECT_TIMEOUT_SECONDS = 5
SQLITE_BUSY_TIMEOUT_MS = 10_000
"""SQLite's wait for the write lock where no deadline is set (the CLI, migrations)."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    echo: bool = False,
    null_pool: bool = False,
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
    deadline: float | None = None,
) -> AsyncEngine:
    """``deadline`` (seconds) is for the engines that serve requests
    (``QUILLPRESS_DATABASE_TIMEOUT_MS``): every wait on the database gives up after it
    (waiting for a pooled connection, connecting, each statement on the server and in
    the driver, SQLite's wait for the write lock), so a server that stopped answering
    costs a request that long, then a 503. Migrations, ``seed``, the admin commands and
    the bench loader pass none: a long statement of theirs is not a fault."""
    # Statements are logged, their parameters never: they hold password hashes and
    # refresh-token digests (tests/cli/test_debug_log_secrets.py), and an error's text
    # (an IntegrityError a 500 logs) would carry them too.
    options: dict[str, Any] = {"hide_parameters": True}
    if echo:
        # SQLAlchemy's own echo adds a stdout handler in a second format; its logger at
        # INFO sends the same lines through the one pipeline of infra/logging.py instead.
        logging.getLogger("sqlalchemy.engine.Engine").setLevel(logging.INFO)
    sqlite = is_sqlite(url)
    if null_pool:
        options["poolclass"] = NullPool
    elif not sqlite:
        # No overflow: under load, overflow connections are opened and closed again for
        # every burst, and that churn cost more throughput (measured: 0.43x vs 0.61x of
        # the bench floor) than waiting a moment for one of the pooled connections.
        options.update(pool_size=pool_size, max_overflow=0, pool_pre_ping=False)
    if not null_pool and _pooled_file(url):
        # First come, first served: SQLAlchemy's asyncio queue lets a late request take a
        # returned connection from a woken waiter, which then queues again at the back
        # (db/pool.py: the list's p99 at 32 clients was 11x its p50).
        options["poolclass"] = FairQueuePool
        if deadline is not None:
            options["pool_timeout"] = deadline  # waiting for a pooled connection
    if not sqlite:
        server_settings = {
            # Every request is a few index lookups; a parallel plan only adds worker
            # start-up (measured: ?favorited= at 200k articles, p50 68 ms with workers,
            # 23 ms without; bench/README.md). JIT compilation likewise: a search whose
            # estimated cost crossed jit_above_cost spent 0.8 s compiling a plan that
            # then ran in 0.3 ms (repositories.search).
            "max_parallel_workers_per_gather": "0",
            "jit": "off",
        }
        # A black-holed server must cost a request seconds (then a 503), not asyncpg's
        # default minute.
        connect_args: dict[str, Any] = {"timeout": connect_timeout}
        if deadline is not None:
            connect_args["timeout"] = min(connect_timeout, deadline)
            # The server stops a statement past the deadline (a lock wait, a plan gone
            # wrong) and the driver stops waiting for one whose answer never comes (a
            # black-holed server; its cancel request is bounded by the same value).
            server_settings["statement_timeout"] = str(max(1, round(deadline * 1000)))
            connect_args["command_timeout"] = deadline
        connect_args["server_settings"] = server_settings
        options["connect_args"] = connect_args
    busy_ms = SQLITE_BUSY_TIMEOUT_MS if deadline is None else max(1, round(deadline * 1000))
    if sqlite:
        # sqlite3's own busy wait, in force while the connection is set up (the WAL
        # pragma may wait for a lock); the pragma below keeps it for the statements.
        options["connect_args"] = {"timeout": busy_ms / 1000}
    engine = create_async_engine(url, **options)
    if sqlite:
        _configure_sqlite(engine, busy_timeout_ms=busy_ms)
    else:
        event.listen(engine.sync_engine, "invalidate", _drop_at_once)
    instrument(engine)
    return engine


def _pooled_file(url: str) -> bool:
    """Whether the engine gets a queue pool (which takes ``pool_timeout``): PostgreSQL,
    or SQLite on a file (``:memory:`` gets a static pool of one connection)."""
    parsed = make_url(url)
    return parsed.get_backend_name() != "sqlite" or parsed.database not in (None, "", ":memory:")


def _drop_at_once(dbapi_connection: Any, _record: Any, _exception: Any) -> None:
    """An invalidated connection's socket is closed at once. SQLAlchemy would first try a
    polite close with a 2 s timeout, which on a server that no longer answers adds those
    2 s to the request that discards it (measured: /readyz took 4.0 s for its 2 s)."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and not driver.is_closed():
        driver.terminate()


async def execute_outside_transaction(url: str, statement: str) -> None:
    """One administrative statement in autocommit (``CREATE DATABASE`` and ``DROP DATABASE``
    refuse to run inside a transaction), on a connection of its own."""
    engine = create_engine(url, null_pool=True)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()


def _configure_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int) -> None:
    """Foreign keys on (else ON DELETE does nothing), WAL and a busy timeout (else several
    workers see "database is locked"; past it, the request is a 503), and explicit
    BEGINs for writes (SQLAlchemy's documented pysqlite recipe) so transactions are real
    and take the lock up front."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Reads stay in autocommit (each statement sees a consistent snapshot); writes
        # take the write lock at BEGIN so they queue on busy_timeout instead of failing.
        if conn.get_execution_options().get("quillpress_write", False):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
