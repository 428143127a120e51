"""The unit of work: one connection and one transaction per use case, never per request.

GraphQL resolves fields concurrently, and one connection must never serve two awaits at
once, so each use case opens its own. Writes commit once at the end or roll back whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from quillpress.domain.errors import Invalid

UNSTORABLE = {"input": ["contains a value the database cannot store or compare"]}


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # PostgreSQL reads run in autocommit: no BEGIN/ROLLBACK round trips around each
        # read. (SQLite reads are autocommit already; see db.engine.)
        self._reader = (
            engine
            if engine.dialect.name == "sqlite"
            else engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with _bad_input_is_invalid(), self._reader.connect() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        async with _bad_input_is_invalid(), self.engine.connect() as conn:
            await conn.execution_options(quillpress_write=True)
            async with conn.begin():
                yield conn


@asynccontextmanager
async def _bad_input_is_invalid() -> AsyncIterator[None]:
    """A "data exception" from the database (SQLSTATE class 22: a NUL byte in a path
    parameter, a number out of range…) is the client's input, so a 422, never a 500.
    Commands already refuse such values; this covers lookups by raw path or argument."""
    try:
        yield
    except DBAPIError as error:
        if not _is_data_exception(error):
            raise
        raise Invalid({key: list(messages) for key, messages in UNSTORABLE.items()}) from None


def _is_data_exception(error: DBAPIError) -> bool:
    """SQLSTATE class 22. asyncpg's errors reach SQLAlchemy untranslated, so read the code."""
    if isinstance(error, DataError):
        return True
    original = error.orig
    code = getattr(original, "pgcode", None) or getattr(original, "sqlstate", None)
    code = code or getattr(getattr(original, "__cause__", None), "sqlstate", None)
    return isinstance(code, str) and code.startswith("22")
