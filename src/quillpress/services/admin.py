"""The admin API's user use cases: list and read users, change a role or a ban (with its
reason), read the audit log. A user's sessions are ``services.admin_sessions``; the
moderators' comment list and deletes are ``services.admin_content``.

Every call is authorized by ``domain.auth.can_administer`` on the principal the one way in
built for this request, whose role was read fresh (``services.authentication``): a
demoted admin's next request is refused, on every instance.

A ban ends every session of the user in the same transaction (``SessionRevoked`` purges
any cached session after the commit) and keeps their content; its reason is stored with
it (shown to the user's refused login and refresh, see ``domain.errors.Banned``) and in
its audit row, and the unban clears it. Removing the last admin who is not banned, by a
demotion or a ban, themselves included, is refused (``LastAdmin``); the admins' rows are
locked first, so two concurrent demotions cannot both pass the check."""

from __future__ import annotations

from typing import TypedDict

from quillpress.db.database import Transaction, opened
from quillpress.domain.auth import Principal, can_administer, ensure
from quillpress.domain.clients import ClientInfo
from quillpress.domain.clock import utcnow
from quillpress.domain.commands import AdminUpdateUser, AuditFilter, Page, UserSearch
from quillpress.domain.errors import Invalid, LastAdmin, NotFound
from quillpress.domain.events import UserUpdated
from quillpress.domain.views import AdminUserView, AuditEventView, Paged
from quillpress.infra.resources import Store
from quillpress.repositories import users as user_repo
from quillpress.repositories.users import AdminUserRow
from quillpress.services import audit
from quillpress.services.sessions import end_sessions


class Moderation(TypedDict, total=False):
    """What an admin's update changes: the given fields whose value differs."""

    role: str | None
    banned: bool | None
    ban_reason: str | None


def authorize(principal: Principal) -> None:
    """Admins only: every admin use case (these and its sibling modules') starts here."""
    ensure(can_administer(principal), resource="admin")


def _view(row: AdminUserRow) -> AdminUserView:
    return AdminUserView(
        id=row.id,
        username=row.username,
        email=row.email,
        role=row.role,
        banned=bool(row.banned),
        created_at=row.created_at,
        last_login_at=row.last_login_at,
        bio=row.bio,
        image=row.image,
        ban_reason=row.ban_reason if row.banned else None,
    )


async def list_users(
    db: Store, principal: Principal, search: UserSearch, page: Page
) -> Paged[AdminUserView]:
    """Newest first; two statements (the page and the total) whatever the page size."""
    authorize(principal)
    page = page.listing()
    async with opened(db).read() as conn:
        rows, total = await user_repo.admin_list(
            conn, query=search.query, page=page, role=search.role, banned=search.banned
        )
    items = [_view(row) for row in rows[: page.limit]]
    return Paged(items=items, total=total, has_next=len(rows) > page.limit)


async def get_user(db: Store, principal: Principal, username: str) -> AdminUserView:
    """One user by username (case-insensitive); one statement."""
    authorize(principal)
    async with opened(db).read() as conn:
        row = await user_repo.get_admin_view(conn, username)
    if row is None:
        raise NotFound("user")
    return _view(row)


async def list_audit(
    db: Store, principal: Principal, filters: AuditFilter, page: Page
) -> Paged[AuditEventView]:
    authorize(principal)
    return await audit.list_events(db, filters, page.listing())


def _removes_an_admin(before: AdminUserRow, values: Moderation) -> bool:
    if before.role != "admin" or before.banned:
        return False
    return values.get("role", "admin") != "admin" or bool(values.get("banned", False))


def _changes(before: AdminUserRow, command: AdminUpdateUser) -> Moderation:
    """The given fields whose value differs. A ban brings its reason (or none); an unban
    clears it; a reason alone rewords the ban in force, and without one is refused."""
    given = command.model_fields_set
    values: Moderation = {}
    if "role" in given and command.role != before.role:
        values["role"] = command.role
    if "banned" in given and command.banned != before.banned:
        values["banned"] = command.banned
    if values.get("banned") is not None:
        values["ban_reason"] = command.ban_reason if values["banned"] else None
    elif command.ban_reason is not None:
        if not before.banned:
            raise Invalid({"banReason": ["can only be given with a ban"]})
        if command.ban_reason != before.ban_reason:
            values["ban_reason"] = command.ban_reason
    return values


async def update_user(
    db: Store,
    principal: Principal,
    username: str,
    command: AdminUpdateUser,
    *,
    client: ClientInfo,
) -> AdminUserView:
    """Partial: ``role``, ``banned`` and/or ``ban_reason``. A value equal to the current
    one changes nothing (no event, no audit row)."""
    authorize(principal)
    async with opened(db).write() as tx:
        before = await user_repo.get_admin_view(tx.conn, username)
        if before is None:
            raise NotFound("user")
        values = _changes(before, command)
        if not values:
            return _view(before)
        if _removes_an_admin(before, values):
            admins = await user_repo.lock_active_admins(tx.conn)
            if admins == [before.id]:
                raise LastAdmin()
        await user_repo.set_moderation(tx.conn, before.id, values=values, now=utcnow())
        await _consequences(tx, principal, before, values, client)
        after = await user_repo.get_admin_view(tx.conn, before.username)
    assert after is not None  # written in this very transaction
    return _view(after)


async def _consequences(
    tx: Transaction,
    principal: Principal,
    before: AdminUserRow,
    values: Moderation,
    client: ClientInfo,
) -> None:
    """Sessions ended by a ban, the cache purge (``UserUpdated``: every cached session of
    the user is looked up again, so a new role applies from the next request) and one
    audit row per change (the ban's with its reason), all in the caller's transaction."""
    target = f"user:{before.username}"
    ended: list[str] = []
    if values.get("banned") is True:
        ended = await end_sessions(tx, before.id, reason="banned")
    tx.record(
        UserUpdated(
            user_id=before.id,
            username=before.username,
            previous_username=before.username,
            fields=frozenset(values),
        )
    )
    if "role" in values:
        await audit.record(
            tx.conn,
            action=audit.ADMIN_ROLE_CHANGE,
            client=client,
            actor_id=principal.user_id,
            target=target,
            detail={"from": before.role, "to": values["role"]},
        )
    if values.get("banned") is False:
        await audit.record(
            tx.conn,
            action=audit.ADMIN_UNBAN,
            client=client,
            actor_id=principal.user_id,
            target=target,
        )
    elif "ban_reason" in values:  # a ban, or the ban in force reworded
        detail: dict[str, object] = {"sessionsEnded": len(ended)}
        if values["ban_reason"] is not None:
            detail["reason"] = values["ban_reason"]
        await audit.record(
            tx.conn,
            action=audit.ADMIN_BAN,
            client=client,
            actor_id=principal.user_id,
            target=target,
            detail=detail,
        )
