"""The one rule for "the database cannot serve now" (a 503) versus a bug (a 500), on the
errors the drivers really raise: asyncpg's by SQLSTATE, SQLite's from a real locked file,
SQLAlchemy's wrappers around them. (The outage tests drive the same rule end to end:
tests/rest/test_database_outages.py.)"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from quillpress.db.failures import PrimaryHealth, is_unavailable, read_only_refusal

E = asyncpg.exceptions


@pytest.mark.parametrize(
    "error",
    [
        E.ObjectNotInPrerequisiteStateError("database is not currently accepting connections"),
        E.InvalidCatalogNameError('database "gone" does not exist'),
        E.TooManyConnectionsError("too many connections for role"),
        E.CannotConnectNowError("the database system is starting up"),
        E.InvalidPasswordError("password authentication failed"),
        ConnectionRefusedError(111, "Connect call failed"),
        TimeoutError(),
        PoolTimeoutError("QueuePool limit reached"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_any_driver_failure_while_connecting_is_unavailability(error: Exception) -> None:
    assert is_unavailable(error, connecting=True)


def test_a_bug_while_connecting_stays_a_bug() -> None:
    assert not is_unavailable(TypeError("unexpected keyword argument"), connecting=True)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (E.AdminShutdownError("terminating connection due to administrator command"), True),
        (E.ConnectionDoesNotExistError("connection was closed in the middle of operation"), True),
        (E.QueryCanceledError("canceling statement due to statement timeout"), True),
        (E.ReadOnlySQLTransactionError("cannot execute INSERT in a read-only transaction"), True),
        (E.TooManyConnectionsError("too many connections"), True),
        (E.DiskFullError("could not extend file"), True),
        (E.InterfaceError("connection is closed"), True),
        (ConnectionResetError(104, "Connection reset by peer"), True),
        # Bugs: on an open connection these are ours to fix, not the database's outage.
        (E.PostgresSyntaxError('syntax error at or near "SELEC"'), False),
        (E.UniqueViolationError("duplicate key value"), False),
        (E.ObjectNotInPrerequisiteStateError("currval of sequence is not yet defined"), False),
        (E.InterfaceError("cannot perform operation: another operation is in progress"), False),
        (ValueError("bad value"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_on_an_open_connection_the_sqlstate_decides(error: Exception, unavailable: bool) -> None:
    assert is_unavailable(error) is unavailable
    wrapped = DBAPIError("SELECT 1", None, error)  # as SQLAlchemy raises it
    assert is_unavailable(wrapped) is unavailable


def test_sqlite_locked_past_its_busy_wait_is_unavailability_and_a_missing_table_is_a_bug(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError) as locked:
            other.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError) as missing:
            other.execute("SELECT * FROM no_such_table")
    finally:
        holder.close()
        other.close()
    assert is_unavailable(OperationalError("BEGIN IMMEDIATE", None, locked.value))
    assert not is_unavailable(OperationalError("SELECT", None, missing.value))


def test_the_primary_stays_read_only_until_a_write_or_a_probe_says_otherwise() -> None:
    health = PrimaryHealth()
    seen: list[str] = []
    health.subscribe(seen.append)
    health.answered()
    refusal = DBAPIError("INSERT", None, E.ReadOnlySQLTransactionError("read-only"))
    assert read_only_refusal(refusal)
    health.failed(refusal)
    health.answered()  # a read succeeding proves nothing about writes
    assert health.state == "read_only"
    health.answered(wrote=True)
    health.failed(DBAPIError("SELECT", None, E.AdminShutdownError("terminating")))
    health.answered()
    assert seen == ["up", "read_only", "up", "down", "up"]
