"""The schema, assembled from its types; ``quillpress graphql-schema`` prints it as SDL."""

from __future__ import annotations

from graphql import GraphQLSchema, print_schema

from quillpress.api.graphql.mutation import MutationType
from quillpress.api.graphql.query import QueryType

schema = GraphQLSchema(query=QueryType, mutation=MutationType)


def sdl() -> str:
    return print_schema(schema) + "\n"
