"""An admin's look at one user's sessions: list them, end one, end them all.

The same revocation as the user's own (``services.sessions``): ``SessionRevoked``
purges any cached session after the commit, so the token is refused from its next
request on every instance. The audit row (``admin.session_revoke``) names the user as
its target, so it is found among the events about them."""

from __future__ import annotations

from quillpress.db.database import opened
from quillpress.domain.auth import Principal
from quillpress.domain.clients import ClientInfo
from quillpress.domain.errors import NotFound
from quillpress.domain.views import DeviceSessionView
from quillpress.infra.resources import Store
from quillpress.repositories import users as user_repo
from quillpress.services import audit
from quillpress.services.admin import authorize
from quillpress.services.sessions import end_one, end_sessions, sessions_of


async def list_user_sessions(
    db: Store, principal: Principal, username: str
) -> list[DeviceSessionView]:
    """Live sessions newest first (none ``current``: the request is the admin's own)."""
    authorize(principal)
    return await sessions_of(db, username)


async def revoke_user_session(
    db: Store, principal: Principal, username: str, session_id: str, *, client: ClientInfo
) -> None:
    """An unknown user is not found; so is a session that is not theirs, or already ended."""
    authorize(principal)
    async with opened(db).write() as tx:
        user = await user_repo.get_admin_view(tx.conn, username)
        if user is None:
            raise NotFound("user")
        ended = await end_one(
            tx,
            principal,
            user.id,
            session_id,
            action=audit.ADMIN_SESSION_REVOKE,
            client=client,
            target=f"user:{user.username}",
        )
        if not ended:
            raise NotFound("session")


async def revoke_user_sessions(
    db: Store, principal: Principal, username: str, *, client: ClientInfo
) -> None:
    """Every live session of the user (none live: still one audit row, ``sessionsEnded``
    0: the admin's act is recorded whatever it found). Revoking one's own ends the
    request's session too."""
    authorize(principal)
    async with opened(db).write() as tx:
        user = await user_repo.get_admin_view(tx.conn, username)
        if user is None:
            raise NotFound("user")
        ended = await end_sessions(tx, user.id, reason="admin")
        await audit.record(
            tx.conn,
            action=audit.ADMIN_SESSION_REVOKE,
            client=client,
            actor_id=principal.user_id,
            target=f"user:{user.username}",
            detail={"everySession": True, "sessionsEnded": len(ended)},
        )
