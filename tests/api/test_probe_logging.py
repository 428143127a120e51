"""The request line of a passing probe (``/healthz``, ``/readyz``) is DEBUG, not INFO:
Kubernetes asks every few seconds per pod, and at INFO those lines outnumbered the
traffic's. A failing readiness probe stays INFO, and so does every other request."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.conftest import make_settings, migrate_database
from tests.helpers import serve


def request_levels(caplog: pytest.LogCaptureFixture) -> dict[str, list[str]]:
    """route → the levels of its request lines."""
    found: dict[str, list[str]] = {}
    for record in caplog.records:
        if record.name == "quillpress.request":
            found.setdefault(record.__dict__["route"], []).append(record.levelname)
    return found


async def test_passing_probes_are_debug_and_the_rest_info(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'probes.db'}"
    await migrate_database(url)
    async with serve(make_settings(url)) as (_app, client):
        with caplog.at_level(logging.DEBUG, logger="quillpress.request"):
            for path in ("/healthz", "/readyz", "/api/tags", "/metrics"):
                assert (await client.get(path)).status_code == 200
    assert request_levels(caplog) == {
        "/healthz": ["DEBUG"],
        "/readyz": ["DEBUG"],
        "/api/tags": ["INFO"],
        "/metrics": ["INFO"],
    }


async def test_probes_write_nothing_at_the_default_level(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'quiet.db'}"
    await migrate_database(url)
    async with serve(make_settings(url)) as (_app, client):  # QUILLPRESS_LOG_LEVEL=INFO
        with caplog.at_level(logging.INFO):
            for _ in range(3):
                await client.get("/healthz")
                await client.get("/readyz")
            await client.get("/api/tags")
    assert request_levels(caplog) == {"/api/tags": ["INFO"]}


async def test_a_failing_readiness_probe_stays_info(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings("sqlite+aiosqlite:////nonexistent-dir/qp.db")  # unreachable
    async with serve(settings) as (_app, client):
        with caplog.at_level(logging.INFO):
            assert (await client.get("/readyz")).status_code == 503
    assert request_levels(caplog) == {"/readyz": ["INFO"]}
