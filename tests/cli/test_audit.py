"""``quillpress audit`` prints the newest security events as a table (readable at 80
columns; every column with ``--wide``; one JSON object per line with ``--json``), filtered
by actor, action and time; ``quillpress audit prune`` deletes those older than the
retention."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from typer.testing import CliRunner

from quillpress import cli
from quillpress.app import create_app
from tests.cli import db
from tests.conftest import make_settings


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(cli.app, list(args))


@pytest.fixture
def accounts(runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Two accounts made by the CLI (each leaves a ``user.register`` row); a wide
    terminal, so the table's columns are not elided."""
    monkeypatch.setenv("COLUMNS", "200")
    for name in ("ann", "bob"):
        result = invoke(
            runner, "create-user", name, f"{name}@example.com", "--password", "pw-123456"
        )
        assert result.exit_code == 0, result.output
    return db_url


def test_audit_prints_the_newest_events_as_a_table(runner: CliRunner, accounts: str) -> None:
    result = invoke(runner, "audit")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "action" in line)
    assert header.split() == ["at", "(UTC)", "actor", "action", "target", "outcome"]
    rows = [line for line in lines if "user.register" in line]
    assert len(rows) == 2
    assert "bob" in rows[0]
    assert "ann" in rows[1]
    assert "success" in rows[0]
    assert lines[-1] == "2 events"


def test_audit_wide_shows_every_column(runner: CliRunner, accounts: str) -> None:
    result = invoke(runner, "audit", "--wide")
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0]
    for column in ("at", "actor", "action", "target", "ip", "outcome", "request id"):
        assert column in header
    assert "user agent" in header
    assert "detail" in header
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", result.stdout)  # the whole time


