"""Flash messages: what an action did, shown on the page it redirects to.

The redirect carries a message *key* (``?notice=banned``), never text: a link someone
crafts can only make a page show one of the sentences below, and an unknown key shows
nothing. The key stays in the address after a reload; it says what was done, so showing
it again misleads no one."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request

PARAMETER = "notice"


@dataclass(frozen=True, slots=True)
class Notice:
    text: str
    error: bool = False


NOTICES = {
    "signed-out": Notice("You have signed out."),
    "banned": Notice("The user is banned and every session of theirs has ended."),
    "unbanned": Notice("The user is no longer banned."),
    "promoted": Notice("The user is now an admin."),
    "demoted": Notice("The user is no longer an admin."),
    "last-admin": Notice(
        "Refused: this is the last admin who is not banned. Promote another user first.",
        error=True,
    ),
    "session-revoked": Notice("The session has ended."),
    "session-gone": Notice("That session had already ended.", error=True),
    "sessions-revoked": Notice("Every session of the user has ended."),
    "article-deleted": Notice("The article is deleted."),
    "comment-deleted": Notice("The comment is deleted."),
}


def notice_of(request: Request) -> Notice | None:
    return NOTICES.get(request.query_params.get(PARAMETER, ""))


def with_notice(path: str, key: str) -> str:
    assert key in NOTICES, key  # a typo is a test failure, not a silent page
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{urlencode({PARAMETER: key})}"
