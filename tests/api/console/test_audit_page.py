"""The audit page: filters as labelled fields, every field as text, and the export in
JSON lines with the same filters."""

from __future__ import annotations

import json

import httpx

from tests.api.console.conftest import post_form
from tests.helpers import register


async def test_the_audit_page_filters_and_exports_what_it_shows(
    admin: httpx.AsyncClient,
) -> None:
    await register(admin, "ann")
    await post_form(admin, "/admin/users/ann", "/admin/users/ann", action="ban", reason="spam")
    page = await admin.get("/admin/audit?action=admin.ban")
    assert page.status_code == 200
    for label in ("Actor", "Target", "Action", "From", "Until"):
        assert f">{label}</label>" in page.text
    assert "user:ann" in page.text
    assert "user.login" not in page.text
    assert 'href="/admin/audit.jsonl?action=admin.ban"' in page.text
    export = await admin.get("/admin/audit.jsonl?action=admin.ban")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/jsonl")
    rows = [json.loads(line) for line in export.text.splitlines()]
    assert [(row["action"], row["target"], row["actor"]) for row in rows] == [
        ("admin.ban", "user:ann", "root")
    ]
    assert set(rows[0]) >= {"at", "request_id", "user_agent", "ip", "detail"}
    by_target = await admin.get("/admin/audit?target=ann")
    assert "admin.ban" in by_target.text
    assert "user.login" not in by_target.text
    bad = await admin.get("/admin/audit?from=yesterday")
    assert bad.status_code == 422
