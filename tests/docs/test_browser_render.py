"""The pages really render in a browser with no network beyond the app: the asset tests
prove the files are served, this proves they are the right files, load in the right order
and find their globals (GraphiQL's UMD build needs React and ReactDOM before it).

Debian's Chromium (/usr/bin/chromium) dumps the DOM after a virtual-time budget (see
``browser.py``; the server comes from this folder's conftest)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.docs.browser import HEADLESS_ARGS, require_chromium

CHROMIUM_TIMEOUT_S = 90


def dump_dom(url: str, profile: Path) -> str:
    """Chromium's DOM after the page's scripts ran, killing its whole process group if it
    hangs (Chromium forks helpers that would otherwise keep the output pipes open)."""
    command = [
        require_chromium(),
        *HEADLESS_ARGS,
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        url,
    ]
    process = subprocess.Popen(  # noqa: S603 (fixed executable, our own URL)
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=CHROMIUM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"chromium did not finish {url} in {CHROMIUM_TIMEOUT_S}s", pytrace=False)
    finally:
        with contextlib.suppress(ProcessLookupError):  # helpers that outlived the browser
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, f"chromium exited {process.returncode}: {stderr[-2000:]}"
    return stdout


def test_graphiql_renders(server_url: str, tmp_path: Path) -> None:
    dom = dump_dom(f"{server_url}/graphql", tmp_path / "profile")
    assert "graphiql-container" in dom, dom[-2000:]
    assert "Loading GraphiQL" not in dom  # React replaced the placeholder


def test_swagger_ui_renders_the_operations(server_url: str, tmp_path: Path) -> None:
    dom = dump_dom(f"{server_url}/docs", tmp_path / "profile")
    assert 'class="swagger-ui"' in dom, dom[-2000:]
    assert "/api/articles" in dom, dom[-2000:]  # the OpenAPI document was fetched and drawn


def test_redoc_renders_the_operations(server_url: str, tmp_path: Path) -> None:
    dom = dump_dom(f"{server_url}/redoc", tmp_path / "profile")
    assert "/api/articles" in dom, dom[-2000:]


def test_front_page_renders(server_url: str, tmp_path: Path) -> None:
    dom = dump_dom(f"{server_url}/", tmp_path / "profile")  # Chromium asks for text/html
    assert "First steps with curl" in dom, dom[-2000:]
    assert f"curl -s {server_url}/api/users" in dom
