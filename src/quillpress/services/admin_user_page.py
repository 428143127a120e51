"""The moderation console's user page as one use case: the user, their live sessions and
the newest audit rows about them, read together.

Each part is an admin API read of its own (``GET /api/admin/users/{username}``,
``…/sessions``, ``GET /api/admin/audit?target=user:{username}``); read through those use
cases one by one the page cost six statements with the session check (the sessions' use
case looks the user up again by name). Here the sessions are read by the id the user's
row gave: four statements (the user, the sessions, the audit page and its total), so the
page keeps within the console's five."""

from __future__ import annotations

from dataclasses import dataclass

from quillpress.db.database import opened
from quillpress.domain.auth import Principal
from quillpress.domain.commands import AuditFilter, make_page
from quillpress.domain.views import AdminUserView, AuditEventView, DeviceSessionView
from quillpress.infra.resources import Store
from quillpress.repositories import sessions as session_repo
from quillpress.services import admin, audit
from quillpress.services.sessions import _views as session_views


@dataclass(frozen=True, slots=True)
class AdminUserPage:
    user: AdminUserView
    sessions: list[DeviceSessionView]
    """Live, newest first; ``current`` marks the asking admin's own (on their own page)."""
    events: list[AuditEventView]
    """The newest audit rows whose target is the user, newest first."""


async def user_page(
    db: Store, principal: Principal, username: str, *, recent: int
) -> AdminUserPage:
    """Admins only (``get_user`` authorizes); an unknown name is not found."""
    user = await admin.get_user(db, principal, username)
    async with opened(db).read() as conn:
        rows = await session_repo.list_live(conn, user.id)
    about = AuditFilter(target=f"user:{user.username}")
    events = await audit.list_events(db, about, make_page(recent, max_limit=recent))
    return AdminUserPage(
        user=user,
        sessions=session_views(rows, current=principal.session_id),
        events=events.items,
    )
