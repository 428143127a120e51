"""The CLI and the cache: ``serve --workers`` never runs per-process caches side by side,
and ``create-user`` purges what a running server cached, like an API write."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from quillpress import cli
from tests.conftest import make_settings
from tests.helpers import cache_outcome, serve, statement_count


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(cli.app, list(args))


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    for name in ("QUILLPRESS_CACHE", "QUILLPRESS_REDIS_URL"):
        monkeypatch.setenv(name, "")  # recorded, so whatever serve sets is undone after
        monkeypatch.delenv(name)
    return calls


def test_serve_with_workers_and_no_redis_turns_the_implied_memory_cache_off(
    runner: CliRunner, db_url: str, uvicorn_calls: list[dict[str, Any]]
) -> None:
    result = invoke(runner, "serve", "--workers", "2")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("the cache is off") == 1
    assert uvicorn_calls[0]["workers"] == 2
    assert os.environ["QUILLPRESS_CACHE"] == "off"  # what the workers' settings read


def test_serve_with_one_worker_keeps_the_memory_cache(
    runner: CliRunner, db_url: str, uvicorn_calls: list[dict[str, Any]]
) -> None:
    result = invoke(runner, "serve")
    assert result.exit_code == 0, result.output
    assert "the cache is off" not in result.stderr
    assert "cache=memory" in result.stderr  # the startup summary
    assert "QUILLPRESS_CACHE" not in os.environ


def test_serve_with_workers_and_an_explicit_memory_cache_is_a_configuration_error(
    runner: CliRunner,
    db_url: str,
    uvicorn_calls: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QUILLPRESS_CACHE", "memory")
    result = invoke(runner, "serve", "--workers", "3")
    assert result.exit_code == 2
    assert "QUILLPRESS_CACHE=memory cannot serve --workers > 1" in result.stderr
    assert uvicorn_calls == []


@pytest.mark.parametrize("mode", ["memory", "redis"])
async def test_create_user_is_seen_by_a_running_server_that_looked_the_name_up(
    request: pytest.FixtureRequest,
    runner: CliRunner,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
) -> None:
    values: dict[str, object] = {"cache": mode}
    if mode == "redis":
        values |= {
            "redis_url": request.getfixturevalue("redis_server"),
            "redis_prefix": request.getfixturevalue("redis_prefix"),
        }
    for name, value in values.items():
        monkeypatch.setenv(f"QUILLPRESS_{name.upper()}", str(value))
    assert (await asyncio.to_thread(invoke, runner, "db", "upgrade")).exit_code == 0
    async with serve(make_settings(db_url, **values)) as (_app, client):
        await client.get("/api/profiles/newbie")
        again = await client.get("/api/profiles/newbie")
        assert again.status_code == 404
        # Only answers that exist are kept: "no such profile" is read again each time.
        assert (cache_outcome(again), statement_count(again)) == ("miss", 1)

        result = await asyncio.to_thread(
            invoke, runner, "create-user", "newbie", "newbie@example.com", "--password", "pw-12345"
        )
        assert result.exit_code == 0, result.output

        found = await client.get("/api/profiles/newbie")
        assert found.status_code == 200, found.text
        assert found.json()["profile"]["username"] == "newbie"
