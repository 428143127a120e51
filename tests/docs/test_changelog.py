"""CHANGELOG.md carries an upgrade note for every migration and names every setting, and the
site includes it."""

from __future__ import annotations

import re

from quillpress.config import ENV_PREFIX, Settings
from tests.docs import runnable

CHANGELOG = runnable.ROOT / "CHANGELOG.md"
VERSIONS = runnable.ROOT / "src" / "quillpress" / "db" / "migrations" / "versions"


def test_every_migration_has_an_upgrade_note() -> None:
    text = CHANGELOG.read_text()
    revisions = sorted(
        match[1]
        for path in VERSIONS.glob("*.py")
        if (match := re.search(r'^revision\s*[:=].*?"(\w+)"', path.read_text(), re.M))
    )
    assert revisions, "no migration found"
    missing = [r for r in revisions if not re.search(rf"^#+ .*[Mm]igration {r}\b", text, re.M)]
    assert not missing, f"CHANGELOG.md needs a '### Migration NNNN' upgrade note for {missing}"


def test_every_setting_is_named() -> None:
    text = CHANGELOG.read_text()
    missing = [
        ENV_PREFIX + name.upper()
        for name in Settings.model_fields
        if f"`{ENV_PREFIX}{name.upper()}`" not in text
    ]
    assert not missing, f"CHANGELOG.md should say when these settings came or changed: {missing}"


def test_the_site_includes_the_changelog() -> None:
    page = (runnable.ROOT / "docs" / "changelog.md").read_text()
    assert "<!-- generated: changelog -->" in page
