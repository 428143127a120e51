"""What a client wrote reaches an operator's terminal as printable text: every control
character, bidi override and invisible separator as its Python escape, the backslash
doubled so an escape cannot be forged, everything printable untouched."""

from __future__ import annotations

import pytest

from quillpress.infra.display import visible


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("\x1b[31mred", "\\x1b[31mred"),  # ESC: colours, screen clearing, OSC 8 links
        ("\x00\x07\x08\x7f", "\\x00\\x07\\x08\\x7f"),  # C0 and DEL
        ("a\rb\nc\td", "a\\rb\\nc\\td"),  # a carriage return would overwrite the line
        ("\x85\x9b2J", "\\x85\\x9b2J"),  # C1: NEL, the one-byte CSI
        ("\u202eexe.txt", "\\u202eexe.txt"),  # right-to-left override
        (
            "\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
            "\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c",
        ),
        ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
        ("line\u2028para\u2029", "line\\u2028para\\u2029"),
        ("no\u00a0break", "no\\xa0break"),
        ("back\\slash", "back\\\\slash"),  # so "\\x1b" typed as text cannot pass for ESC
        ("\U000e0041tag", "\\U000e0041tag"),
    ],
)
def test_controls_are_shown_as_python_escapes(stored: str, shown: str) -> None:
    assert visible(stored) == shown


@pytest.mark.parametrize(
    "text", ["ann@example.com", "[link=http://evil]x[/link]", "café 中文 😀", "a b", ""]
)
def test_printable_text_is_unchanged(text: str) -> None:
    assert visible(text) is text
