"""The listings (``audit``, ``sessions``): a table that fits the terminal, or one JSON
object per row, and never a stored value sent to the terminal as it is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import typer

JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object per line, every field.")]
WideOption = Annotated[bool, typer.Option("--wide", help="Every column (wider than 80).")]


def print_listing(
    rows: Sequence[Mapping[str, Any]],
    columns: Mapping[str, str],
    *,
    as_json: bool,
    wide: bool,
    noun: str,
    fixed: frozenset[str] = frozenset(),
) -> None:
    """A listing on stdout: a table of ``columns`` (heading → field) and a count line, or
    with ``--json`` one JSON object per row with every field and nothing else (ASCII:
    anything a client stored is escaped, never sent to the terminal as it is).

    The table keeps one line per row. It fits the terminal (80 columns when it is no
    terminal): the ``fixed`` fields show whole, the others are cut with an ellipsis when
    space runs out. With ``wide`` nothing is cut: the table is as wide as it takes."""
    import json

    if as_json:
        for row in rows:
            typer.echo(json.dumps(dict(row), ensure_ascii=True, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for heading, field in columns.items():
        table.add_column(heading, no_wrap=field in fixed or wide)
    for row in rows:
        table.add_row(*(_as_text(_shown(row[field])) for field in columns.values()))
    console = Console()
    if wide:
        whole = console.measure(table, options=console.options.update_width(100_000))
        console = Console(width=max(console.width, whole.maximum))
    console.print(table)
    console.print(f"{len(rows)} {noun}{'s' if len(rows) != 1 else ''}")


def _shown(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    import json

    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def _as_text(value: str | None) -> Any:
    """A stored value (much of it written by clients: an email, a request id) as a table
    cell: a ``Text`` object, so Rich reads no markup in it (``[/x]`` would be a
    ``MarkupError``, ``[link=…]`` a hyperlink), with its control characters escaped
    (``infra.display``), so none reaches the operator's terminal."""
    from rich.text import Text

    from quillpress.infra.display import visible

    return Text(visible(value) if value else "-", no_wrap=True, overflow="ellipsis")


def minute(moment: Any) -> str:
    """``2026-01-02 03:04`` (UTC): the narrow table's time; ``--wide`` shows it whole."""
    from quillpress.domain.views import isoformat

    return isoformat(moment)[:16].replace("T", " ")
