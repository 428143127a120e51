"""Alembic environment. Migrations always run on a connection handed in by
``quillpress.db.migrate`` (the engine and its async driver belong to the caller)."""

from __future__ import annotations

from alembic import context

from quillpress.db import models  # noqa: F401  (registers every table on the metadata)
from quillpress.db.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations with `quillpress db upgrade`, not the alembic command.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite can't ALTER most things
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
