"""``quillpress openapi`` and ``graphql-schema``: the API descriptions kept in the
repository (openapi.json, schema.graphql), printed from the code."""

from __future__ import annotations

import typer

from quillpress.cli.root import command, commands

top_level = commands()


@command(top_level, "graphql-schema")
def graphql_schema() -> None:
    """Print the GraphQL schema (SDL), as kept in schema.graphql."""
    from quillpress.api.graphql.schema import sdl

    typer.echo(sdl(), nl=False)


@command(top_level, "openapi")
def openapi_document() -> None:
    """Print the OpenAPI document, as kept in openapi.json."""
    from quillpress.api.rest import openapi
    from quillpress.app import openapi_document as document
    from quillpress.config import Settings

    typer.echo(openapi.render(document(Settings())), nl=False)
