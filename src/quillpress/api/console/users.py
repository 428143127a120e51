"""``/admin/users`` and ``/admin/users/{username}``: find a user; see their profile, ban
state, sessions and the audit rows about them; ban (with a reason), unban, promote,
demote, revoke one session or all. Each action is the admin API's use case
(``PUT /api/admin/users/{username}``, ``DELETE …/sessions[/{id}]``), answered by a 303
back to the user's page with a notice; the last-admin refusal is a notice too."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from quillpress.api.console.access import admin_page, admin_post
from quillpress.api.console.flash import with_notice
from quillpress.api.console.listing import page_of, pager, param
from quillpress.api.console.rendering import ConsoleRoute, redirect, show
from quillpress.domain.commands import AdminUpdateUser, UserSearch
from quillpress.domain.errors import Invalid, LastAdmin, NotFound
from quillpress.domain.validation import parse
from quillpress.services import admin as admin_service
from quillpress.services import admin_sessions, admin_user_page

router = APIRouter(route_class=ConsoleRoute)

RECENT_EVENTS = 10
BANNED = {"yes": True, "no": False}
ACTIONS: dict[str, tuple[dict[str, object], str]] = {
    # the button's value → the update it asks for, and the notice when it changed something
    "ban": ({"banned": True}, "banned"),
    "unban": ({"banned": False}, "unbanned"),
    "promote": ({"role": "admin"}, "promoted"),
    "demote": ({"role": "user"}, "demoted"),
}


def user_path(username: str) -> str:
    return f"/admin/users/{quote(username, safe='')}"


@router.get("/users", include_in_schema=False)
async def users(request: Request) -> Response:
    visit = await admin_page(request)
    banned = param(request, "banned")
    if banned is not None and banned not in BANNED:
        raise Invalid({"banned": ["must be yes or no"]})
    filters = {
        "query": param(request, "q"),
        "role": param(request, "role"),
        "banned": BANNED.get(banned or ""),
    }
    search = parse(UserSearch, filters)
    page = page_of(request)
    found = await admin_service.list_users(visit.db, visit.principal, search, page)
    context = {"users": found.items, "pager": pager(request, page, found), "filters": filters}
    context["banned"] = banned or ""
    return show(request, "users.html", context)


@router.get("/users/{username}", include_in_schema=False)
async def user(request: Request, username: str) -> Response:
    visit = await admin_page(request)
    found = await admin_user_page.user_page(
        visit.db, visit.principal, username, recent=RECENT_EVENTS
    )
    context = {"user": found.user, "sessions": found.sessions, "events": found.events}
    context["path"] = user_path(found.user.username)
    return show(request, "user.html", context)


@router.post("/users/{username}", include_in_schema=False)
async def moderate(request: Request, username: str) -> Response:
    """The user page's one form: the ``Reason`` field and the four buttons (their
    ``action`` value says which was pressed; Enter in the field presses the first, Ban)."""
    visit, form = await admin_post(request)
    action = ACTIONS.get(form.text("action") or "")
    if action is None:
        raise Invalid({"action": ["must be ban, unban, promote or demote"]})
    values, done = action
    if values.get("banned") is True:
        values = {**values, "ban_reason": form.text("reason")}
    command = parse(AdminUpdateUser, values)
    try:
        after = await admin_service.update_user(
            visit.db, visit.principal, username, command, client=visit.client
        )
    except LastAdmin:
        return redirect(with_notice(user_path(username), "last-admin"))
    return redirect(with_notice(user_path(after.username), done))


@router.post("/users/{username}/sessions", include_in_schema=False)
async def revoke_all(request: Request, username: str) -> Response:
    visit, _ = await admin_post(request)
    await admin_sessions.revoke_user_sessions(
        visit.db, visit.principal, username, client=visit.client
    )
    return redirect(with_notice(user_path(username), "sessions-revoked"))


@router.post("/users/{username}/sessions/{session_id}", include_in_schema=False)
async def revoke(request: Request, username: str, session_id: str) -> Response:
    visit, _ = await admin_post(request)
    try:
        await admin_sessions.revoke_user_session(
            visit.db, visit.principal, username, session_id, client=visit.client
        )
    except NotFound as error:
        if "session" not in error.fields:
            raise  # the user is gone: the page says so
        return redirect(with_notice(user_path(username), "session-gone"))
    return redirect(with_notice(user_path(username), "session-revoked"))
