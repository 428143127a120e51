"""GraphQL ``searchArticles``: the same use case as REST ``?q=``, as a connection whose
edges carry ``rank`` and ``highlight``; its errors named after its arguments; its cost."""

from __future__ import annotations

from typing import Any

import httpx
from graphql import OperationDefinitionNode, parse

from quillpress.api.graphql.protections import SEARCH_COST, query_cost
from quillpress.api.graphql.schema import schema
from tests.helpers import create_article, gql, gql_data, gql_error, register

SEARCH = """query($query: String!, $first: Int, $after: String, $tag: String) {
  searchArticles(query: $query, first: $first, after: $after, tag: $tag) {
    totalCount suggestion
    pageInfo { hasNextPage endCursor }
    edges { cursor rank highlight { title snippet } node { slug title } }
  }
}"""


async def _blog(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, title="Caching in depth", body="Layers <em>matter</em>.")
    await create_article(client, ann, title="Misc notes", body="We cache, then cache again.")
    await create_article(client, ann, title="Gardening", body="Tomatoes.", tagList=["cache"])


async def search(client: httpx.AsyncClient, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = (await gql_data(client, SEARCH, variables))["searchArticles"]
    return found


async def test_edges_carry_rank_and_highlight_most_relevant_first(
    client: httpx.AsyncClient,
) -> None:
    await _blog(client)
    found = await search(client, query="caching")
    assert found["totalCount"] == 3
    assert found["suggestion"] is None
    ranks = [edge["rank"] for edge in found["edges"]]
    assert ranks == sorted(ranks, reverse=True)
    assert all(rank > 0 for rank in ranks)
    first = found["edges"][0]
    assert first["node"]["title"] == "Caching in depth"
    assert first["highlight"] == {
        "title": "<mark>Caching</mark> in depth",
        "snippet": "Layers &lt;em&gt;matter&lt;/em&gt;.",
    }
    rest = (await client.get("/api/articles?q=caching")).json()["articles"]
    assert [edge["highlight"] for edge in found["edges"]] == [item["match"] for item in rest]


async def test_pages_follow_the_cursors_as_rest_pages_follow_its_links(
    client: httpx.AsyncClient,
) -> None:
    await _blog(client)
    seen, after = [], None
    while True:
        found = await search(client, query="cache", first=2, after=after)
        seen += [edge["node"]["slug"] for edge in found["edges"]]
        assert [edge["cursor"] for edge in found["edges"]][-1] == found["pageInfo"]["endCursor"]
        if not found["pageInfo"]["hasNextPage"]:
            break
        after = found["pageInfo"]["endCursor"]
    rest = (await client.get("/api/articles?q=cache")).json()["articles"]
    assert seen == [item["slug"] for item in rest]
    rest_page = await client.get(
        f"/api/articles?q=cache&limit=1&cursor={found['edges'][0]['cursor']}"
    )
    assert rest_page.status_code == 200  # one codec: a GraphQL cursor continues in REST


async def test_a_blank_query_is_the_plain_list_without_rank_or_highlight(
    client: httpx.AsyncClient,
) -> None:
    await _blog(client)
    found = await search(client, query="  ", first=2)
    assert found["totalCount"] == 3
    assert [edge["node"]["title"] for edge in found["edges"]] == ["Gardening", "Misc notes"]
    assert all(edge["rank"] is None and edge["highlight"] is None for edge in found["edges"])
    later = await search(client, query="", after=found["pageInfo"]["endCursor"])
    assert [edge["node"]["title"] for edge in later["edges"]] == ["Caching in depth"]


async def test_errors_are_named_after_the_arguments(client: httpx.AsyncClient) -> None:
    keyset = "MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHwx"
    for variables, fields in (
        ({"query": "x" * 201}, {"query": ["is too long (maximum is 200 characters)"]}),
        ({"query": "x", "first": 0}, {"first": ["must be greater than or equal to 1"]}),
        ({"query": "x", "after": "garbage"}, {"after": ["is not a valid cursor"]}),
        (
            {"query": "x", "after": keyset},
            {"after": ["belongs to a list, not to a search: send it without q"]},
        ),
    ):
        error = gql_error(await gql(client, SEARCH, variables))
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["fields"] == fields, variables


def _cost(document: str) -> int:
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    return query_cost(schema, parsed, operation, {}, default_page=20)


def test_a_search_costs_more_than_the_list_it_returns() -> None:
    listed = _cost("{ articles(first: 5) { totalCount edges { node { slug } } } }")
    searched = _cost(
        '{ searchArticles(query: "x", first: 5) { totalCount edges { node { slug } } } }'
    )
    assert searched - listed == SEARCH_COST
    several = "{ " + " ".join(
        f'a{n}: searchArticles(query: "x") {{ totalCount }}' for n in range(11)
    )
    assert _cost(several + " }") > 10_000  # the default QUILLPRESS_GRAPHQL_MAX_COST
