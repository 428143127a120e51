"""``quillpress cache flush``: retire every cached entry on every running server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from quillpress.cli.failures import fail
from quillpress.cli.root import command, commands
from quillpress.cli.runtime import database, load_settings, run

if TYPE_CHECKING:
    from quillpress.config import Settings

group = commands("Operate the response cache.", no_args_is_help=True)


async def _flush_cache(settings: Settings) -> str:
    from quillpress.db import migrate
    from quillpress.infra.epoch import CacheEpoch

    async with database(settings) as db:
        await migrate.upgrade(db.engine)  # as the other commands do: the table exists
        return await CacheEpoch(db).flush("operator")


@command(group, "flush")
def cache_flush() -> None:
    """Retire every cached entry on every running server.

    It bumps the cache epoch kept in the database.
    Running servers drop older entries within a second.
    Run it after restoring the database or editing rows with raw SQL."""
    from quillpress.domain.errors import DomainError

    settings = load_settings(database=True)
    try:
        token = run(_flush_cache(settings))
    except DomainError as error:
        fail(f"cannot flush the cache: {error.describe()}")
    typer.echo(f"Cache flushed (epoch {token[:8]}…): servers drop older entries within a second.")
