"""Screenshots of every moderation console page, for the docs, at 1280 and 360 px wide.

    python tools/console_screenshots.py [--out docs/img/console]

What it does, as an operator would: ``quillpress serve --demo`` on a throwaway SQLite file
(demo users, articles and comments), ``quillpress create-user --admin`` for a moderator,
then Debian's Chromium signs in to ``/admin``, bans one demo user with a reason (the users
list and the audit log show the ban), signs another in from two devices through the REST
API (their page shows the sessions), and saves each page as ``<page>-<width>.png``, from
the top and at most two screens long.

Not run by ``make test``: it rewrites tracked files (the PNGs in ``docs/img/console``).
Run it after a change to the console's pages and commit the pictures that changed.
Needs /usr/bin/chromium (``apt-get install -y chromium``) and the dev tools (Playwright).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import FloatRect, Page, ViewportSize, expect, sync_playwright

from quillpress.seeding.seed import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img" / "console"
CHROMIUM = "/usr/bin/chromium"
HEADLESS_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
WIDTHS = {1280: 800, 360: 740}  # width: height of the first screen
SCREENS = 2  # a shot is the page from the top, at most this many screens long
ADMIN_EMAIL = "moderator@example.org"
ADMIN_PASSWORD = "moderator-password"  # noqa: S105 (a throwaway demo database)
START_TIMEOUT_S = 60
TIMEOUT_MS = 20_000
DEVICES = (
    "Mozilla/5.0 (Android 15; Mobile; rv:140.0) Gecko/140.0 Firefox/140.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _quillpress(*args: str) -> list[str]:
    return [sys.executable, "-m", "quillpress", *args]


@contextmanager
def demo_server(workdir: Path) -> Iterator[str]:
    """``quillpress serve --demo`` with a moderator account; yields the base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "QUILLPRESS_DATABASE_URL": f"sqlite:///{workdir / 'console-demo.db'}",
        "QUILLPRESS_SECRET_FILE": str(workdir / "secret"),
        "QUILLPRESS_ENV": "development",
        "QUILLPRESS_LOG_LEVEL": "warning",
    }
    env.pop("QUILLPRESS_REDIS_URL", None)
    server = subprocess.Popen(  # noqa: S603 (our own command line)
        _quillpress("serve", "--demo", "--port", str(port)), env=env, cwd=workdir
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("quillpress serve --demo did not start")
            time.sleep(0.25)
        subprocess.run(  # noqa: S603 (our own command line)
            _quillpress(
                "create-user",
                "moderator",
                ADMIN_EMAIL,
                "--password",
                ADMIN_PASSWORD,
                "--admin",
            ),
            env=env,
            cwd=workdir,
            check=True,
        )
        yield url
    finally:
        server.terminate()
        server.wait(timeout=START_TIMEOUT_S)


def _sign_in(page: Page) -> None:
    page.goto("/admin/sign-in")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _demo_users(page: Page, count: int) -> list[str]:
    """The names of the newest ``count`` demo users, from the users list."""
    page.goto("/admin/users?role=user")
    links = page.get_by_role("table").get_by_role("link")
    return [str(links.nth(index).inner_text()) for index in range(count)]


def _ban(page: Page, username: str) -> None:
    page.goto(f"/admin/users/{username}")
    page.get_by_label("Reason").fill("Links to a phishing site in three comments")
    page.get_by_role("button", name="Ban", exact=True).click()
    expect(page.get_by_text("Banned", exact=True)).to_be_visible()


def _two_devices(page: Page, url: str, username: str) -> None:
    """Sign ``username`` in from a phone and a laptop (the demo password is shared)."""
    page.goto(f"/admin/users/{username}")
    email = page.get_by_role("definition").first.inner_text()
    for agent in DEVICES:
        response = httpx.post(
            f"{url}/api/users/login",
            json={"user": {"email": email, "password": DEMO_PASSWORD}},
            headers={"User-Agent": agent},
        )
        response.raise_for_status()


def _delete_button(page: Page, listing: str) -> None:
    page.goto(listing)
    page.get_by_role("button", name="Delete").first.click()
    expect(page.get_by_role("button", name="Confirm")).to_be_visible()


def pages(shown: str) -> dict[str, Callable[[Page], object]]:
    """Each page to shoot, by file name, and how to reach it once signed in."""
    return {
        "overview": lambda page: page.goto("/admin"),
        "users": lambda page: page.goto("/admin/users"),
        "user": lambda page: page.goto(f"/admin/users/{shown}"),
        "articles": lambda page: page.goto("/admin/articles"),
        "article-delete": lambda page: _delete_button(page, "/admin/articles"),
        "comments": lambda page: page.goto("/admin/comments"),
        "comment-delete": lambda page: _delete_button(page, "/admin/comments"),
        "audit": lambda page: page.goto("/admin/audit"),
    }


def shoot(url: str, out: Path) -> list[Path]:
    """Sign in, ban a demo user, then shoot every page at each width; the files written."""
    written: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=HEADLESS_ARGS)
        shown = ""
        for width, height in WIDTHS.items():
            context = browser.new_context(
                base_url=url, viewport=ViewportSize(width=width, height=height)
            )
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            page.goto("/admin/sign-in")
            written.append(_save(page, out / f"sign-in-{width}.png"))
            _sign_in(page)
            if not shown:
                banned, shown = _demo_users(page, 2)
                _ban(page, banned)
                _two_devices(page, url, shown)
            for name, reach in pages(shown).items():
                reach(page)
                written.append(_save(page, out / f"{name}-{width}.png"))
            context.close()
        browser.close()
    return written


def _save(page: Page, path: Path) -> Path:
    page.wait_for_load_state("networkidle")
    viewport = page.viewport_size
    assert viewport is not None  # every context here sets one
    tall = page.evaluate("document.documentElement.scrollHeight")
    height = min(tall, viewport["height"] * SCREENS)
    clip = FloatRect(x=0, y=0, width=viewport["width"], height=height)
    page.screenshot(path=path, full_page=True, clip=clip, animations="disabled")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"Folder (default {OUT}).")
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir, demo_server(Path(workdir)) as url:
        for path in shoot(url, options.out):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
