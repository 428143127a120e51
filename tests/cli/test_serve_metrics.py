"""``serve --workers 2`` on PostgreSQL and Redis for real: every worker keeps its metric
values in the run's own ``PROMETHEUS_MULTIPROC_DIR``, and a scrape, whichever worker
answers it, adds all of them up. The directory is gone when the server stops, and each
request writes exactly one log line (uvicorn's access log stays off)."""

from __future__ import annotations

import re
import signal
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cli.conftest import free_port
from tests.cli.test_serve_process import BANNER, server_env, started, wait_for

REQUESTS = 120
SCRAPES = 6


def _requests_total(text: str, route: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "http_requests_total" and sample.labels["route"] == route:
                total += sample.value
    return total


def _sample(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def test_two_workers_add_up_their_metrics_in_every_scrape(
    cli_env: Path, backend: str, database_url: str, redis_server: str, redis_prefix: str
) -> None:
    if backend != "postgresql":
        pytest.skip("the multiprocess metrics leg runs on PostgreSQL")
    temp = cli_env / "tmp"
    temp.mkdir()
    env = {
        **server_env(cli_env),
        "QUILLPRESS_DATABASE_URL": database_url,
        "QUILLPRESS_REDIS_URL": redis_server,
        "QUILLPRESS_REDIS_PREFIX": redis_prefix,
        "TMPDIR": str(temp),  # where serve makes the run's metrics directory
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    port = free_port()
    log = cli_env / "serve.log"
    command = [sys.executable, "-m", "quillpress", "serve", "--port", str(port), "--workers", "2"]
    base = f"http://127.0.0.1:{port}"
    with started(command, env, log) as server:
        wait_for(log, BANNER.format(port=port), server)
        for _ in range(REQUESTS):  # a new connection each: the kernel spreads them
            assert httpx.get(f"{base}/api/tags", timeout=10).status_code == 200
        directories = list(temp.glob("quillpress-metrics-*"))
        assert len(directories) == 1, directories
        pids = {
            match.group(1)
            for path in directories[0].iterdir()
            if (match := re.fullmatch(r"counter_(\d+)\.db", path.name))
        }
        assert len(pids) == 2, f"both workers should have counted requests: {pids}"
        for _ in range(SCRAPES):  # answered by either worker: the same totals
            text = httpx.get(f"{base}/metrics", timeout=10).text
            assert _requests_total(text, "/api/tags") == REQUESTS
            count = _sample(
                text, "http_request_duration_seconds_count", method="GET", route="/api/tags"
            )
            assert count == REQUESTS
            hits = _sample(text, "cache_requests_total", result="hit")
            misses = _sample(text, "cache_requests_total", result="miss")
            assert hits + misses == REQUESTS
            assert hits >= REQUESTS - 2  # one miss per worker at most, then cached in Redis
            assert _sample(text, "quillpress_build_info", version=_version()) == 1
            assert "_created" not in text
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0, log.read_text()
    assert not list(temp.glob("quillpress-metrics-*")), "the run's metrics directory is removed"
    lines = [line for line in log.read_text().splitlines() if "path=/api/tags" in line]
    assert len(lines) == REQUESTS, "one log line per request, no uvicorn access line"


def _version() -> str:
    from quillpress import __version__

    return __version__
