"""``/admin/audit``: the audit log, filtered (actor, target, action, a date range) and
paged, every field shown as text; and ``/admin/audit.jsonl``, the same filters exported
as JSON lines, one object per event with the fields ``quillpress audit --json`` prints
(the CLI's export, so a script reads either)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from quillpress.api.console.access import admin_page
from quillpress.api.console.listing import page_of, pager, param
from quillpress.api.console.rendering import HEADERS, ConsoleRoute, show
from quillpress.domain.commands import AuditFilter, make_page
from quillpress.domain.validation import parse
from quillpress.services import admin as admin_service

router = APIRouter(route_class=ConsoleRoute)

EXPORT_ROWS = 10_000
"""The newest events an export holds, as ``quillpress audit --limit`` at most: narrow the
filters (a date range) for older ones."""
FIELDS = ("actor", "target", "action", "from", "until")


def _filters(request: Request) -> tuple[dict[str, str | None], AuditFilter]:
    typed = {name: param(request, name) for name in FIELDS}
    values = {**typed, "since": typed["from"]}
    del values["from"]
    return typed, parse(AuditFilter, values)


@router.get("/audit", include_in_schema=False)
async def audit(request: Request) -> Response:
    visit = await admin_page(request)
    typed, filters = _filters(request)
    page = page_of(request)
    found = await admin_service.list_audit(visit.db, visit.principal, filters, page)
    kept = _without_paging(request)
    context = {
        "events": found.items,
        "pager": pager(request, page, found),
        "typed": typed,
        "export": "/admin/audit.jsonl" + (f"?{kept}" if kept else ""),
    }
    return show(request, "audit.html", context)


def _without_paging(request: Request) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k in FIELDS]
    return urlencode(kept)


@router.get("/audit.jsonl", include_in_schema=False)
async def export(request: Request) -> Response:
    visit = await admin_page(request)
    _, filters = _filters(request)
    page = make_page(EXPORT_ROWS, max_limit=EXPORT_ROWS)
    found = await admin_service.list_audit(visit.db, visit.principal, filters, page)
    lines = "".join(
        json.dumps(event.record(), ensure_ascii=True, default=str) + "\n" for event in found.items
    )
    headers = {
        "Referrer-Policy": HEADERS["Referrer-Policy"],
        "Cache-Control": HEADERS["Cache-Control"],
        "Content-Disposition": 'attachment; filename="audit.jsonl"',
    }
    return Response(lines, media_type="application/jsonl", headers=headers)
