"""The cache epoch's two statements: read the token, write a fresh one.

They live in ``db`` rather than ``repositories`` because their callers are below or beside
the repositories: ``Database.write()`` bumps inside a CLI write's own transaction,
``db.migrate`` bumps after a migration, and ``infra.epoch.CacheEpoch`` (infra may not
import repositories: the two are independent layers) polls and bumps at run time.

Tokens are random (``secrets.token_hex``), never a counter: a database restored from a
backup moves the token back to an older value, and readers compare for inequality, so a
restore is a change too and no bump can ever reuse a token older entries were keyed with."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import column, insert, select, table, update
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.domain.clock import utcnow

TOKEN_BYTES = 8
MISSING = "-"
"""What :func:`read_token` returns when the row is gone (deleted by hand): a value no
random token can equal, so its loss and its return both count as changes."""

ROW_ID = 1

_epoch = table("cache_epoch", column("id"), column("token"), column("bumped_at"))
_READ = select(_epoch.c.token).where(_epoch.c.id == ROW_ID)


def new_token() -> str:
    return secrets.token_hex(TOKEN_BYTES)


async def read_token(conn: AsyncConnection) -> str:
    """The current token (one primary-key lookup)."""
    token = (await conn.execute(_READ)).scalar()
    return MISSING if token is None else str(token)


async def bump(
    conn: AsyncConnection, now: datetime | None = None, *, token: str | None = None
) -> str:
    """Write a fresh random token (or ``token``, when retrying one already announced) on
    ``conn``'s transaction and return it. Re-creates the row if someone deleted it."""
    token = token or new_token()
    at = now or utcnow()
    result = await conn.execute(
        update(_epoch).where(_epoch.c.id == ROW_ID).values(token=token, bumped_at=at)
    )
    if result.rowcount == 0:
        await conn.execute(insert(_epoch).values(id=ROW_ID, token=token, bumped_at=at))
    return token
