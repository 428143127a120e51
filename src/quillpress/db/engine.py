"""Engine construction for both backends, with the SQLite settings that make it behave."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from quillpress.db.stats import instrument

CONNECT_TIMEOUT_SECONDS = 5


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    echo: bool = False,
    null_pool: bool = False,
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
) -> AsyncEngine:
    # Statements are logged, their parameters never: they hold password hashes and
    # refresh-token digests (tests/cli/test_debug_log_secrets.py), and an error's text
    # (an IntegrityError a 500 logs) would carry them too.
    options: dict[str, Any] = {"hide_parameters": True}
    if echo:
        # SQLAlchemy's own echo adds a stdout handler in a second format; its logger at
        # INFO sends the same lines through the one pipeline of infra/logging.py instead.
        logging.getLogger("sqlalchemy.engine.Engine").setLevel(logging.INFO)
    if null_pool:
        options["poolclass"] = NullPool
    elif not is_sqlite(url):
        # No overflow: under load, overflow connections are opened and closed again for
        # every burst, and that churn cost more throughput (measured: 0.43x vs 0.61x of
        # the bench floor) than waiting a moment for one of the pooled connections.
        options.update(pool_size=pool_size, max_overflow=0, pool_pre_ping=False)
    if not is_sqlite(url):
        # A black-holed server must cost a request seconds (then a 503), not asyncpg's
        # default minute.
        options["connect_args"] = {
            "timeout": connect_timeout,
            # Every request is a few index lookups; a parallel plan only adds worker
            # start-up (measured: ?favorited= at 200k articles, p50 68 ms with workers,
            # 23 ms without; bench/README.md). JIT compilation likewise: a search whose
            # estimated cost crossed jit_above_cost spent 0.8 s compiling a plan that
            # then ran in 0.3 ms (repositories.search).
            "server_settings": {"max_parallel_workers_per_gather": "0", "jit": "off"},
        }
    engine = create_async_engine(url, **options)
    if is_sqlite(url):
        _configure_sqlite(engine)
    instrument(engine)
    return engine


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


def _configure_sqlite(engine: AsyncEngine) -> None:
    """Foreign keys on (else ON DELETE does nothing), WAL and a busy timeout (else several
    workers see "database is locked"), and explicit BEGINs for writes (SQLAlchemy's
    documented pysqlite recipe) so transactions are real and take the lock up front."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Reads stay in autocommit (each statement sees a consistent snapshot); writes
        # take the write lock at BEGIN so they queue on busy_timeout instead of failing.
        if conn.get_execution_options().get("quillpress_write", False):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
