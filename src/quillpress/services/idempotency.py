"""Creates that a client may retry: the key is claimed, checked and remembered inside the
create's own write transaction (``repositories.idempotency``).

``claim`` runs first in the transaction: it returns the id the key's first request created
(the caller renders it again: a replay), refuses a key reused with another request (422)
or still held by a running first request (409), or returns ``None`` (run the create, then
``remember`` its result before the commit). A create that fails rolls its key row back
with it, so a failed first attempt leaves nothing and its retry runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from quillpress.db.database import Transaction
from quillpress.domain.auth import Principal
from quillpress.domain.clock import utcnow
from quillpress.domain.idempotency import IdempotencyKey, fingerprint, in_progress, reused
from quillpress.repositories import idempotency as key_repo


@dataclass(frozen=True, slots=True)
class Claim:
    """A key claimed for one create: what ``remember`` stores once the create ran."""

    key: IdempotencyKey
    user_id: int
    operation: str
    fingerprint: str
    now: datetime


async def claim(
    tx: Transaction,
    principal: Principal,
    key: IdempotencyKey | None,
    operation: str,
    request: Callable[[], Mapping[str, object]],
) -> tuple[Claim | None, int | None]:
    """The claim, and the id a first request with this key created (``None``: run it).
    Without a key there is nothing to claim: ``(None, None)``, and ``request`` (the parsed
    request, for the fingerprint) is not built."""
    if key is None:
        return None, None
    now = utcnow()
    claimed = Claim(key, principal.user_id, operation, fingerprint(request()), now)
    if not await key_repo.lock(tx.conn, principal.user_id, operation, key.value):
        raise in_progress()
    row = await key_repo.find(tx.conn, principal.user_id, operation, key.value, now=now)
    if row is None:
        return claimed, None
    if row.fingerprint != claimed.fingerprint:
        raise reused()
    return claimed, int(row.result_id)


async def remember(tx: Transaction, claimed: Claim | None, result_id: int) -> None:
    """Store the create's result under its key, in its transaction (nothing without a key);
    prune a bounded batch of expired keys on the way (no background job to run or forget)."""
    if claimed is None:
        return
    await key_repo.prune(tx.conn, now=claimed.now)
    await key_repo.remember(
        tx.conn,
        user_id=claimed.user_id,
        operation=claimed.operation,
        key=claimed.key.value,
        fingerprint=claimed.fingerprint,
        result_id=result_id,
        now=claimed.now,
        expires_at=claimed.now + claimed.key.ttl,
    )
