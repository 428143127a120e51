"""``serve`` warns about a ``QUILLPRESS_*`` variable no setting reads, so the variables the
project's own tooling reads must be on the allow-list (``config.TOOLING_PREFIXES`` and
``TOOLING_VARIABLES``), or every developer running the tests would be told about them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quillpress.config import (
    TOOLING_PREFIXES,
    TOOLING_VARIABLES,
    setting_variables,
    unknown_variables,
)

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"\bQUILLPRESS_[A-Z0-9_]*[A-Z0-9]\b")
TOOLING = [".ci", ".github", "Makefile", "deploy", "bench", "tests", "compose.yaml", "Dockerfile"]
DELIBERATELY_UNKNOWN = {  # the tests of the warning itself
    ROOT / "tests/cli/test_serve_warnings.py",
    Path(__file__).resolve(),
}


def _files() -> list[Path]:
    found: list[Path] = []
    for entry in TOOLING:
        path = ROOT / entry
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found += [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return [path for path in found if path not in DELIBERATELY_UNKNOWN]


def test_every_variable_the_tooling_names_is_a_setting_or_allow_listed() -> None:
    named = set()
    for path in _files():
        try:
            named |= set(NAME.findall(path.read_text()))
        except UnicodeDecodeError:  # an image, a binary fixture
            continue
    assert {"QUILLPRESS_TEST_POSTGRES_URL", "QUILLPRESS_LOCAL_DIR"} <= named  # it looked
    assert unknown_variables(dict.fromkeys(named, "")) == []


def test_the_allow_list_holds_no_setting() -> None:
    settings = setting_variables()
    assert not [name for name in settings if name.startswith(TOOLING_PREFIXES)]
    assert not TOOLING_VARIABLES & settings


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("QUILLPRESS_DATABSE_URL", "QUILLPRESS_DATABASE_URL"),
        ("QUILLPRESS_SECRET", "QUILLPRESS_SECRET_KEY"),
        ("QUILLPRESS_LOGLEVEL", "QUILLPRESS_LOG_LEVEL"),
        ("QUILLPRESS_CORS_ORIGIN", "QUILLPRESS_CORS_ORIGINS"),
        ("QUILLPRESS_TRUSTED_PROXY", "QUILLPRESS_TRUSTED_PROXIES"),
        ("QUILLPRESS_UNRELATED", None),  # the shared prefix alone makes nothing close
    ],
)
def test_the_closest_setting_is_suggested(typed: str, meant: str | None) -> None:
    assert unknown_variables({typed: "x", "QUILLPRESS_ENV": "production"}) == [(typed, meant)]
