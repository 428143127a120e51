"""Small SQL helpers shared by the repositories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Row, Table, bindparam, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.domain.commands import Page


def insert_ignoring_duplicates(conn: AsyncConnection, table: Table) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` in the connection's dialect (idempotent writes)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def violated_constraint(error: IntegrityError, *names: str) -> str | None:
    """Which of ``names`` the database reported (SQLite and PostgreSQL both name it)."""
    text = str(error.orig)
    return next((name for name in names if name in text), None)


async def newest_first_page(
    conn: AsyncConnection,
    columns: Sequence[Any],
    *,
    table: Any,
    at: Any,
    id_: Any,
    conditions: Sequence[Any],
    page: Page,
) -> tuple[Sequence[Row[Any]], int]:
    """One page of rows newest first (``at DESC, id DESC``), by keyset after
    ``page.after`` or by offset, as ``limit + 1`` rows (the extra says a next page exists),
    and the total of matches: two statements whatever the page size. The admin lists
    (users, the audit log) share it."""
    stmt = select(*columns).where(*conditions)
    if page.after is not None:
        stmt = stmt.where(
            tuple_(at, id_)
            < tuple_(
                bindparam("after_at", page.after.created_at, type_=at.type),
                bindparam("after_id", page.after.id, type_=Integer),
            )
        )
    else:
        stmt = stmt.offset(page.offset)
    stmt = stmt.order_by(at.desc(), id_.desc()).limit(page.limit + 1)
    rows = (await conn.execute(stmt)).all()
    count = select(func.count()).select_from(table).where(*conditions)
    total = (await conn.execute(count)).scalar_one()
    return rows, int(total)
