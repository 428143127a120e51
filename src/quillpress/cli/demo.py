"""``quillpress demo``: runnable lessons (``demo n-plus-one``)."""

from __future__ import annotations

from typing import Annotated

import typer

from quillpress.cli.failures import CONFIGURATION_ERROR, fail
from quillpress.cli.root import command, commands

group = commands("Runnable lessons.", no_args_is_help=True)


@command(group, "n-plus-one")
def demo_n_plus_one(
    posts: Annotated[int, typer.Option(min=1, max=100, metavar="N", help="Posts to load.")] = 10,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL server to run it on.",
            metavar="URL",
        ),
    ] = None,
    sql: Annotated[bool, typer.Option("--sql", help="Print every statement in full.")] = False,
) -> None:
    """Load posts and comments three ways; compare their SQL cost.

    They are loaded naively (N+1 statements), eagerly and through a DataLoader.
    Each way prints its SQL statements and the time they took.
    By default in a temporary SQLite file; with --database-url, in a database it
    creates on that PostgreSQL server and drops afterwards."""
    from quillpress.demo import n_plus_one

    try:
        n_plus_one.main(posts=posts, database_url=database_url, full_sql=sql)
    except n_plus_one.LessonError as error:
        fail(str(error), CONFIGURATION_ERROR)
