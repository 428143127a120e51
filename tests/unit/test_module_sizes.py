"""Issue 20's structure rule: no module over 300 lines without a reason in its docstring.

A long module is allowed when its docstring says why (a paragraph starting ``Size:``);
otherwise the length is a sign of two concerns in one place and the module is split."""

from __future__ import annotations

import ast
from pathlib import Path

import quillpress

LIMIT = 300
SOURCE = Path(quillpress.__file__).parent


def long_modules_without_a_reason(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= LIMIT or "/migrations/versions/" in path.as_posix():
            continue
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if "Size:" not in docstring:
            found.append(f"{path.relative_to(root)} ({text.count(chr(10))} lines)")
    return found


def test_every_module_over_300_lines_says_why_in_its_docstring() -> None:
    assert long_modules_without_a_reason(SOURCE) == []


def test_the_check_finds_a_long_module_without_a_reason(tmp_path: Path) -> None:
    (tmp_path / "long.py").write_text('"""Two concerns."""\n' + "x = 1\n" * 400)
    (tmp_path / "said.py").write_text('"""Data.\n\nSize: a table."""\n' + "x = 1\n" * 400)
    (tmp_path / "short.py").write_text('"""Short."""\n' + "x = 1\n" * 10)
    assert long_modules_without_a_reason(tmp_path) == ["long.py (401 lines)"]
