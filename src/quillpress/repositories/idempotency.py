"""Idempotency keys (``idempotency_key``): claimed, looked up, remembered and pruned inside
the create's own write transaction."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.db.models import IdempotencyKey
from quillpress.repositories._sql import columns_of

PRUNE_BATCH = 100
"""Expired keys removed per keyed create at most: the table cannot grow without bound, and
no create pays for a backlog."""


async def lock(conn: AsyncConnection, user_id: int, operation: str, key: str) -> bool:
    """Take the key for this transaction: ``False`` when another transaction holds it (the
    first request is still running). PostgreSQL: a transaction-scoped advisory lock on a
    hash of the key, released at COMMIT or ROLLBACK, so a second request never waits for,
    nor repeats, the first. SQLite: write transactions begin IMMEDIATE and run one at a
    time, so whoever gets here holds the only writer's lock already."""
    if conn.dialect.name != "postgresql":
        return True
    name = f"{user_id}:{operation}:{key}"
    statement = select(func.pg_try_advisory_xact_lock(func.hashtextextended(name, 0)))
    return bool((await conn.execute(statement)).scalar())


class Remembered(NamedTuple):
    """A live key's first request (its fingerprint) and what it created."""

    fingerprint: str
    result_id: int


async def find(
    conn: AsyncConnection, user_id: int, operation: str, key: str, *, now: datetime
) -> Remembered | None:
    """The key's live row (an expired one is deleted first: the key starts afresh)."""
    await conn.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.operation == operation,
            IdempotencyKey.key == key,
            IdempotencyKey.expires_at <= now,
        )
    )
    statement = select(*columns_of(Remembered, IdempotencyKey)).where(
        IdempotencyKey.user_id == user_id,
        IdempotencyKey.operation == operation,
        IdempotencyKey.key == key,
    )
    row = (await conn.execute(statement)).first()
    return Remembered(*row) if row is not None else None


async def remember(
    conn: AsyncConnection,
    *,
    user_id: int,
    operation: str,
    key: str,
    fingerprint: str,
    result_id: int,
    now: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(
        insert(IdempotencyKey).values(
            user_id=user_id,
            operation=operation,
            key=key,
            fingerprint=fingerprint,
            result_id=result_id,
            created_at=now,
            expires_at=expires_at,
        )
    )


async def prune(conn: AsyncConnection, *, now: datetime, limit: int = PRUNE_BATCH) -> int:
    """Delete up to ``limit`` expired keys, oldest first (by the ``expires_at`` index)."""
    expired = (
        select(IdempotencyKey.id)
        .where(IdempotencyKey.expires_at <= now)
        .order_by(IdempotencyKey.expires_at)
        .limit(limit)
    )
    result = await conn.execute(delete(IdempotencyKey).where(IdempotencyKey.id.in_(expired)))
    return int(result.rowcount or 0)
