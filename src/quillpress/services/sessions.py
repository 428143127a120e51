"""Server-side sessions: one per sign-in, listed and revoked by their owner.

A session is created in the same transaction as the registration or login it belongs
to; revoking one records :class:`SessionRevoked`, whose after-commit purge makes the next
request on any instance see it (see ``services.authentication``)."""

from __future__ import annotations

from collections.abc import Sequence

from quillpress.db.database import Connection, Transaction, opened
from quillpress.domain.auth import Principal
from quillpress.domain.clients import ClientInfo
from quillpress.domain.clock import utcnow
from quillpress.domain.errors import NotFound
from quillpress.domain.events import SessionRevoked
from quillpress.domain.views import DeviceSessionView
from quillpress.infra.resources import Store
from quillpress.infra.tokens import new_session_id
from quillpress.repositories import sessions as session_repo
from quillpress.repositories import users as user_repo
from quillpress.repositories.sessions import LiveSession
from quillpress.services import audit

USER_AGENT_LENGTH = 512


async def start_session(
    conn: Connection, user_id: int, client: ClientInfo, *, refresh_hash: str | None = None
) -> str:
    session_id = new_session_id()
    await session_repo.insert_session(
        conn,
        session_id=session_id,
        user_id=user_id,
        user_agent=(client.user_agent or None) and client.user_agent[:USER_AGENT_LENGTH],
        ip=client.ip,
        refresh_hash=refresh_hash,
        now=utcnow(),
    )
    return session_id


async def list_sessions(db: Store, principal: Principal) -> list[DeviceSessionView]:
    """The user's live sessions, newest first; ``current`` marks the request's own."""
    async with opened(db).read() as conn:
        rows = await session_repo.list_live(conn, principal.user_id)
    return _views(rows, current=principal.session_id)


async def sessions_of(db: Store, username: str) -> list[DeviceSessionView]:
    """An operator's look at one user's live sessions (``quillpress sessions NAME``),
    newest first; no request is asking, so none is ``current``. An unknown name is not
    found."""
    async with opened(db).read() as conn:
        user_id = await user_repo.get_id_by_username(conn, username)
        if user_id is None:
            raise NotFound("user")
        rows = await session_repo.list_live(conn, user_id)
    return _views(rows, current=None)


def _views(rows: Sequence[LiveSession], *, current: str | None) -> list[DeviceSessionView]:
    return [
        DeviceSessionView(
            id=row.id,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            user_agent=row.user_agent,
            ip=row.ip,
            current=row.id == current,
        )
        for row in rows
    ]


async def revoke_session(
    db: Store, principal: Principal, session_id: str, *, client: ClientInfo
) -> None:
    """End one of the user's own sessions; anyone else's, or an unknown id, is not found."""
    async with opened(db).write() as tx:
        if not await end_one(
            tx, principal, principal.user_id, session_id, action=audit.SESSION_REVOKE, client=client
        ):
            raise NotFound("session")


async def logout(db: Store, principal: Principal, *, client: ClientInfo) -> None:
    """End the request's own session (already ended: nothing to do)."""
    if principal.session_id is None:
        return
    async with opened(db).write() as tx:
        await end_one(
            tx,
            principal,
            principal.user_id,
            principal.session_id,
            action=audit.SESSION_LOGOUT,
            client=client,
        )


async def end_one(
    tx: Transaction,
    principal: Principal,
    user_id: int,
    session_id: str,
    *,
    action: str,
    client: ClientInfo,
    target: str | None = None,
) -> bool:
    """End one live session of ``user_id`` (the principal's own, or an admin's pick),
    with its event and audit row (``target``: the session, unless said otherwise), in the
    caller's transaction; ``False`` when there was none to end."""
    revoked = await session_repo.revoke(tx.conn, user_id, [session_id], now=utcnow())
    if not revoked:
        return False
    tx.record(SessionRevoked(user_id=user_id, session_ids=tuple(revoked)))
    await audit.record(
        tx.conn,
        action=action,
        client=client,
        actor_id=principal.user_id,
        target=target or f"session:{session_id}",
        detail={"session": session_id} if target else None,
    )
    return True


async def logout_all(db: Store, principal: Principal, *, client: ClientInfo) -> None:
    async with opened(db).write() as tx:
        revoked = await end_sessions(tx, principal.user_id, reason="logout-all")
        await audit.record(
            tx.conn,
            action=audit.SESSION_LOGOUT,
            client=client,
            actor_id=principal.user_id,
            detail={"everySession": True, "sessionsEnded": len(revoked)},
        )


async def end_sessions(
    tx: Transaction, user_id: int, *, keep: str | None = None, reason: str
) -> list[str]:
    """End every session of ``user_id`` but ``keep``, inside the caller's transaction;
    the ids it ended."""
    revoked = await session_repo.revoke_all(tx.conn, user_id, now=utcnow(), keep=keep)
    if revoked:
        tx.record(
            SessionRevoked(
                user_id=user_id,
                session_ids=tuple(revoked),
                every_session=keep is None,
                kept=(keep,) if keep is not None else (),
                reason=reason,
            )
        )
    return revoked
