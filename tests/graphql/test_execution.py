"""``api.graphql.execution.PlainExecutor``: the short path for plain fields and plain subtrees
answers what graphql-core's own executor answers, field for field, error for error."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from graphql import GraphQLField, GraphQLNonNull, GraphQLObjectType, GraphQLString
from graphql.execution.executor import Executor

from quillpress.api.graphql.execution import PlainExecutor, plain
from tests.helpers import create_article, gql, make_admin, register

ARTICLE_FIELDS = """slug title description body tagList createdAt updatedAt favorited
  favoritesCount author { username bio image following __typename }"""

DIRECTED = """query($more: Boolean!, $author: Boolean!) { articles(first: 5) {
  e: edges { c: cursor n: node { s: slug description @include(if: $more)
  ... on Article { author @skip(if: $author) { username } } ...G } }
  edges { node { title author { bio } } } pageInfo { __typename endCursor } } }
fragment G on Article { tagList favorited author { following image } }"""

QUERIES: list[tuple[str, dict[str, Any]]] = [
    (
        f"""{{ articles(first: 3) {{ totalCount edges {{ cursor node {{ {ARTICLE_FIELDS} }} }}
          pageInfo {{ hasNextPage endCursor }} nodes {{ slug }} }} }}""",
        {},
    ),
    (
        f"""query($s: String!) {{ article(slug: $s) {{ {ARTICLE_FIELDS}
        comments {{ id body createdAt updatedAt author {{ username }} }} }} }}""",
        {"s": "dragons"},
    ),
    (
        """{ a: article(slug: "dragons") { t: title ...F } missing: article(slug: "nope") { slug } }
        fragment F on Article { slug tagList }""",
        {},
    ),
    ('{ profile(username: "ann") { username bio image following } tags }', {}),
    ("{ viewer { username email bio image sessions { id current userAgent ip createdAt } } }", {}),
    (
        """{ adminUsers(first: 5) { totalCount edges { node { username email role banned
          createdAt lastLoginAt } } pageInfo { hasNextPage endCursor } }
          auditEvents(first: 5) { totalCount nodes { id at actor action target ip userAgent
          requestId outcome } } }""",
        {},
    ),
    ("{ articles(first: 0) { totalCount } }", {}),  # an argument error, located
    (DIRECTED, {"more": True, "author": False}),
    # The same document again (its plans are kept with it): what the variables select differs.
    (DIRECTED, {"more": False, "author": True}),
    ("{ __typename viewer { __typename } }", {}),
    (
        """query($q: String!) { searchArticles(query: $q, first: 2) { totalCount suggestion
          edges { cursor rank highlight { title snippet } node { slug body } }
          pageInfo { hasNextPage endCursor } } }""",
        {"q": "dragons"},
    ),
    ('{ searchArticles(query: "") { edges { cursor rank highlight { title } } } }', {}),
    ("{ viewer { profile { username following } } }", {}),
]


async def answers(client: httpx.AsyncClient, headers: dict[str, str]) -> list[Any]:
    results = []
    for query, variables in QUERIES:
        response = await gql(client, query, variables, headers=headers)
        results.append((response.status_code, response.json()))
    return results


async def test_leaf_and_generic_execution_answer_the_same(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    root = await make_admin(app, client, "root")
    ann = await register(client, "ann")
    await client.put("/api/user", json={"user": {"bio": "Writes", "image": None}}, headers=ann)
    slug = (await create_article(client, ann, title="Dragons", tagList=["b", "a"]))["slug"]
    await create_article(client, root, title="Other")
    await client.post(f"/api/articles/{slug}/favorite", headers=root)
    await client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": "Hi"}}, headers=root
    )
    await client.post(
        "/api/users/login", json={"user": {"email": "x@example.com", "password": "wrong-password"}}
    )

    leaf = [await answers(client, headers) for headers in ({}, ann, root)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PlainExecutor, "execute_field", Executor.execute_field)
        generic = [await answers(client, headers) for headers in ({}, ann, root)]

    assert leaf == generic
    flat = [body for per_viewer in leaf for _, body in per_viewer]
    assert any("errors" in body for body in flat)  # refusals were compared too
    assert any(body.get("data", {}).get("adminUsers") for body in flat if body.get("data"))
    searched = [body["data"].get("searchArticles") for body in flat if body.get("data")]
    assert any(found and found["edges"] for found in searched)  # search edges compared too


def test_a_value_the_short_path_cannot_complete_is_graphql_cores_error() -> None:
    """A non-null leaf that resolves to null: graphql-core's located error, not a crash."""
    from graphql import GraphQLSchema, execute_sync, graphql_sync, parse

    query = GraphQLObjectType(
        "Query",
        {
            "name": GraphQLField(GraphQLNonNull(GraphQLString), resolve=plain(lambda _s, _i: None)),
            "other": GraphQLField(GraphQLString, resolve=plain(lambda _s, _i: 12)),
        },
    )
    schema = GraphQLSchema(query)
    document = parse("{ other name }")
    short = execute_sync(schema, document, executor_class=PlainExecutor)
    generic = graphql_sync(schema, "{ other name }")
    assert short == generic
    assert short.errors is not None
    assert "Cannot return null" in short.errors[0].message


