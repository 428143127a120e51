"""A PostgreSQL fast path for the hottest one-value reads: the same statement, compiled
once by SQLAlchemy, sent straight through asyncpg.

Measured on an open connection (PostgreSQL, uvloop, CPU per execution): the session check
built once with bound parameters costs 0.07 ms through SQLAlchemy's execution and result
machinery, 0.03 ms as asyncpg's own ``fetchval`` (which prepares it once per connection
and keeps it in asyncpg's statement cache). Every authenticated request runs it.

What stays the same as the SQLAlchemy path:

- the SQL: it is the statement's own compilation for the connection's dialect, so there
  is one definition of it (the repository's ``Select``) and SQLite runs that as before;
- the statement counter (``Server-Timing``, metrics, the request's log line) counts it;
- failures: anything the raw call raises makes it run again through SQLAlchemy on the
  same connection, which translates and invalidates exactly as it always does (a read can
  be repeated);
- only an autocommit connection (``Database.read()`` on PostgreSQL) takes it: inside a
  transaction SQLAlchemy's driver adapter owns BEGIN, so those go the usual way.

``tests/db/test_fastpath.py`` runs both paths against the same rows on both backends."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from quillpress.db.stats import current_stats

_compiled: dict[tuple[int, int], tuple[Select[Any], str, tuple[str, ...]]] = {}
"""(statement, dialect) → (statement, SQL, parameter names in position order). The
statements are module-level constants; the entry keeps its statement alive so its id is
never reused."""


def _positional(statement: Select[Any], conn: AsyncConnection) -> tuple[str, tuple[str, ...]]:
    dialect = conn.dialect
    key = (id(statement), id(dialect))
    found = _compiled.get(key)
    if found is None:
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        found = _compiled[key] = (statement, str(compiled), names)
    return found[1], found[2]


async def _driver_connection(conn: AsyncConnection) -> Any | None:
    """The asyncpg connection under ``conn`` when it is in autocommit, else ``None``."""
    if conn.dialect.driver != "asyncpg":
        return None
    fairy = await conn.get_raw_connection()
    adapted = fairy.dbapi_connection
    if adapted is None or not getattr(adapted, "autocommit", False):
        return None
    return fairy.driver_connection


async def scalar(conn: AsyncConnection, statement: Select[Any], params: dict[str, Any]) -> Any:
    """The first column of the first row of ``statement`` (``None`` without a row), as
    ``(await conn.execute(statement, params)).scalar()`` returns it."""
    driver = await _driver_connection(conn)
    if driver is not None:
        sql, names = _positional(statement, conn)
        started = time.perf_counter()
        try:
            value = await driver.fetchval(sql, *(params[name] for name in names))
        except Exception:
            # SQLAlchemy runs it again below and reports (or invalidates) its own way.
            return (await conn.execute(statement, params)).scalar()
        stats = current_stats.get()
        if stats is not None:
            stats.count += 1
            stats.seconds += time.perf_counter() - started
            if stats.statements is not None:
                stats.statements.append(sql)
        return value
    return (await conn.execute(statement, params)).scalar()
