"""What the commands run on, outside the application: validated settings, a database
handle of their own, ``asyncio.run``, and the progress lines of a running server."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import typer

if TYPE_CHECKING:  # imported where they are used: `--help` must not load the application
    from collections.abc import AsyncIterator

    from quillpress.config import Settings
    from quillpress.db.database import Database

T = TypeVar("T")

log = logging.getLogger("quillpress.cli")  # the name the logs and their docs show


def load_settings(*, database: bool = False) -> Settings:
    """Validated settings; with ``database``, the database is checked to be usable too."""
    from quillpress.config import Settings
    from quillpress.infra.logging import configure_logging

    settings = Settings()
    configure_logging(settings)
    from quillpress.db.preflight import require_database_url

    require_database_url(settings)  # every command uses the database: before any warning
    if database:
        check_database(settings)
    return settings


def check_database(settings: Settings) -> None:
    """Reachable, existing, writable? One line (exit 2) if not, before any real work."""
    from quillpress.db import preflight

    run(preflight.check_database(settings))


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    import asyncio

    return asyncio.run(coroutine)


def say(settings: Settings, message: str, *, level: int = logging.INFO) -> None:
    """A progress line of a running server: plain text on the console in development
    (a warning in bold yellow on a terminal), a log record (so one JSON line, like every
    other) in production."""
    if settings.is_production:
        log.log(level, message)
    elif level >= logging.WARNING:  # bold yellow on a terminal, plain text anywhere else
        typer.secho(message, err=True, fg=typer.colors.YELLOW, bold=True)
    else:
        typer.echo(message, err=True)


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[Database]:
    """A database handle outside the app; the engine is disposed when the command ends.

    Every write through it also bumps the cache epoch in its own transaction, so running
    servers drop what they cached before it within their poll interval."""
    from quillpress.db.database import Database
    from quillpress.db.engine import create_engine

    engine = create_engine(settings.database_url, null_pool=True)
    try:
        yield Database(engine, bump_epoch_on_write=True)
    finally:
        await engine.dispose()
