"""A real server for the browser tests in this folder."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from playwright.sync_api import Browser, sync_playwright

from quillpress.app import create_app
from tests.conftest import make_settings, migrate_database
from tests.docs.browser import HEADLESS_ARGS, require_chromium

SERVER_START_TIMEOUT_S = 20


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port, in a thread of this process.

    The listening socket is bound here (port 0) and handed to uvicorn, so there is no race
    between picking a port and binding it."""
    require_chromium()  # no point starting a server for a skipped test
    database = tmp_path_factory.mktemp("browser") / "quillpress.db"
    url = f"sqlite+aiosqlite:///{database}"
    asyncio.run(migrate_database(url))

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(make_settings(url)), log_level="warning", lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("uvicorn did not start", pytrace=False)
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=SERVER_START_TIMEOUT_S)
        sock.close()
        assert not thread.is_alive(), "uvicorn did not stop"


@pytest.fixture(scope="module")
def browser(server_url: str) -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (its wheel carries the driver; browser
    downloads cannot work here). Started after the server: Playwright's sync API runs an
    event loop in this thread, and the server fixture needs ``asyncio.run`` to migrate its
    database."""
    executable = require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=HEADLESS_ARGS)
        try:
            yield launched
        finally:
            launched.close()
