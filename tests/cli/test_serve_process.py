"""``serve`` and ``make run`` for real: a server on a free 127.0.0.1 port, the one line that
says it is serving, and a stop by signal that nobody reports as a failure."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import free_port, sqlite_url

ROOT = Path(__file__).resolve().parents[2]
BANNER = "Quillpress is serving http://127.0.0.1:{port} (docs /docs, GraphQL /graphql)"


@contextmanager
def started(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` in its own session (signals meant for it never reach pytest),
    output to ``log``; killed at the end whatever happened."""
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (the tests' own command)
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(log: Path, text: str, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"never printed {text!r}:\n{log.read_text(errors='replace')}")


def server_env(directory: Path) -> dict[str, str]:
    return {**os.environ, "QUILLPRESS_DATABASE_URL": sqlite_url(directory / "serve.db")}


def get(port: int, path: str) -> int:
    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10).status_code


@pytest.mark.parametrize(
    ("workers", "stop"),
    [(1, signal.SIGINT), (1, signal.SIGTERM), (2, signal.SIGTERM)],
    ids=["one-worker-ctrl-c", "one-worker-sigterm", "two-workers-sigterm"],
)
def test_serve_says_once_that_it_is_serving_and_a_stop_signal_exits_0(
    cli_env: Path, workers: int, stop: signal.Signals
) -> None:
    port = free_port()
    log = cli_env / "serve.log"
    command = [sys.executable, "-m", "quillpress", "serve", "--port", str(port)]
    with started([*command, "--workers", str(workers)], server_env(cli_env), log) as server:
        banner = BANNER.format(port=port)
        wait_for(log, banner, server)
        assert get(port, "/api/tags") == 200  # the line means it: requests are answered
        assert get(port, "/docs") == 200
        server.send_signal(stop)
        assert server.wait(timeout=60) == 0, log.read_text()
    assert log.read_text().count(banner) == 1


def _venv_bin() -> Path:
    return Path(sys.executable).parent


@pytest.fixture
def make() -> str:
    found = shutil.which("make")
    if found is None:
        pytest.skip("make is not installed")
    if not (_venv_bin() / "quillpress").exists():
        pytest.skip(f"no quillpress entry point next to {sys.executable}")
    return found


def make_command(make: str, *args: str) -> list[str]:
    """``make`` on this repository with the running virtualenv, which it must not rebuild
    (``-o``: a pyproject.toml newer than the entry point would reinstall mid-test)."""
    venv = _venv_bin().parent
    return [make, "-C", str(ROOT), f"VENV={venv}", "-o", f"{venv}/bin/quillpress", *args]


def test_make_run_passes_host_and_port_to_serve(make: str) -> None:
    dry = subprocess.run(  # noqa: S603 (the tests' own command)
        make_command(make, "-n", "run", "HOST=0.0.0.0", "PORT=8123"),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "quillpress serve --demo --host 0.0.0.0 --port 8123" in dry.stdout


@pytest.mark.parametrize("port", ["abc", "70000", "0", "80 80"])
def test_make_run_checks_the_port_in_one_line_before_anything_else(
    make: str, tmp_path: Path, port: str
) -> None:
    """Before installing or starting anything (a VENV that does not exist is never made)."""
    venv = tmp_path / "never-made"
    result = subprocess.run(  # noqa: S603 (the tests' own command)
        [make, "-C", str(ROOT), f"VENV={venv}", "run", f"PORT={port}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert f"PORT={port} is not a port: give a number from 1 to 65535" in line
    assert not venv.exists()


def test_make_run_stopped_by_sigterm_reports_no_failure(make: str, cli_env: Path) -> None:
    """What a supervisor (or ``kill``) does to ``make run``: SIGTERM to make itself. make
    passes it to the server, which shuts down and exits 0, so make prints no
    ``make: *** [run] Terminated``. (make then re-raises the signal on itself: that part
    is GNU make's own and is not reported by make.)"""
    port = free_port()
    log = cli_env / "make.log"
    with started(make_command(make, "run", f"PORT={port}"), server_env(cli_env), log) as run:
        wait_for(log, BANNER.format(port=port), run)
        assert get(port, "/api/tags") == 200
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=60)
    output = log.read_text()
    assert "Seeded 50 users" in output
    assert "make: ***" not in output, output
    assert "Finished server process" in output  # shut down gracefully, not killed
