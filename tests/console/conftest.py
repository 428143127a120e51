"""The moderation console in Debian's Chromium, against a real server on each backend.

For this folder and each backend: one live server, one browser, and the backstage that
makes accounts (``backstage``); per test, a fresh browser context, so no cookie crosses
tests. The tests share the backend's database: each makes its own accounts and articles
with unique names (``backstage.unique``) and asserts only about those; the rows are
deleted when the folder's tests end, since every other test of the backend expects an
empty database.

Why package scope, not session: Playwright's sync API keeps an event loop running in the
test thread while it is open, so any other test of the run that needs one (``asyncio.run``
in fixtures, pytest-asyncio's tests) would fail beside it. pytest runs this folder's tests
of a backend together and tears package fixtures down when it leaves the folder.

Fixture order matters for the same reason: the browser is started last (after the
server, which needs no event loop in this thread) and closed first."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from quillpress.app import create_app
from quillpress.config import Settings
from quillpress.domain.auth import Role
from tests.conftest import make_settings
from tests.console.backstage import Account, Backstage, backstage
from tests.console.steps import TIMEOUT_MS, WIDE, sign_in
from tests.docs.browser import HEADLESS_ARGS, require_chromium
from tests.live_server import live_server


@pytest.fixture(scope="package")
def console_settings(database_url: str) -> Settings:
    require_chromium()  # no point starting a server for a skipped test
    return make_settings(database_url)


@pytest.fixture(scope="package")
def staff(console_settings: Settings) -> Iterator[Backstage]:
    with backstage(console_settings) as opened:
        try:
            yield opened
        finally:
            opened.empty_database()


@pytest.fixture(scope="package")
def console_url(console_settings: Settings, staff: Backstage) -> Iterator[str]:
    """The whole app under uvicorn on a loopback port (the console's Origin check trusts
    loopback origins in development, which the test settings are). Stopped before the
    backstage empties the database."""
    with live_server(create_app(console_settings)) as url:
        yield url


@pytest.fixture(scope="package")
def browser(console_url: str) -> Iterator[Browser]:
    executable = require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=HEADLESS_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def context(browser: Browser, console_url: str) -> Iterator[BrowserContext]:
    opened = browser.new_context(base_url=console_url, viewport=WIDE)
    opened.set_default_timeout(TIMEOUT_MS)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def api(console_url: str) -> Iterator[httpx.Client]:
    """The REST API of the same server, as a client program sees it."""
    with httpx.Client(base_url=console_url, timeout=TIMEOUT_MS / 1000) as client:
        yield client


@pytest.fixture
def admin(staff: Backstage) -> Account:
    """This test's own administrator (every name starting ``admin``: see
    ``rest.make_sole_admin``)."""
    return staff.register("admin", role=Role.ADMIN)


@pytest.fixture
def admin_page(page: Page, admin: Account) -> Page:
    """A page signed in to the console as this test's own administrator."""
    sign_in(page, admin)
    return page
