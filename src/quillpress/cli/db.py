"""``quillpress db upgrade | downgrade | current``: the packaged migrations, and the
search index language applied after migrating (``serve`` migrates the same way)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from quillpress.cli.root import command, commands
from quillpress.cli.runtime import database, load_settings, run, say

if TYPE_CHECKING:
    from quillpress.config import Settings
    from quillpress.db.database import Database

group = commands("Apply or revert the packaged database migrations.", no_args_is_help=True)


async def apply_search_language(settings: Settings, db: Database) -> None:
    """After migrating: the search index in ``QUILLPRESS_SEARCH_LANGUAGE`` (rebuilt, once,
    when it changed)."""
    from quillpress.db import search_language

    if await search_language.apply(db.engine, settings.search_language):
        say(settings, f"Search index rebuilt in {settings.search_language}.")


async def _migrate(settings: Settings, action: str, revision: str) -> str | None:
    from quillpress.db import migrate

    async with database(settings) as db:
        if action == "upgrade":
            await migrate.upgrade(db.engine, revision)
            await apply_search_language(settings, db)
        elif action == "downgrade":
            await migrate.downgrade(db.engine, revision)
        return await migrate.current_revision(db.engine)


def _report_revision(revision: str | None) -> None:
    typer.echo(f"Database at revision: {revision or 'base (no schema)'}")


@command(group)
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    _report_revision(run(_migrate(load_settings(database=True), "upgrade", revision)))


@command(group)
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")] = "-1",
) -> None:
    """Revert migrations down to REVISION (default: one step)."""
    settings = load_settings(database=True)
    _report_revision(run(_migrate(settings, "downgrade", revision)))


@command(group)
def current() -> None:
    """Print the revision the database is at."""
    _report_revision(run(_migrate(load_settings(database=True), "current", "")))
