"""``quillpress sessions NAME``: an operator's list of one user's live sessions, as a table
that reads at 80 columns, every column with ``--wide``, one JSON object per line with
``--json``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from quillpress import cli
from tests.cli import db

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0 " * 2


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(cli.app, list(args))


@pytest.fixture
def ann(runner: CliRunner, db_url: str) -> str:
    """ann, signed in once by create-user, and once more with a long user agent."""
    created = invoke(runner, "create-user", "ann", "ann@example.com", "--password", "pw-123456")
    assert created.exit_code == 0, created.output
    db.execute(
        db_url,
        "INSERT INTO user_session "
        "(id, user_id, created_at, last_seen_at, refreshed_at, user_agent, ip) "
        "SELECT 'second-session', id, created_at, created_at, created_at, :agent, "
        "'2001:db8::1' FROM app_user WHERE username = 'ann'",
        agent=USER_AGENT,
    )
    return db_url


def test_sessions_lists_the_users_live_sessions(runner: CliRunner, ann: str) -> None:
    result = invoke(runner, "sessions", "ann")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "last", "seen", "(UTC)", "ip", "device"]
    assert any(line.startswith("second-session") for line in lines)
    assert lines[-1] == "2 sessions"


def test_sessions_at_80_columns_is_one_line_per_session(
    runner: CliRunner, ann: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    lines = invoke(runner, "sessions", "ann").stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert len(lines) == 1 + 2 + 1
    wide = invoke(runner, "sessions", "ann", "--wide").stdout
    assert USER_AGENT.strip() in wide
    assert "created" in wide.splitlines()[0]


def test_sessions_json_is_one_object_per_session(runner: CliRunner, ann: str) -> None:
    result = invoke(runner, "sessions", "ann", "--json")
    assert result.exit_code == 0, result.output
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(found) == 2
    assert all(
        set(session) == {"id", "created_at", "last_seen_at", "ip", "user_agent"}
        for session in found
    )
    second = next(session for session in found if session["id"] == "second-session")
    assert second["user_agent"] == USER_AGENT
    assert second["ip"] == "2001:db8::1"


def test_sessions_of_an_unknown_user_is_one_line(runner: CliRunner, ann: str) -> None:
    result = invoke(runner, "sessions", "nobody")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["Error: cannot list sessions: user not found"]
