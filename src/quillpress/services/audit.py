"""The audit log: one way to write a security event, and the reads behind the admin API
and ``quillpress audit``.

- :func:`record` writes the row *inside* the transaction of the write it describes, so a
  committed change always has its record and a rolled-back one leaves none.
- :func:`record_alone` is for events with no write of their own (a failed login, a
  rate-limit lockout): a short transaction of its own.

Every row carries the client's peer address (from the ASGI scope only), user agent and
the request id. Nothing secret is ever written: ``detail`` refuses keys that name a
password, token or cookie, and no caller passes such values (a test scans the rows of a
whole flow for them).

Action names (dotted, ``<area>.<verb>``):

========================  ========  ===============================================
action                    outcome   when
========================  ========  ===============================================
``user.register``         success   an account was created (API or CLI)
``user.login``            success   a sign-in started a session
``user.login_failed``     failure   wrong credentials (detail: ``email``,
                                    ``accountExists``) or a banned account
                                    (``reason: banned``)
``session.logout``        success   logout (or logout-all: ``everySession``)
``session.revoke``        success   the user ended one of their sessions
``session.refresh_reuse`` failure   a spent refresh token came back: session revoked
``user.password_change``  success   the password changed (other sessions ended)
``admin.role_change``     success   an admin changed a role (``from``, ``to``)
``admin.ban``             success   an admin banned a user (sessions ended; the
                                    ``reason`` when given), or reworded the ban
``admin.unban``           success   an admin lifted a ban
``admin.session_revoke``  success   an admin ended a user's session (``session``) or
                                    all of them (``everySession``, ``sessionsEnded``)
``admin.article_delete``  success   an admin deleted another user's article, or any
                                    by moderation (with its ``reason``)
``admin.comment_delete``  success   the same for a comment
``rate.lockout``          failure   a rate limit refused a client (the limiter)
========================  ========  ===============================================
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Final

from quillpress.db.database import Connection, opened
from quillpress.domain.clients import ClientInfo
from quillpress.domain.clock import utcnow
from quillpress.domain.commands import AuditFilter, Page
from quillpress.domain.views import AuditEventView, Paged
from quillpress.infra.request_context import current_request_id
from quillpress.infra.resources import Store
from quillpress.repositories import audit as audit_repo
from quillpress.repositories.audit import AuditRow

USER_REGISTER: Final = "user.register"
USER_LOGIN: Final = "user.login"
USER_LOGIN_FAILED: Final = "user.login_failed"
SESSION_LOGOUT: Final = "session.logout"
SESSION_REVOKE: Final = "session.revoke"
SESSION_REFRESH_REUSE: Final = "session.refresh_reuse"
USER_PASSWORD_CHANGE: Final = "user.password_change"  # noqa: S105 (a name)
ADMIN_ROLE_CHANGE: Final = "admin.role_change"
ADMIN_BAN: Final = "admin.ban"
ADMIN_UNBAN: Final = "admin.unban"
ADMIN_SESSION_REVOKE: Final = "admin.session_revoke"
ADMIN_ARTICLE_DELETE: Final = "admin.article_delete"
ADMIN_COMMENT_DELETE: Final = "admin.comment_delete"
RATE_LOCKOUT: Final = "rate.lockout"

SUCCESS: Final = "success"
FAILURE: Final = "failure"

# Keys ``detail`` may never hold: their values would be credentials.
SECRET_KEYS = frozenset({"password", "token", "refreshtoken", "refresh_token", "cookie", "csrf"})

USER_AGENT_LENGTH = 512
TARGET_LENGTH = 300
REQUEST_ID_LENGTH = 128


def _check_detail(detail: Mapping[str, object] | None) -> None:
    if detail is None:
        return
    secret = [key for key in detail if key.lower() in SECRET_KEYS]
    if secret:  # a programming error, never the client's: fail the write loudly
        raise ValueError(f"audit detail may not hold {', '.join(secret)}")


def _cut(value: str | None, length: int) -> str | None:
    return value[:length] if value else None


async def record(
    conn: Connection,
    *,
    action: str,
    client: ClientInfo,
    actor_id: int | None = None,
    actor: str | None = None,
    target: str | None = None,
    outcome: str = SUCCESS,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Write one audit row on ``conn``, the connection of the caller's transaction (one
    statement). ``actor`` (the username) may be left out when ``actor_id`` is given: the
    row snapshots the account's current name."""
    _check_detail(detail)
    await audit_repo.insert_event(
        conn,
        at=utcnow(),
        action=action,
        outcome=outcome,
        actor_id=actor_id,
        actor=actor,
        target=_cut(target, TARGET_LENGTH),
        ip=client.ip,
        user_agent=_cut(client.user_agent, USER_AGENT_LENGTH),
        request_id=_cut(client.request_id or current_request_id(), REQUEST_ID_LENGTH),
        detail=detail,
    )


async def record_removal(
    conn: Connection,
    *,
    action: str,
    client: ClientInfo,
    principal_id: int,
    author_id: int,
    target: str,
    detail: Mapping[str, object],
    reason: str | None,
) -> None:
    """The audit row of a delete, in the delete's transaction, when it was not the author's
    own act or was a moderation (a ``reason`` given, which the row keeps); nothing for an
    author deleting their own content."""
    if author_id == principal_id and reason is None:
        return
    kept = {**detail, "authorId": author_id}
    if reason is not None:
        kept["reason"] = reason
    await record(
        conn, action=action, client=client, actor_id=principal_id, target=target, detail=kept
    )


async def record_alone(
    db: Store,
    *,
    action: str,
    client: ClientInfo,
    actor_id: int | None = None,
    actor: str | None = None,
    target: str | None = None,
    outcome: str = FAILURE,
    detail: Mapping[str, object] | None = None,
) -> None:
    """An event with no write of its own (failed login, lockout): its own short
    transaction. The limiter calls this with ``action=RATE_LOCKOUT``."""
    async with opened(db).write() as tx:
        await record(
            tx.conn,
            action=action,
            client=client,
            actor_id=actor_id,
            actor=actor,
            target=target,
            outcome=outcome,
            detail=detail,
        )


def event_view(row: AuditRow) -> AuditEventView:
    return AuditEventView(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        target=row.target,
        ip=row.ip,
        user_agent=row.user_agent,
        request_id=row.request_id,
        outcome=row.outcome,
        detail=row.detail,
    )


async def list_events(db: Store, filters: AuditFilter, page: Page) -> Paged[AuditEventView]:
    """Newest first; unauthorized (the admin service and the CLI are the callers)."""
    async with opened(db).read() as conn:
        rows, total = await audit_repo.list_events(conn, filters, page)
    items = [event_view(row) for row in rows[: page.limit]]
    return Paged(items=items, total=total, has_next=len(rows) > page.limit)


async def prune(db: Store, *, retention_days: int) -> int:
    """Delete events older than ``retention_days``; how many went."""
    async with opened(db).write() as tx:
        return await audit_repo.prune(tx.conn, before=utcnow() - timedelta(days=retention_days))
