"""``quillpress audit`` (the newest security events) and ``audit prune``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from quillpress.cli.failures import CONFIGURATION_ERROR, fail
from quillpress.cli.listing import JsonOption, WideOption, minute, print_listing
from quillpress.cli.root import command, commands
from quillpress.cli.runtime import database, load_settings, run

if TYPE_CHECKING:
    from quillpress.config import Settings
    from quillpress.domain.commands import AuditFilter
    from quillpress.domain.views import AuditEventView

group = commands("Print the newest security events, or prune old ones.")

AUDIT_COLUMNS = {
    "at (UTC)": "minute",
    "actor": "actor",
    "action": "action",
    "target": "target",
    "outcome": "outcome",
}
AUDIT_COLUMNS_WIDE = {
    "at": "at",
    "actor": "actor",
    "action": "action",
    "target": "target",
    "ip": "ip",
    "outcome": "outcome",
    "request id": "request_id",
    "user agent": "user_agent",
    "detail": "detail",
}


async def _audit_events(
    settings: Settings, filters: AuditFilter, limit: int
) -> list[AuditEventView]:
    from quillpress.db import migrate
    from quillpress.domain.commands import make_page
    from quillpress.services import audit as audit_service

    async with database(settings) as db:
        await migrate.upgrade(db.engine)  # as serve and create-user do: the table exists
        page = await audit_service.list_events(db, filters, make_page(limit, max_limit=limit))
    return list(page.items)


async def _audit_prune(settings: Settings) -> int:
    from quillpress.db import migrate
    from quillpress.services import audit as audit_service

    async with database(settings) as db:
        await migrate.upgrade(db.engine)
        return await audit_service.prune(db, retention_days=settings.audit_retention_days)


@group.callback(invoke_without_command=True)
def audit(
    ctx: typer.Context,
    user: Annotated[
        str | None, typer.Option("--user", metavar="NAME", help="Events by this actor.")
    ] = None,
    action: Annotated[
        str | None, typer.Option(metavar="ACTION", help="Only this action (admin.ban…).")
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Events about this user (or article:SLUG…)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(metavar="ISO", help="Events at or after this ISO-8601 time."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(metavar="ISO", help="Before this time (a date: to its end)."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, metavar="N", help="Rows.")] = 50,
    as_json: JsonOption = False,
    wide: WideOption = False,
) -> None:
    """Print the newest security events, newest first (filters combine).

    The table shows when, who, what, on what and the outcome;
    --wide adds the IP, the request id, the user agent and the detail."""
    if ctx.invoked_subcommand is not None:
        return
    from quillpress.domain.commands import AuditFilter
    from quillpress.domain.errors import DomainError
    from quillpress.domain.validation import parse

    try:
        values = {"actor": user, "action": action, "target": target, "since": since, "until": until}
        filters = parse(AuditFilter, values)
    except DomainError as error:
        options = {"actor": "--user", "action": "--action", "since": "--since", "until": "--until"}
        fail(
            "; ".join(
                f"{options.get(key, key)} {message}"
                for key, messages in error.fields.items()
                for message in messages
            ),
            CONFIGURATION_ERROR,
        )
    settings = load_settings(database=True)
    events = run(_audit_events(settings, filters, limit))
    rows = [{**event.record(), "minute": minute(event.at)} for event in events]
    if as_json:
        for row in rows:
            del row["minute"]
    columns = AUDIT_COLUMNS_WIDE if wide else AUDIT_COLUMNS
    fixed = frozenset({"minute", "action", "outcome"})
    print_listing(rows, columns, as_json=as_json, wide=wide, noun="event", fixed=fixed)


@command(group, "prune")
def audit_prune() -> None:
    """Delete events older than the retention (days).

    The retention is QUILLPRESS_AUDIT_RETENTION_DAYS (default 90)."""
    settings = load_settings(database=True)
    removed = run(_audit_prune(settings))
    typer.echo(
        f"Removed {removed} audit event{'s' if removed != 1 else ''} older than "
        f"{settings.audit_retention_days} days."
    )
