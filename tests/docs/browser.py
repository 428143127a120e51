"""Debian's Chromium for the browser tests in this folder.

Without Chromium the browser tests skip locally; with CI=true a missing browser fails the
run, so CI cannot go green by silently not testing the pages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ON_CI

CHROMIUM = "/usr/bin/chromium"
# Every other host fails to resolve, as on an offline machine: a CDN reference that slipped
# past the asset tests would leave the page blank.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
HEADLESS_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    OFFLINE,
]


def require_chromium() -> str:
    if Path(CHROMIUM).exists() or shutil.which("chromium"):
        return CHROMIUM if Path(CHROMIUM).exists() else str(shutil.which("chromium"))
    reason = f"{CHROMIUM} is not installed (apt-get install -y chromium)"
    if ON_CI:
        pytest.fail(f"CI=true requires the browser test: {reason}", pytrace=False)
    pytest.skip(reason)
