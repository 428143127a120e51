"""The unit of work: one connection and one transaction per use case, never per request.

GraphQL resolves fields concurrently, and one connection must never serve two awaits at
once, so each use case opens its own. Writes commit once at the end or roll back whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class UnitOfWork:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            await conn.execution_options(quillpress_write=True)
            async with conn.begin():
                yield conn
