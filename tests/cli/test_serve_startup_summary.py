"""``serve`` logs one ``startup`` record before it serves, with named fields: the
environment, the database (password masked), the replicas, the cache as it will really be
(``redis (reachable)``, ``redis (unreachable)``, ``memory``, ``off``), the rate limits,
the workers and the public URL. No server is started: ``uvicorn.run`` is a recorder."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from quillpress import cli
from quillpress.cli.serve import startup_summary
from quillpress.config import CacheMode
from tests.cli.conftest import free_port
from tests.conftest import make_settings

FIELDS = {"env", "database", "replicas", "cache", "rate_limits", "workers", "public_url"}
LOCAL = "http://127.0.0.1:8000"


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    for name in ("QUILLPRESS_CACHE", "QUILLPRESS_REDIS_URL"):
        monkeypatch.setenv(name, "")  # recorded, so whatever serve sets is undone after
        monkeypatch.delenv(name)
    return calls


def _startup_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "quillpress.cli" and r.msg == "startup"]


def test_serve_logs_one_startup_record_with_named_fields(
    runner: CliRunner,
    db_url: str,
    uvicorn_calls: list[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    with caplog.at_level(logging.INFO):
        result = runner.invoke(cli.app, ["serve", "--port", str(port)])
    assert result.exit_code == 0, result.output
    assert len(uvicorn_calls) == 1
    [record] = _startup_records(caplog)
    fields = {name: getattr(record, name) for name in FIELDS}
    assert fields == {
        "env": "development",
        "database": db_url,
        "replicas": 0,
        "cache": "memory",
        "rate_limits": "on (memory)",
        "workers": 1,
        "public_url": f"http://127.0.0.1:{port}",
    }
    assert "startup" in result.stderr  # the line itself, in the development format
    assert "rate_limits=" in result.stderr


def test_two_workers_without_redis_show_the_cache_they_really_get(
    runner: CliRunner,
    db_url: str,
    uvicorn_calls: list[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO):
        result = runner.invoke(cli.app, ["serve", "--port", str(free_port()), "--workers", "2"])
    assert result.exit_code == 0, result.output
    [record] = _startup_records(caplog)
    assert (record.cache, record.workers) == ("off", 2)
    assert record.rate_limits == "on (memory, per worker)"


def test_the_database_password_is_masked_and_replicas_counted() -> None:
    settings = make_settings(
        "postgresql://app:s3cret-pw@db.internal:5432/quillpress",
        database_replica_urls="postgresql://app:s3cret-pw@r1/q,postgresql://app:s3cret-pw@r2/q",
        rate_limits=False,
        cache="off",
        env="production",
        public_url="https://blog.example.com",
    )
    summary = startup_summary(settings, cache=CacheMode.OFF, workers=4, local_url=LOCAL)
    assert summary == {
        "env": "production",
        "database": "postgresql+asyncpg://app:***@db.internal:5432/quillpress",
        "replicas": 2,
        "cache": "off",
        "rate_limits": "off",
        "workers": 4,
        "public_url": "https://blog.example.com",
    }
    assert "s3cret" not in repr(summary)


def test_a_redis_cache_that_does_not_answer_is_named_unreachable(db_url: str) -> None:
    settings = make_settings(db_url, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    summary = startup_summary(settings, cache=CacheMode.REDIS, workers=1, local_url=LOCAL)
    assert summary["cache"] == "redis (unreachable)"
    assert summary["rate_limits"] == "on (redis)"


def test_a_redis_cache_that_answers_is_named_reachable(db_url: str, redis_server: str) -> None:
    settings = make_settings(db_url, redis_url=redis_server)
    summary = startup_summary(settings, cache=CacheMode.REDIS, workers=1, local_url=LOCAL)
    assert summary["cache"] == "redis (reachable)"
