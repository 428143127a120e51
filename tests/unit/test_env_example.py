"""``.env.example`` lists every setting, once, with its real default and a one-line meaning."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from quillpress.config import ENV_PREFIX, Settings

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"
VARIABLE_LINE = re.compile(r"^# (?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


def _lines() -> list[str]:
    return EXAMPLE.read_text().splitlines()


def _entries() -> list[tuple[str, str, str]]:
    """(variable, listed default, the comment line above it) for each variable line."""
    lines = _lines()
    found = []
    for index, line in enumerate(lines):
        match = VARIABLE_LINE.match(line)
        if match:
            meaning = lines[index - 1] if index else ""
            found.append((match["name"], match["value"], meaning))
    return found


def _settings_variables() -> dict[str, str]:
    return {ENV_PREFIX + name.upper(): name for name in Settings.model_fields}


@pytest.fixture(autouse=True)
def _no_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX) or name == "DATABASE_URL":
            monkeypatch.delenv(name)


def test_every_setting_is_listed() -> None:
    listed = {name for name, _, _ in _entries()}
    assert sorted(set(_settings_variables()) - listed) == []


def test_every_listed_variable_is_a_setting() -> None:
    listed = {name for name, _, _ in _entries()}
    assert sorted(listed - set(_settings_variables())) == []


def test_each_variable_is_listed_once() -> None:
    names = [name for name, _, _ in _entries()]
    assert sorted(name for name in set(names) if names.count(name) > 1) == []


def test_each_variable_has_a_one_line_meaning_above_it() -> None:
    for name, _, meaning in _entries():
        assert meaning.startswith("# "), name
        assert not VARIABLE_LINE.match(meaning), name
        assert len(meaning.removeprefix("# ").split()) >= 3, name


def test_every_line_is_a_comment_so_copying_the_file_changes_nothing() -> None:
    assert [line for line in _lines() if line.strip() and not line.startswith("#")] == []


@pytest.mark.parametrize("entry", _entries(), ids=lambda entry: entry[0])
def test_listed_value_is_the_default(
    entry: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    variable, value, _ = entry
    field = _settings_variables().get(variable)
    if field is None:
        pytest.fail(f"{variable} is not a setting")
    default = getattr(Settings(), field)
    if value == "":
        assert not default, f"{variable} is listed empty but defaults to {default!r}"
        return
    monkeypatch.setenv(variable, value)
    assert getattr(Settings(), field) == default