def test_audit_at_80_columns_is_one_line_per_event_and_none_wider(
    runner: CliRunner, accounts: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Long values are cut (…), the time, action and outcome never; --wide cuts nothing."""
    long_name = "annabelle_" + "x" * 40
    _execute(
        accounts,
        "UPDATE audit_event SET actor = :actor, target = :target WHERE actor = 'ann'",
        actor=f"{long_name}@example-company.com",
        target=f"user:{long_name}",
    )
    monkeypatch.setenv("COLUMNS", "80")
    result = invoke(runner, "audit")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, result.stdout
    assert len(lines) == 1 + 2 + 1  # header, one line per event, the count
    assert all("user.register" in line and "success" in line for line in lines[1:3])
    assert "…" in lines[2]
    wide = invoke(runner, "audit", "--wide")
    assert f"user:{long_name}" in wide.stdout
    assert len(wide.stdout.splitlines()) == 4


def test_audit_json_is_one_object_per_event_with_every_field(
    runner: CliRunner, accounts: str
) -> None:
    result = invoke(runner, "audit", "--json")
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [event["actor"] for event in events] == ["bob", "ann"]
    assert set(events[0]) == {
        "id",
        "at",
        "actor",
        "action",
        "target",
        "ip",
        "outcome",
        "request_id",
        "user_agent",
        "detail",
    }
    assert events[0]["action"] == "user.register"
    assert events[0]["at"].endswith("Z")
    filtered = invoke(runner, "audit", "--json", "--user", "ann", "--limit", "1")
    assert [json.loads(line)["actor"] for line in filtered.stdout.splitlines()] == ["ann"]
    assert invoke(runner, "audit", "--json", "--action", "admin.ban").stdout == ""


def test_audit_filters_by_user_action_and_since(runner: CliRunner, accounts: str) -> None:
    by_ann = invoke(runner, "audit", "--user", "ANN")
    assert by_ann.exit_code == 0, by_ann.output
    assert "user:ann" in by_ann.stdout
    assert "user:bob" not in by_ann.stdout
    assert invoke(runner, "audit", "--action", "admin.ban").stdout.splitlines()[-1] == "0 events"
    future = invoke(runner, "audit", "--since", "2999-01-01T00:00:00Z")
    assert future.stdout.splitlines()[-1] == "0 events"
    limited = invoke(runner, "audit", "--limit", "1")
    assert limited.stdout.splitlines()[-1] == "1 event"


def test_audit_filters_by_target_and_until(runner: CliRunner, accounts: str) -> None:
    about_bob = invoke(runner, "audit", "--json", "--target", "BOB")
    assert about_bob.exit_code == 0, about_bob.output
    targets = {json.loads(line)["target"] for line in about_bob.stdout.splitlines()}
    assert targets == {"user:bob"}
    past = invoke(runner, "audit", "--until", "2000-01-01")
    assert past.stdout.splitlines()[-1] == "0 events"
    future = invoke(runner, "audit", "--until", "2999-01-01")
    assert future.stdout.splitlines()[-1] != "0 events"
    bad = invoke(runner, "audit", "--until", "soon")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("Error: --until ")


def test_audit_with_a_bad_since_is_one_line_and_status_2(runner: CliRunner, accounts: str) -> None:
    result = invoke(runner, "audit", "--since", "last week")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: --since must be an ISO-8601 date and time, e.g. 2026-01-02T03:04:05Z"
    ]


def test_prune_removes_events_older_than_the_retention(
    runner: CliRunner, accounts: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = (datetime.now(UTC) - timedelta(days=40)).replace(tzinfo=None)
    _execute(accounts, "UPDATE audit_event SET at = :old WHERE actor = 'ann'", old=old)
    kept = invoke(runner, "audit", "prune")
    assert kept.exit_code == 0, kept.output
    assert kept.stdout.strip() == "Removed 0 audit events older than 90 days."
    monkeypatch.setenv("QUILLPRESS_AUDIT_RETENTION_DAYS", "30")
    pruned = invoke(runner, "audit", "prune")
    assert pruned.stdout.strip() == "Removed 1 audit event older than 30 days."
    assert db.count(accounts, "audit_event") == 1


# What a client can put in a row (a request id stored before ids had an alphabet, a
# lockout's email, a user agent…) and how ``quillpress audit`` must show it: as the text it
# is, control characters escaped (``infra.display``), no markup read.
HOSTILE = {
    "actor": ("[red]mallory", "[red]mallory"),
    "target": ("[link=http://evil]x[/link]", "[link=http://evil]x[/link]"),
    "ip": ("\x1b[31m10.0.0.1", "\\x1b[31m10.0.0.1"),
    "request_id": ("[/x]", "[/x]"),
    "action": ("user.login_failed\u202e", "user.login_failed\\u202e"),
}


def test_audit_prints_what_clients_stored_as_text_with_controls_escaped(
    runner: CliRunner, accounts: str
) -> None:
    columns = ", ".join(HOSTILE)
    params = {name: stored for name, (stored, _) in HOSTILE.items()}
    _execute(
        accounts,
        f"INSERT INTO audit_event (at, outcome, {columns}) "  # noqa: S608 (fixed names)
        f"VALUES (:at, 'failure', {', '.join(':' + name for name in HOSTILE)})",
        at=datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=1),
        **params,
    )
    _execute(
        accounts,
        "UPDATE audit_event SET target = :target WHERE actor = 'ann'",
        target="\u202egnp.exe\x9b2J\x1b]8;;http://evil\x07bidi\u2066\u200b",
    )
    result = invoke(runner, "audit", "--wide")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for _, shown in HOSTILE.values():
        assert shown in out, (shown, out)
    assert "\\u202egnp.exe\\x9b2J\\x1b]8;;http://evil\\x07bidi\\u2066\\u200b" in out
    for raw in ("\x1b", "\x9b", "\x07", "\u202e", "\u2066", "\u200b"):
        assert raw not in out
    assert out.splitlines()[-1] == "3 events"
    as_json = invoke(runner, "audit", "--json").stdout
    for raw in ("\x1b", "\x9b", "\x07", "\u202e", "\u2066", "\u200b"):
        assert raw not in as_json  # JSON escapes them (\u001b…): still nothing obeyed
    first = json.loads(as_json.splitlines()[0])
    assert {name: first[name] for name in HOSTILE} == params


def test_a_login_with_a_markup_request_id_leaves_a_row_audit_prints(
    runner: CliRunner, accounts: str
) -> None:
    """The issue's reproduction: one anonymous login with ``X-Request-ID: [/x]`` made
    ``quillpress audit`` fail with Rich's MarkupError until the row was pruned. The id is
    replaced at the edge now, and the table would show it literally anyway."""

    async def failed_login() -> httpx.Response:
        app = create_app(make_settings(accounts))
        async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                return await http.post(
                    "/api/users/login",
                    json={"user": {"email": "ann@example.com", "password": "wrong-one"}},
                    headers={"X-Request-ID": "[/x]"},
                )

    response = asyncio.run(failed_login())
    assert response.status_code == 401
    fresh = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", fresh)
    result = invoke(runner, "audit", "--action", "user.login_failed", "--wide")
    assert result.exit_code == 0, result.output
    assert fresh in result.stdout
    assert "[/x]" not in result.stdout
    assert result.stdout.splitlines()[-1] == "1 event"


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_a_bad_retention_is_one_line_and_status_2(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("QUILLPRESS_AUDIT_RETENTION_DAYS", value)
    result = invoke(runner, "audit", "prune")
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: QUILLPRESS_AUDIT_RETENTION_DAYS='{value}' is not accepted")


def _execute(url: str, sql: str, **params: Any) -> None:
    import asyncio

    from quillpress.db.engine import create_engine

    async def run() -> None:
        engine = create_engine(url, null_pool=True)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(sql), params)
        finally:
            await engine.dispose()

    asyncio.run(run())
