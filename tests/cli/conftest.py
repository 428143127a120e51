"""CLI fixtures: every command runs against its own SQLite file in a temporary directory,
configured only through the environment, exactly as a user would run it."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import FAST_HASHING, TEST_SECRET


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Commands point the ``quillpress`` logger at the runner's (soon closed) stderr."""
    logger = logging.getLogger("quillpress")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean environment and working directory; returns the directory."""
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "QUILLPRESS_ENV", "QUILLPRESS_SECRET_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QUILLPRESS_SECRET_KEY", TEST_SECRET)
    for name, value in FAST_HASHING.items():
        monkeypatch.setenv(f"QUILLPRESS_{name.upper()}", str(value))
    return tmp_path


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def db_url(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, not yet migrated SQLite file the commands use."""
    url = sqlite_url(cli_env / "cli.db")
    monkeypatch.setenv("QUILLPRESS_DATABASE_URL", url)
    return url


def free_port() -> int:
    """A port nothing listens on (bound, then released), for ``serve --port``: the
    default 8000 may be taken by a server someone is running (``make run``)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_args(*args: str) -> list[str]:
    return ["serve", "--port", str(free_port()), *args]
