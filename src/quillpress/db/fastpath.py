"""A PostgreSQL fast path for the hottest reads (the session check, a list's page): the
same statement, compiled once by SQLAlchemy, sent straight through asyncpg.

Measured on an open connection (PostgreSQL, uvloop, CPU per execution): the session check
built once with bound parameters costs 0.07 ms through SQLAlchemy's execution and result
machinery, 0.03 ms as asyncpg's own ``fetchval`` (which prepares it once per connection
and keeps it in asyncpg's statement cache). Every authenticated request runs it.

What stays the same as the SQLAlchemy path:

- the SQL: it is the statement's own compilation for the connection's dialect, so there
  is one definition of it (the repository's ``Select``) and SQLite runs that as before;
- the statement counter (``Server-Timing``, metrics, the request's log line) counts it;
- failures: a statement the deadline stopped (asyncpg's ``command_timeout``, set on the
  connection for the raw calls too) is raised as it is, for the unit of work to discard
  the connection and answer 503: asking again on that connection would wait out a
  second deadline. Anything else the raw call raises makes it run again through
  SQLAlchemy on the same connection, which translates and invalidates exactly as it
  always does (a read can be repeated; a lost connection fails again at once, and
  SQLAlchemy then discards the whole pool's);
- only an autocommit connection (``Database.read()`` on PostgreSQL) takes it: inside a
  transaction SQLAlchemy's driver adapter owns BEGIN, so those go the usual way.

``tests/db/test_fastpath.py`` runs both paths against the same rows on both backends."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from quillpress.db.stats import current_stats

_compiled: dict[tuple[int, int], tuple[Select[Any], str, tuple[str, ...], dict[str, Any]]] = {}
"""(statement, dialect) → (statement, SQL, parameter names in position order, the values
the statement binds itself, such as a literal compared with). The statements are
module-level constants or cached per shape; the entry keeps its statement alive so its id
is never reused."""


def _prepared(
    statement: Select[Any], conn: AsyncConnection
) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    dialect = conn.dialect
    key = (id(statement), id(dialect))
    found = _compiled.get(key)
    if found is None:
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        found = _compiled[key] = (statement, str(compiled), names, dict(compiled.params))
    return found[1], found[2], found[3]


def _arguments(names: tuple[str, ...], params: dict[str, Any], bound: dict[str, Any]) -> list[Any]:
    return [params[name] if name in params else bound[name] for name in names]


TRACED = "quillpress_traced"
"""Execution option of an engine whose statements are traced (``infra.otel``): every
statement goes through SQLAlchemy there, where the spans are made."""


async def _driver_connection(conn: AsyncConnection) -> Any | None:
    """The asyncpg connection under ``conn`` when it is in autocommit (and not traced),
    else ``None``."""
    synchronous = conn.sync_connection
    if conn.dialect.driver != "asyncpg" or synchronous is None:
        return None
    if synchronous.get_execution_options().get(TRACED):
        return None
    fairy = await conn.get_raw_connection()
    adapted = fairy.dbapi_connection
    if adapted is None or not getattr(adapted, "autocommit", False):
        return None
    return fairy.driver_connection


async def _direct(
    conn: AsyncConnection, statement: Select[Any], params: dict[str, Any], fetch: str
) -> tuple[bool, Any]:
    """``(True, result)`` of the asyncpg call ``fetch`` (``fetchval``, ``fetch``) on the
    statement's own SQL, counted like any statement; ``(False, None)`` when the fast path
    does not apply or the raw call failed (the caller then runs it through SQLAlchemy,
    which translates or invalidates its own way: a read can be repeated). The deadline's
    timeout is raised as it is: the unit of work discards the connection."""
    driver = await _driver_connection(conn)
    if driver is None:
        return False, None
    sql, names, bound = _prepared(statement, conn)
    started = time.perf_counter()
    try:
        result = await getattr(driver, fetch)(sql, *_arguments(names, params, bound))
    except TimeoutError:
        raise
    except Exception:
        return False, None
    stats = current_stats.get()
    if stats is not None:
        stats.count += 1
        stats.seconds += time.perf_counter() - started
        if stats.statements is not None:
            stats.statements.append(sql)
    return True, result


async def scalar(conn: AsyncConnection, statement: Select[Any], params: dict[str, Any]) -> Any:
    """The first column of the first row of ``statement`` (``None`` without a row), as
    ``(await conn.execute(statement, params)).scalar()`` returns it."""
    done, value = await _direct(conn, statement, params, "fetchval")
    return value if done else (await conn.execute(statement, params)).scalar()


async def rows(
    conn: AsyncConnection, statement: Select[Any], params: dict[str, Any]
) -> Sequence[Sequence[Any]]:
    """Every row of ``statement`` as its column values in the statement's order (asyncpg's
    records, or SQLAlchemy's rows): the repository builds its typed row from them by
    position (``ArticleRow(*record)``). The values are the database driver's, untyped
    here. The statement must be built once (a module constant, or cached per shape) and
    select plainly typed columns: the values are asyncpg's own (SQLAlchemy's result
    processing is not applied)."""
    done, records = await _direct(conn, statement, params, "fetch")
    if not done:
        return (await conn.execute(statement, params)).all()
    found: Sequence[Sequence[Any]] = records
    return found


async def column(
    conn: AsyncConnection, statement: Select[Any], params: dict[str, Any]
) -> list[Any]:
    """The first column of every row of ``statement``, as
    ``(await conn.execute(statement, params)).scalars().all()`` returns it (measured: for the
    up to 500 names of ``GET /api/tags``, SQLAlchemy's row-by-row result iteration was a
    fifth of the request's CPU)."""
    done, records = await _direct(conn, statement, params, "fetch")
    if not done:
        return list((await conn.execute(statement, params)).scalars())
    return [record[0] for record in records]
