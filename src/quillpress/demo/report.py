"""Printing the N+1 lesson with Rich: a summary table, each way's SQL, the lesson.

Kept apart from :mod:`quillpress.demo.n_plus_one` so that module reads as the lesson
itself: build a blog, load one page three ways, count."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from quillpress.demo.n_plus_one import Result

PROBLEM = (
    "Problem: the naive way sends one query for the page and one more per row, so its cost "
    "grows with the page (1 + N round trips)."
)
FIX = (
    "Fix: load a relation for the whole page at once (selectinload() in the ORM, a "
    "DataLoader batch in GraphQL), so the count stays the same for 3 rows or 100."
)


def shorten(sql: str, width: int = 160) -> str:
    """One line per statement, cut to ``width`` (the console crops further to fit):
    enough to recognise a statement in a list."""
    flat = re.sub(r"\s+", " ", sql).strip()
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _summary(results: Sequence[Result]) -> Table:
    posts = len(results[0].loaded) if results else 0
    table = Table(title=f"Loading {posts} posts with their authors")
    table.add_column("Way")
    table.add_column("Statements", justify="right")
    table.add_column("DB time (ms)", justify="right")
    table.add_column("Total (ms)", justify="right")
    for result in results:
        table.add_row(
            result.name,
            str(result.statements),
            f"{result.milliseconds:.2f}",
            f"{result.total_milliseconds:.2f}",
        )
    return table


def _statements(result: Result) -> list[Text]:
    """The way's SQL, identical consecutive statements folded into one counted line:
    the naive way's repeated author query is the whole lesson in one line."""
    return [
        Text(f"  {len(list(repeats)):>3} x {shorten(sql)}") for sql, repeats in groupby(result.sql)
    ]


def render(results: Sequence[Result], console: Console) -> None:
    """The summary table, each way's statements (one line each, cropped to the console)
    and its note, then the problem and the fix."""
    console.print(_summary(results))
    for result in results:
        console.print()
        console.print(Text(f"{result.name}: {result.statements} statements", style="bold"))
        for line in _statements(result):
            console.print(line, no_wrap=True, overflow="ellipsis")
        if result.note:
            console.print(Text(f"  {result.note}", style="italic"))
    console.print()
    console.print(Text(PROBLEM, style="red"))
    console.print(Text(FIX, style="green"))
