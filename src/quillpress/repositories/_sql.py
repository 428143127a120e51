"""Small SQL helpers shared by the repositories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    Row,
    Select,
    Table,
    bindparam,
    func,
    select,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute

from quillpress.db.base import Base
from quillpress.domain.commands import Page


def columns_of(row: type[tuple[object, ...]], table: type[Base]) -> list[ColumnElement[object]]:
    """``table``'s columns named by the fields of ``row`` (a ``NamedTuple``), in that
    order: the row type is the one list of what its statement selects, and the rows are
    built from the statement's by position (``Row(*row)``)."""
    fields: tuple[str, ...] = getattr(row, "_fields")  # noqa: B009 (a NamedTuple's)
    return [getattr(table, name) for name in fields]


def insert_ignoring_duplicates(
    conn: AsyncConnection, table: Table
) -> postgresql.Insert | sqlite.Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` in the connection's dialect (idempotent writes)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def violated_constraint(error: IntegrityError, *names: str) -> str | None:
    """Which of ``names`` the database reported (SQLite and PostgreSQL both name it)."""
    text = str(error.orig)
    return next((name for name in names if name in text), None)


async def newest_first_page(
    conn: AsyncConnection,
    columns: Sequence[ColumnElement[object]],
    *,
    table: type[Base],
    at: InstrumentedAttribute[datetime],
    id_: InstrumentedAttribute[int],
    conditions: Sequence[ColumnElement[bool]],
    page: Page,
    joined: FromClause | None = None,
    count: Select[tuple[int]] | None = None,
) -> tuple[Sequence[Row[Any]], int]:
    """One page of rows newest first (``at DESC, id DESC``), by keyset after
    ``page.after`` or by offset, as ``limit + 1`` rows (the extra says a next page exists),
    and the total of matches: two statements whatever the page size. The admin lists
    (users, the audit log, every comment) share it. ``joined``: the page's rows come from
    ``table`` joined so (the count reads ``table`` alone, so ``conditions`` may name
    ``table``'s columns only). ``count``: a cheaper statement giving the same total (a
    maintained counter), instead of counting ``table``'s matches."""
    stmt = select(*columns).where(*conditions)
    if joined is not None:
        stmt = stmt.select_from(joined)
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
    if count is None:
        count = select(func.count()).select_from(table).where(*conditions)
    total = (await conn.execute(count)).scalar_one()
    return rows, int(total)
