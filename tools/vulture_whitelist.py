"""Names vulture reports as unused that something outside the scanned code calls or reads by
name (vulture is name-based: listing a name here marks every definition of it as used).

Whole kinds (routes, Typer commands, validators, listeners, fixtures, Alembic's module
names, pytest hooks, GraphQL visitor methods, the rate-limit settings) are ignored by rule in
pyproject.toml's ``[tool.vulture]``; only single names are listed here, grouped by who uses
them. Before adding one, check that it really is called by name: vulture's finding is
otherwise dead code, to be removed."""

from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# Overrides and attributes a library calls or reads.
_.__call__  # a Protocol's call signature types a compiled serializer (api/rest/envelopes.py)
_.build_middleware_stack  # Starlette builds the middleware stack through it (app.py)
_.isolation_level  # sqlite3's connection attribute, set off for explicit BEGINs (db/engine.py)
_.should_exit  # uvicorn's Server polls it to stop (tests' live servers)
_.handle_starttag  # html.parser.HTMLParser's callback (tests' HTML parsers)
_.on_page_markdown  # MkDocs hook, loaded by name from tools/docs/hooks.py
_.connection_made  # asyncio.Protocol callbacks, called by the event loop (infra/resp.py)
_.connection_lost

# signal.signal calls a handler with (signum, frame), used or not.
_.signum

# A source's method that graphql-core's default resolver calls by the field's name (a
# callable source attribute: tests/graphql/test_execution.py's unusual cases).
_.shout
