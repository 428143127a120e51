"""``quillpress sessions USERNAME``: a user's live sign-ins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from quillpress.cli.failures import fail
from quillpress.cli.listing import JsonOption, WideOption, minute, print_listing
from quillpress.cli.root import command, commands
from quillpress.cli.runtime import database, load_settings, run

if TYPE_CHECKING:
    from quillpress.config import Settings
    from quillpress.domain.views import DeviceSessionView

top_level = commands()

SESSION_COLUMNS = {"id": "id", "last seen (UTC)": "last_seen", "ip": "ip", "device": "user_agent"}
SESSION_COLUMNS_WIDE = {
    "id": "id",
    "created": "created_at",
    "last seen": "last_seen_at",
    "ip": "ip",
    "user agent": "user_agent",
}


async def _user_sessions(settings: Settings, username: str) -> list[DeviceSessionView]:
    from quillpress.db import migrate
    from quillpress.services import sessions as session_service

    async with database(settings) as db:
        await migrate.upgrade(db.engine)
        return await session_service.sessions_of(db, username)


@command(top_level, "sessions")
def sessions(
    username: Annotated[str, typer.Argument(help="Whose sessions.", metavar="USERNAME")],
    as_json: JsonOption = False,
    wide: WideOption = False,
) -> None:
    """List a user's live sessions (sign-ins), newest first.

    Each is a device or browser the user is signed in on.
    The user ends one with DELETE /api/user/sessions/{id}; a ban ends them all."""
    from quillpress.domain.errors import DomainError
    from quillpress.domain.views import isoformat

    settings = load_settings(database=True)
    try:
        found = run(_user_sessions(settings, username))
    except DomainError as error:
        fail(f"cannot list sessions: {error.describe()}")
    rows = [
        {
            "id": session.id,
            "created_at": isoformat(session.created_at),
            "last_seen_at": isoformat(session.last_seen_at),
            "last_seen": minute(session.last_seen_at),
            "ip": session.ip,
            "user_agent": session.user_agent,
        }
        for session in found
    ]
    if as_json:
        for row in rows:
            del row["last_seen"]
    columns = SESSION_COLUMNS_WIDE if wide else SESSION_COLUMNS
    fixed = frozenset({"id", "last_seen"})
    print_listing(rows, columns, as_json=as_json, wide=wide, noun="session", fixed=fixed)
