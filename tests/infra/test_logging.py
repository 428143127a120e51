"""One log format per environment for every line the process writes, uvicorn's included:
JSON objects in production, readable console lines in development."""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from quillpress.config import Settings
from quillpress.infra.logging import configure_logging
from tests.conftest import TEST_SECRET

START_TIMEOUT_S = 30


@pytest.fixture(autouse=True)
def _restore_logging() -> Any:
    """These tests reconfigure the process's logging; leave it as the suite had it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _free_port() -> int:
    """A port nobody listens on right now (``serve`` takes a number, not a socket)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve_and_log(tmp_path: Path, env: str) -> tuple[list[str], httpx.Response]:
    """Run ``quillpress serve`` in its own process, make one request, stop it with Ctrl-C;
    return every line it wrote to stderr and the response."""
    port = _free_port()
    environment = {
        **os.environ,
        "QUILLPRESS_ENV": env,
        "QUILLPRESS_SECRET_KEY": secrets.token_urlsafe(48),
        "QUILLPRESS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
    }
    command = [sys.executable, "-m", "quillpress", "serve", "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603 (our own CLI)
        command, cwd=tmp_path, env=environment, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/api/tags", headers={"X-Request-ID": "log-test-1"}
                )
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"serve did not start: {process.communicate()[1]}")
                time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=START_TIMEOUT_S)
    return [line for line in stderr.splitlines() if line.strip()], response


def test_production_writes_only_json_lines_uvicorns_included(tmp_path: Path) -> None:
    lines, response = serve_and_log(tmp_path, "production")
    records = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    for record in records:
        assert list(record)[:4] == ["ts", "level", "logger", "msg"], record
        assert record["ts"].endswith("Z"), record  # UTC
    loggers = {record["logger"] for record in records}
    assert "uvicorn.error" in loggers, loggers
    assert any("Uvicorn running on" in record["msg"] for record in records)
    request = next(record for record in records if record["logger"] == "quillpress.request")
    assert request["request_id"] == "log-test-1" == response.headers["x-request-id"]
    assert request["method"] == "GET"
    assert request["path"] == "/api/tags"
    assert request["status"] == 200
    assert request["sql_statements"] == 1
    assert {"duration_ms", "sql_ms"} <= set(request)
    assert "uvicorn.access" not in loggers  # the request line above is the access log


def test_development_writes_readable_lines_uvicorns_included(tmp_path: Path) -> None:
    lines, _ = serve_and_log(tmp_path, "development")
    for line in lines:
        with pytest.raises(json.JSONDecodeError):
            json.loads(line)
    assert any("Uvicorn running on" in line and "[uvicorn.error]" in line for line in lines)
    request = next(line for line in lines if "[quillpress.request]" in line)
    assert "[info" in request
    assert "request_id=log-test-1" in request
    assert "path=/api/tags" in request
    assert "status=200" in request


def _settings(env: str) -> Settings:
    return Settings(env=env, secret_key=TEST_SECRET, log_level="DEBUG")  # type: ignore[arg-type]


def test_extra_fields_positional_arguments_and_exceptions_reach_the_json_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(_settings("production"))
    log = logging.getLogger("quillpress.test")
    log.info("hello %s", "world", extra={"user_id": 7, "when": Path("/x")})
    try:
        raise ValueError("nope")
    except ValueError:
        log.exception("it failed")
    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert first["msg"] == "hello world"
    assert first["level"] == "info"
    assert first["user_id"] == 7
    assert first["when"] == "/x"  # not JSON-native: rendered as text, never a crash
    assert second["level"] == "error"
    assert "ValueError: nope" in second["exception"]


def test_configuring_twice_keeps_one_handler(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(_settings("production"))
    configure_logging(_settings("development"))
    logging.getLogger("quillpress.test").warning("once")
    lines: list[Any] = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert "once" in lines[0]
    assert "[warning" in lines[0]


def test_development_lines_show_client_controls_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A path or user agent a client chose never drives the terminal a developer reads
    the console lines on; production's JSON escapes them already."""
    configure_logging(_settings("development"))
    logging.getLogger("quillpress.test").info(
        "request", extra={"path": "/\x1b]0;owned\x07\u202e", "agent": "ok"}
    )
    line = capsys.readouterr().err
    assert "path=/\\x1b]0;owned\\x07\\u202e" in line
    assert "\x1b]0" not in line
    assert "\u202e" not in line
