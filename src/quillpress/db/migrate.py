"""Run the packaged Alembic migrations from code: `serve`, `db upgrade` and the tests all
come through here, so the schema has exactly one source, in any working directory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import column, inspect, select, table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from quillpress.db import cache_epoch

MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    return config


def _run(sync_connection: Any, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = sync_connection
    getattr(command, action)(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _migrate(engine, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str = "-1") -> None:
    await _migrate(engine, "downgrade", revision)


async def _migrate(engine: AsyncEngine, action: str, revision: str) -> None:
    """Run ``action`` in one transaction. A migration that changed the revision is a write
    outside the server (it may rewrite rows cached as they were): it bumps the cache
    epoch in the same transaction, when the schema has one. Already at the target (every
    ``serve`` start, every command that migrates first): no bump, so a restart never
    empties every instance's cache."""
    async with engine.connect() as conn:
        await conn.execution_options(quillpress_write=True)
        async with conn.begin():
            before = await conn.run_sync(_current)
            await conn.run_sync(_run, action, revision)
            after = await conn.run_sync(_current)
            if after != before and await conn.run_sync(_has_epoch):
                await cache_epoch.bump(conn)
    if after != before:
        log.info(
            "Migrated the database",
            extra={"from_revision": before or "base", "to_revision": after or "base"},
        )


def _current(sync_connection: Any) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(sync_connection).get_current_revision()


def head_revision() -> str | None:
    """The newest packaged revision: what ``upgrade`` brings a database to."""
    return script_revisions()[0]


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


def script_revisions() -> tuple[str | None, frozenset[str]]:
    """The packaged scripts' head and every revision they know (read from disk: call it
    once, at startup)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    known = frozenset(revision.revision for revision in script.walk_revisions())
    return script.get_current_head(), known


def _has_epoch(sync_connection: Any) -> bool:
    return bool(inspect(sync_connection).has_table("cache_epoch"))


def _has_version_table(sync_connection: Any) -> bool:
    return bool(inspect(sync_connection).has_table("alembic_version"))


VERSION_TABLE = table("alembic_version", column("version_num"))


async def revision_on(conn: AsyncConnection) -> str | None:
    """The revision recorded in the database ``conn`` is connected to (``None``: none).

    One statement, and quiet: Alembic's ``MigrationContext`` would log two INFO lines
    each time, for a readiness probe that runs every few seconds."""
    try:
        revision = (await conn.execute(select(VERSION_TABLE.c.version_num))).scalar()
    except DBAPIError as error:
        if error.connection_invalidated or await conn.run_sync(_has_version_table):
            raise
        return None  # a database never migrated
    return None if revision is None else str(revision)
