"""The audit log (``audit_event``): insert, list newest first with the admin filters, prune."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, ScalarSelect, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.db.models import AppUser, AuditEvent
from quillpress.domain.commands import AuditFilter, Page
from quillpress.repositories._sql import columns_of, newest_first_page


class AuditRow(NamedTuple):
    """An audit event: its fields name the columns read (:data:`EVENT_COLUMNS`)."""

    id: int
    at: datetime
    actor: str | None
    action: str
    target: str | None
    ip: str | None
    user_agent: str | None
    request_id: str | None
    outcome: str
    detail: dict[str, Any] | None
    """A JSON object, as recorded (its values are any JSON)."""


EVENT_COLUMNS = columns_of(AuditRow, AuditEvent)


async def insert_event(
    conn: AsyncConnection,
    *,
    at: datetime,
    action: str,
    outcome: str,
    actor_id: int | None,
    actor: str | None,
    target: str | None,
    ip: str | None,
    user_agent: str | None,
    request_id: str | None,
    detail: Mapping[str, object] | None,
) -> None:
    """One statement. Without ``actor`` (the username), it is read from ``actor_id``'s row
    by a sub-select in the same statement."""
    actor_name: str | ScalarSelect[str] | None = actor
    if actor is None and actor_id is not None:
        actor_name = select(AppUser.username).where(AppUser.id == actor_id).scalar_subquery()
    await conn.execute(
        insert(AuditEvent).values(
            at=at,
            action=action,
            outcome=outcome,
            actor_id=actor_id,
            actor=actor_name,
            target=target,
            ip=ip,
            user_agent=user_agent,
            request_id=request_id,
            detail=dict(detail) if detail is not None else None,
        )
    )


def _conditions(filters: AuditFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.actor:
        conditions.append(func.lower(AuditEvent.actor) == func.lower(filters.actor))
    target = filters.target_name
    if target:
        conditions.append(func.lower(AuditEvent.target) == target.lower())
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.since is not None:
        conditions.append(AuditEvent.at >= filters.since)
    if filters.until is not None:
        conditions.append(AuditEvent.at < filters.until)
    return conditions


async def list_events(
    conn: AsyncConnection, filters: AuditFilter, page: Page
) -> tuple[list[AuditRow], int]:
    """A page newest first (``limit + 1`` rows: the extra says a next page exists) and the
    total of matches: two statements whatever the page size."""
    conditions = _conditions(filters)
    rows, total = await newest_first_page(
        conn,
        EVENT_COLUMNS,
        table=AuditEvent,
        at=AuditEvent.at,
        id_=AuditEvent.id,
        conditions=conditions,
        page=page,
    )
    return [AuditRow(*row) for row in rows], total


async def prune(conn: AsyncConnection, *, before: datetime) -> int:
    """Delete every event older than ``before``; how many were deleted."""
    result = await conn.execute(delete(AuditEvent).where(AuditEvent.at < before))
    return int(result.rowcount)
