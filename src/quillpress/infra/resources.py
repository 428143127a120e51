"""The typed resources a running app (or a CLI command) holds, built and closed in one place.

The app's lifespan opens one :class:`Resources` and closes it on shutdown; adapters reach
it through one accessor (``quillpress.api.resources.resources``), never through scattered
``app.state`` attributes. What later capabilities need (cache, limiter, metrics) is added
here as a field, built in :func:`open_resources`, so no adapter changes shape for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from quillpress.config import Settings
from quillpress.db.database import Database, Transaction
from quillpress.db.engine import create_engine
from quillpress.infra.events import EventBus, log_changes
from quillpress.infra.security import Security

__all__ = ["Database", "Resources", "Transaction", "open_resources"]


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    database: Database
    security: Security
    events: EventBus


@asynccontextmanager
async def open_resources(
    settings: Settings, *, security: Security | None = None, null_pool: bool = False
) -> AsyncIterator[Resources]:
    """Build every resource from ``settings``; dispose of them when the block ends.

    ``null_pool`` is for one-shot CLI commands: no connections are kept open."""
    events = EventBus()
    events.subscribe(log_changes)
    engine = create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        echo=settings.database_echo,
        null_pool=null_pool,
    )
    try:
        yield Resources(
            settings=settings,
            database=Database(engine, publish=events.publish),
            security=security or Security.from_settings(settings),
            events=events,
        )
    finally:
        await engine.dispose()