def test_a_plain_subtree_with_an_unusual_value_is_answered_by_graphql_core() -> None:
    """Objects and lists completed by the short path, and a null (or ``Undefined``) deep
    inside a non-null chain, a list that is not a list, a callable attribute, a resolver
    that raises and a value a scalar refuses:
    the answers and the errors (message, path, location) are graphql-core's own."""
    from graphql import (
        GraphQLBoolean,
        GraphQLInt,
        GraphQLList,
        GraphQLSchema,
        execute_sync,
        parse,
    )
    from graphql.pyutils import Undefined

    class Thing:
        def __init__(self, name: Any, size: Any = 1, tags: Any = ("a",)) -> None:
            self.name = name
            self.size = size
            self.tags = tags

        def shout(self, _info: Any) -> str:
            return str(self.name).upper()

    thing = GraphQLObjectType(
        "Thing",
        lambda: {
            "name": GraphQLField(GraphQLNonNull(GraphQLString)),
            "size": GraphQLField(GraphQLInt),
            "big": GraphQLField(GraphQLBoolean, resolve=plain(lambda t, _i: t.size > 2)),
            "tags": GraphQLField(GraphQLList(GraphQLNonNull(GraphQLString))),
            "shout": GraphQLField(GraphQLString),
            "self": GraphQLField(GraphQLNonNull(thing), resolve=plain(lambda t, _i: t)),
        },
    )
    things = {
        "fine": [Thing("a"), {"name": "b", "size": 3, "tags": ["x", "y"]}],
        "deepNull": [Thing("a"), Thing(None)],
        "notAList": [Thing("a", tags="ab")],
        "nullItem": [Thing("a", tags=["x", None])],
        "refused": [Thing("a", size=2**40)],
        "missing": None,
        "nullThing": [Thing("a"), None],
        "undefined": [Thing("a", size=Undefined, tags=["x", Undefined]), Thing(Undefined)],
    }
    query = GraphQLObjectType(
        "Query",
        {
            name: GraphQLField(
                GraphQLList(GraphQLNonNull(thing)),
                resolve=plain(lambda _s, _i, value=value: value),
            )
            for name, value in things.items()
        },
    )
    schema = GraphQLSchema(query)
    selection = "{ __typename name size big tags shout s: self { name self { size } } }"
    document = parse("{ " + " ".join(f"{name} {selection}" for name in things) + " }")

    short = execute_sync(schema, document, executor_class=PlainExecutor)
    generic = execute_sync(schema, document, executor_class=Executor)

    assert short == generic
    assert short.data is not None
    assert short.data["fine"][1]["tags"] == ["x", "y"]
    assert short.data["fine"][0]["shout"] == "A"
    assert {tuple(error.path or ()) for error in short.errors or ()} == {
        ("fine", 1, "big"),  # the plain resolver raises for a dict (no .size)
        ("deepNull", 1, "name"),  # (its twin under "s" falls with the nulled item)
        ("notAList", 0, "tags"),
        ("nullItem", 0, "tags", 1),
        ("refused", 0, "size"),
        ("refused", 0, "s", "self", "size"),
        ("nullThing", 1),
        ("undefined", 0, "big"),  # Undefined > 2
        ("undefined", 0, "tags", 1),
        ("undefined", 1, "name"),
    }
