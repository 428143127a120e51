"""Printing the N+1 lesson with Rich: a summary table, each way's SQL, the lesson.

Kept apart from :mod:`quillpress.demo.n_plus_one` so that module reads as the lesson
itself: build a blog, load one page three ways, count."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import groupby
from typing import Protocol

from rich.console import Console
from rich.table import Table
from rich.text import Text


class Measured(Protocol):
    """What this module prints of one way of loading the page (an ``n_plus_one.Result``):
    declared here, so the lesson imports its printer and never the other way round."""

    @property
    def name(self) -> str: ...
    @property
    def statements(self) -> int: ...
    @property
    def milliseconds(self) -> float: ...
    @property
    def total_milliseconds(self) -> float: ...
    @property
    def sql(self) -> Sequence[str]: ...
    @property
    def note(self) -> str: ...
    @property
    def loaded(self) -> Sequence[object]:
        """The posts the way loaded (the table's title counts them)."""
        ...


PROBLEM = (
    "Problem: the naive way sends one query for the page and one more per row, so its cost "
    "grows with the page (1 + N round trips)."
)
FIX = (
    "Fix: load a relation for the whole page at once (selectinload() in the ORM, a "
    "DataLoader batch in GraphQL), so the count stays the same for 3 rows or 100."
)
WHY_SQLITE_HIDES_IT = (
    "Why the naive way does not look slow here: SQLite runs inside this process, so a "
    "statement is a function call that costs microseconds, while a database server charges a "
    "network round trip for every statement: run with --database-url (PostgreSQL) to see it."
)
ON_POSTGRES = (
    "On PostgreSQL every statement above was a network round trip to the server: that wait, "
    "paid once per row, is what the N+1 problem multiplies."
)


def shorten(sql: str, width: int = 160) -> str:
    """One line per statement, cut to ``width`` (the console crops further to fit):
    enough to recognise a statement in a list."""
    flat = re.sub(r"\s+", " ", sql).strip()
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _statements_noun(count: int) -> str:
    return f"{count} statement" if count == 1 else f"{count} statements"


def _summary(results: Sequence[Measured], backend: str) -> Table:
    posts = len(results[0].loaded) if results else 0
    where = "PostgreSQL" if backend == "postgresql" else "SQLite"
    table = Table(title=f"Loading {posts} posts with their comments ({where})")
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


def _statements(result: Measured, full_sql: bool) -> list[Text]:
    """The way's SQL, identical consecutive statements folded into one counted line:
    the naive way's repeated comments query is the whole lesson in one line. With
    ``full_sql`` each statement is printed whole, as sent, under its count."""
    lines: list[Text] = []
    for sql, repeats in groupby(result.sql):
        count = len(list(repeats))
        if full_sql:
            lines.append(Text(f"  {count:>3} x", style="bold"))
            lines.extend(Text(f"        {line}") for line in sql.strip().splitlines())
        else:
            lines.append(Text(f"  {count:>3} x {shorten(sql)}"))
    return lines


def render(
    results: Sequence[Measured],
    console: Console,
    *,
    backend: str = "sqlite",
    full_sql: bool = False,
) -> None:
    """The summary table, each way's statements (one cropped line each, or whole with
    ``full_sql``) and its note, then the problem, the fix and what the times mean on
    ``backend``."""
    console.print(_summary(results, backend))
    for result in results:
        console.print()
        console.print(Text(f"{result.name}: {_statements_noun(result.statements)}", style="bold"))
        for line in _statements(result, full_sql):
            if full_sql:
                console.print(line, soft_wrap=True)
            else:
                console.print(line, no_wrap=True, overflow="ellipsis")
        if result.note:
            console.print(Text(f"  {result.note}", style="italic"))
    console.print()
    console.print(Text(PROBLEM, style="red"))
    console.print(Text(FIX, style="green"))
    console.print(Text(ON_POSTGRES if backend == "postgresql" else WHY_SQLITE_HIDES_IT))
