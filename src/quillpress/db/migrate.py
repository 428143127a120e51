"""Run the packaged Alembic migrations from code: `serve`, `db upgrade` and the tests all
come through here, so the schema has exactly one source, in any working directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


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
    async with engine.connect() as conn:
        await conn.execution_options(quillpress_write=True)
        async with conn.begin():
            await conn.run_sync(_run, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str = "-1") -> None:
    async with engine.connect() as conn:
        await conn.execution_options(quillpress_write=True)
        async with conn.begin():
            await conn.run_sync(_run, "downgrade", revision)


def _current(sync_connection: Any) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(sync_connection).get_current_revision()


def head_revision() -> str | None:
    """The newest packaged revision: what ``upgrade`` brings a database to."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)
