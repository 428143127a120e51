"""Is the configured database usable? Checked once, before a command or the server starts.

Without this, a wrong URL surfaces as a driver traceback from deep inside a migration (or,
with several workers, once per worker). Here each way it can fail becomes one line that
names the variable, the URL (password masked) and what to check."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from quillpress.config import ConfigurationError, Settings, database_url_variable, mask_url
from quillpress.db.engine import create_engine

CONNECT_TIMEOUT_SECONDS = 5.0
POSTGRES_FORM = "postgresql://user:password@host:5432/name"


class DatabaseUnavailable(ConfigurationError):
    """The database URL is well-formed but what it points at cannot be used."""


async def check_database(
    settings: Settings, *, connect_seconds: float = CONNECT_TIMEOUT_SECONDS
) -> None:
    """Raise ``DatabaseUnavailable`` unless the database can be opened (SQLite: created)."""
    require_database_url(settings)
    url = make_url(settings.database_url)
    try:
        if url.get_backend_name() == "sqlite":
            _check_sqlite_path(url)
            await _open_sqlite(settings.database_url)
        else:
            await _open_postgres(url, connect_seconds)
    except _Problem as problem:
        shown = mask_url(settings.database_url)
        raise DatabaseUnavailable(
            f"{database_url_variable()}={shown!r}: {problem}"
        ) from problem.__cause__  # the driver's own error, for the DEBUG traceback


def require_database_url(settings: Settings) -> None:
    """Production must name its database: the SQLite file default is for development. A
    container started without ``QUILLPRESS_DATABASE_URL`` (the image sets production)
    otherwise failed later, on an unwritable directory or an empty schema, with a message
    that never said the URL was missing."""
    if settings.is_production and not settings.database_url_given:
        raise DatabaseUnavailable(
            "QUILLPRESS_ENV=production needs a database URL: set QUILLPRESS_DATABASE_URL "
            f"(e.g. {POSTGRES_FORM}; the SQLite file default is for development only)"
        )


class _Problem(Exception):
    """What is wrong, in words; the URL and variable are added by ``check_database``."""


def _check_sqlite_path(url: URL) -> None:
    problem = _sqlite_path_problem(url)
    if problem:
        raise _Problem(problem)


def _sqlite_path_problem(url: URL) -> str | None:
    database = url.database or ""
    if database in {"", ":memory:"} or database.startswith("file:"):
        return None
    path = Path(database).absolute()
    directory = path.parent
    if not directory.is_dir():
        return f"directory {directory} does not exist (create it, or fix the path)"
    if path.is_dir():
        return f"{path} is a directory, not a database file (fix the path)"
    # SQLite writes its WAL and shared-memory files next to the database file.
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"directory {directory} is not writable (fix its permissions, or the path)"
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return f"{path} is not readable and writable (fix its permissions)"
    return None


async def _open_sqlite(url: str) -> None:
    engine = create_engine(url, null_pool=True)
    try:
        async with engine.connect():
            pass
    except DBAPIError as error:  # e.g. "file is not a database"
        raise _Problem(f"cannot open it: {error.orig} (check the path)") from error
    finally:
        await engine.dispose()


async def _open_postgres(url: URL, connect_seconds: float) -> None:
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    engine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": connect_seconds})
    try:
        async with engine.connect():
            pass
    except Exception as raised:  # each failure becomes one line below
        error = raised.orig if isinstance(raised, DBAPIError) and raised.orig else raised
        raise _Problem(_postgres_reason(error, url, where, connect_seconds)) from error
    finally:
        await engine.dispose()


# SQLSTATE codes (PostgreSQL appendix A), read off the driver's error so this module does
# not depend on asyncpg's exception classes.
INVALID_CATALOG_NAME = "3D000"
LOGIN_REFUSED = {"28000", "28P01"}  # invalid authorization specification, invalid password


def _postgres_reason(error: BaseException, url: URL, where: str, timeout: float) -> str:
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate == INVALID_CATALOG_NAME:
        host, _, port = where.rpartition(":")
        user = f" -U {url.username}" if url.username else ""
        return (
            f'database "{url.database}" does not exist on {where} '
            f"(create it: createdb -h {host} -p {port}{user} {url.database})"
        )
    if sqlstate in LOGIN_REFUSED:
        return f"PostgreSQL at {where} refused the login: {error} (check the user and password)"
    if sqlstate is not None:
        return f"PostgreSQL at {where} refused the connection: {error}"
    if isinstance(error, socket.gaierror):
        return f"host {url.host!r} is not known (check the host name)"
    if isinstance(error, TimeoutError):
        return (
            f"PostgreSQL at {where} did not answer within {timeout:g} s "
            "(check the host, the port and any firewall)"
        )
    if isinstance(error, ConnectionRefusedError):
        return (
            f"nothing accepts connections at {where} "
            "(check that PostgreSQL is running and the host and port are right)"
        )
    if isinstance(error, OSError):
        return f"cannot reach PostgreSQL at {where}: {error.strerror or error}"
    return f"cannot connect to PostgreSQL at {where}: {error}"
