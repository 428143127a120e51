"""Which failures mean "the database cannot serve now" (a 503 with ``Retry-After``) rather
than a bug (a 500): decided here, in one function, for every path that reaches a database.

The rule, for an error or anything in its chain of causes (SQLAlchemy wraps the driver's
error, which may wrap an ``OSError``):

- **While a connection is being opened** (waiting for the pool, connecting, the driver's
  set-up statements), every failure the driver, the network or the pool reports counts:
  the server refusing us for whatever reason (``55000`` not accepting connections, ``3D000``
  database dropped, ``53300`` too many connections, ``57P03`` starting up, ``28…`` a
  rejected login after a credentials rotation) leaves this instance unable to serve, and no
  code of ours can be wrong about it. Only errors no driver raises (``TypeError`` …) stay
  bugs.
- **On an open connection**, by SQLSTATE: class ``08`` (connection exception), ``53``
  (insufficient resources), ``57P`` (shutdown, crash, database dropped), ``57014``
  (``statement_timeout`` ran out: the deadline), ``25006`` (a read-only primary refusing a
  write: a failover in progress), ``58030`` (I/O error); without one, the driver saying the
  connection is gone (SQLAlchemy's ``connection_invalidated``, asyncpg's "connection is
  closed"), a timeout (the deadline: asyncpg's ``command_timeout``, the pool's checkout),
  an ``OSError``, and SQLite's busy, locked, can't-open, I/O, full and read-only codes
  (``database is locked`` past the busy wait).

Anything else (a syntax error, a constraint of ours, another operation in progress on
one connection) is a bug and stays a 500."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Literal

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

UNAVAILABLE_SQLSTATES = ("08", "53", "57P", "57014", "25006", "58030")
"""SQLSTATE prefixes (classes or exact codes) of a database that cannot serve now."""
SQLITE_UNAVAILABLE = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_FULL",
    "SQLITE_READONLY",
    "SQLITE_NOMEM",
    "SQLITE_PROTOCOL",
)
"""SQLite result codes (with their extended forms, ``SQLITE_BUSY_SNAPSHOT`` …) that say the
same: the file is locked past the busy wait, unreadable, unwritable or full."""
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    DBAPIError,
    DisconnectionError,
    PoolTimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    sqlite3.Error,
)
"""What only the database's drivers and SQLAlchemy's pool raise."""
DRIVER_ERRORS: tuple[type[BaseException], ...] = (*DATABASE_ERRORS, OSError, TimeoutError)
"""With the network's and the clock's: while connecting, each of them counts."""


def is_unavailable(error: BaseException, *, connecting: bool = False) -> bool:
    """Whether ``error`` says the database cannot serve now (see the module's rule);
    ``connecting``: it was raised while a connection was being opened."""
    chain = list(_chain(error))
    if connecting and any(isinstance(link, DRIVER_ERRORS) for link in chain):
        return True
    return any(_says_unavailable(link) for link in chain)


def read_only_refusal(error: BaseException) -> bool:
    """A write refused because the primary is read-only (``25006``: a failover, or a
    standby promoted to nothing yet)."""
    return any(_sqlstate(link) == "25006" for link in _chain(error))


def _says_unavailable(error: BaseException) -> bool:
    code = _sqlstate(error)
    if code is not None:
        return code.startswith(UNAVAILABLE_SQLSTATES)
    if isinstance(error, DBAPIError):
        return error.connection_invalidated
    if isinstance(error, OSError | TimeoutError | PoolTimeoutError | DisconnectionError):
        return True  # OSError includes ConnectionRefusedError, ConnectionResetError…
    if isinstance(error, asyncpg.InterfaceError):
        return "closed" in str(error)  # "connection is closed"; not "another operation…"
    if isinstance(error, sqlite3.Error):
        name = getattr(error, "sqlite_errorname", "") or ""
        text = str(error).lower()
        return name.startswith(SQLITE_UNAVAILABLE) or (
            # aiosqlite's own, as SQLAlchemy's adapter reports it: the thread is gone.
            not name and ("closed" in text or "no active connection" in text)
        )
    return False


def _sqlstate(error: BaseException) -> str | None:
    """asyncpg's ``sqlstate`` (raw, or copied by SQLAlchemy's adapter as ``pgcode``)."""
    code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return code if isinstance(code, str) and code else None


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error``, the driver error SQLAlchemy wraps (``orig``), and their explicit causes."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        link = pending.pop()
        if link is None or id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        orig = getattr(link, "orig", None)
        # Not ``__context__``: a bug raised while an outage was being handled is a bug.
        pending += [orig if isinstance(orig, BaseException) else None, link.__cause__]


PrimaryState = Literal["up", "down", "read_only"]


class PrimaryHealth:
    """What the units of work on the primary last learned of it, for the
    ``quillpress_database_primary_up`` metric and readiness: ``up``, ``down`` (it could not
    serve) or ``read_only`` (it answers but refuses writes, ``25006``).

    A read that succeeds proves a down primary is back, but not that a read-only one takes
    writes again: only a committed write or a readiness probe (which asks the server)
    clears ``read_only``, so the metric does not flap between a failing write and the
    cache epoch's next successful read."""

    __slots__ = ("_listeners", "state")

    def __init__(self) -> None:
        self.state: PrimaryState | None = None
        self._listeners: list[Callable[[PrimaryState], None]] = []

    def subscribe(self, listener: Callable[[PrimaryState], None]) -> None:
        self._listeners.append(listener)
        if self.state is not None:
            listener(self.state)

    def answered(self, *, wrote: bool = False) -> None:
        if wrote or self.state != "read_only":
            self.set("up")

    def failed(self, error: BaseException) -> None:
        self.set("read_only" if read_only_refusal(error) else "down")

    def set(self, state: PrimaryState) -> None:
        if state == self.state:
            return
        self.state = state
        for listener in self._listeners:
            listener(state)
