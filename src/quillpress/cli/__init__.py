"""The ``quillpress`` command: serve, migrate, seed and create users.

Each command only loads settings, calls one lower-layer function and reports the
outcome; no SQL and no business rules live here. Failures a user can fix print one line
on stderr with an exit status that says which kind (``cli.failures``).

Every command imports what it needs when it runs, never at the top of its module: the
application (FastAPI, the GraphQL schema, SQLAlchemy, pydantic settings) takes over a
second to load, and ``--version``, ``--help`` or a mistyped option should not wait for it
(tests/cli/test_cli_front.py checks they load none of it).

One module per command group: ``serve`` (with the parent process's duties in
``workers``, ``supervisor`` and ``serve_warnings``), ``db``, ``seed``, ``users``
(create-user), ``audit`` and ``sessions`` (with their ``listing``), ``cache``, ``schemas``
(openapi, graphql-schema) and ``demo``; ``root`` is the Typer application they are added
to below, ``runtime`` what they run on (settings, a database handle, ``asyncio.run``)."""

from __future__ import annotations

from quillpress.cli import audit, cache, db, demo, schemas, seed, serve, sessions, users
from quillpress.cli.root import app

# The tree, in the order ``quillpress --help`` lists it: the top-level commands, then
# the groups.
app.add_typer(serve.top_level)
app.add_typer(seed.top_level)
app.add_typer(sessions.top_level)
app.add_typer(schemas.top_level)
app.add_typer(users.top_level)
app.add_typer(db.group, name="db")
app.add_typer(audit.group, name="audit")
app.add_typer(cache.group, name="cache")
app.add_typer(demo.group, name="demo")

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point (``quillpress`` and ``python -m quillpress``)."""
    app()
