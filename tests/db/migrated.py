"""A database of a migration test's own, on SQLite or PostgreSQL, at a given revision:
the tests migrate it down and up freely, so it is never the run's shared database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from quillpress.db import migrate
from quillpress.db.engine import create_engine, execute_outside_transaction
from tests.conftest import _postgres_admin_url


@asynccontextmanager
async def database_at(backend: str, tmp_path: Path, revision: str) -> AsyncIterator[AsyncEngine]:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'migration.db'}"
        admin = None
    else:
        admin = _postgres_admin_url()
        name = f"quillpress_test_{uuid.uuid4().hex[:12]}"
        await execute_outside_transaction(admin, f'CREATE DATABASE "{name}"')
        url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    created = create_engine(url, null_pool=True)
    try:
        await migrate.upgrade(created, revision)
        yield created
    finally:
        await created.dispose()
        if admin is not None:
            await execute_outside_transaction(
                admin, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'
            )
