"""Limits on what one GraphQL request may ask for, introspection, and the document cache."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import TEST_SECRET, make_settings
from tests.helpers import (
    create_article,
    gql,
    gql_data,
    gql_error,
    graphql_endpoint,
    register,
    serve,
)

DEPTH_4 = "{ articles { nodes { author { username } } } }"  # articles > nodes > author > username
DEPTH_3 = "{ articles { nodes { slug } } }"


async def test_query_deeper_than_the_maximum_is_refused_with_400(database_url: str) -> None:
    async with serve(make_settings(database_url, graphql_max_depth=3)) as (_app, http):
        refused = await gql(http, DEPTH_4)
        error = gql_error(refused, status=400)
        assert "depth 4, maximum 3" in error["message"]
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "data" not in refused.json()
        assert await gql_data(http, DEPTH_3) == {"articles": {"nodes": []}}


async def test_depth_counts_fields_inside_fragments(database_url: str) -> None:
    query = """
      { articles { ...Nodes } }
      fragment Nodes on ArticleConnection { nodes { author { username } } }
    """
    async with serve(make_settings(database_url, graphql_max_depth=3)) as (_app, http):
        error = gql_error(await gql(http, query), status=400)
        assert "nested too deeply" in error["message"]


async def test_self_referencing_fragments_are_refused_without_crashing(database_url: str) -> None:
    query = """
      { articles { nodes { ...A } } }
      fragment A on Article { author { articles { nodes { ...A } } } }
    """
    async with serve(make_settings(database_url)) as (_app, http):
        response = await gql(http, query)
        error = gql_error(response, status=400)
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "A" in error["message"]


async def test_more_aliases_than_the_maximum_are_refused_with_400(database_url: str) -> None:
    async with serve(make_settings(database_url, graphql_max_aliases=2)) as (_app, http):
        allowed = await gql_data(http, "{ a: tags b: tags }")
        assert allowed == {"a": [], "b": []}
        error = gql_error(await gql(http, "{ a: tags b: tags c: tags }"), status=400)
        assert "3 aliases" in error["message"]
        assert "maximum is 2" in error["message"]
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


# articles(first: N) { nodes { slug } } costs 1 + N * (1 + 1).
FLAT = "query($n: Int) { articles(first: $n) { nodes { slug } } }"
# Nested pages multiply: 1 + N * (nodes 1 + author (1 + articles (1 + N * 2))).
NESTED = """query($n: Int) {
  articles(first: $n) { nodes { author { articles(first: $n) { nodes { slug } } } } }
}"""


async def test_query_cost_over_the_maximum_is_refused_before_running(database_url: str) -> None:
    async with serve(make_settings(database_url, graphql_max_cost=100)) as (_app, http):
        assert await gql_data(http, FLAT, {"n": 49}) == {"articles": {"nodes": []}}
        refused = await gql(http, FLAT, {"n": 50})
        error = gql_error(refused, status=400)
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert "cost 101" in error["message"]
        assert "maximum of 100" in error["message"]


async def test_query_cost_reads_a_literal_first_too(database_url: str) -> None:
    async with serve(make_settings(database_url, graphql_max_cost=100)) as (_app, http):
        refused = await gql(http, "{ articles(first: 50) { nodes { slug } } }")
        assert gql_error(refused, status=400)["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_nested_pages_multiply_the_cost(database_url: str) -> None:
    async with serve(make_settings(database_url, graphql_max_cost=100)) as (_app, http):
        # n=5: 1 + 5 * (1 + 1 + (1 + 5 * 2)) = 66, within the budget.
        assert (await gql(http, NESTED, {"n": 5})).status_code == 200
        # n=10: 1 + 10 * (1 + 1 + (1 + 10 * 2)) = 231; each page alone costs only 21.
        error = gql_error(await gql(http, NESTED, {"n": 10}), status=400)
        assert "cost 231" in error["message"]


async def test_lists_without_a_page_size_count_as_several_items(database_url: str) -> None:
    query = "{ articles(first: 10) { nodes { comments { body author { username } } } } }"
    # 1 + 10 * (1 + 1 + 10 * (1 + 1 + 1)) = 321: comments multiply by their estimate.
    async with serve(make_settings(database_url, graphql_max_cost=320)) as (_app, http):
        error = gql_error(await gql(http, query), status=400)
        assert "cost 321" in error["message"]


async def test_default_page_size_is_used_for_cost_when_first_is_omitted(database_url: str) -> None:
    async with serve(make_settings(database_url, graphql_max_cost=40)) as (_app, http):
        # default page 20: 1 + 20 * 2 = 41
        error = gql_error(await gql(http, "{ articles { nodes { slug } } }"), status=400)
        assert "cost 41" in error["message"]


@pytest.mark.parametrize(
    ("first", "message"),
    [(101, "must be less than or equal to 100"), (0, "must be greater than or equal to 1")],
)
async def test_page_size_outside_the_limits_is_bad_user_input_on_first(
    client: httpx.AsyncClient, first: int, message: str
) -> None:
    error = gql_error(await gql(client, FLAT, {"n": first}))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "fields": {"first": [message]}}
    assert error["path"] == ["articles"]


async def test_nested_page_size_over_the_maximum_is_bad_user_input(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann)
    query = '{ profile(username: "ann") { favorites(first: 1000) { totalCount } } }'
    error = gql_error(await gql(client, query))
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {"first": ["must be less than or equal to 100"]},
    }
    assert error["path"] == ["profile", "favorites"]


async def test_max_page_size_is_a_setting_shared_with_rest(database_url: str) -> None:
    settings = make_settings(database_url, max_page_size=5, default_page_size=5)
    async with serve(settings) as (_app, http):
        error = gql_error(await gql(http, FLAT, {"n": 6}))
        assert error["extensions"]["fields"] == {"first": ["must be less than or equal to 5"]}
        assert (await http.get("/api/articles?limit=6")).status_code == 422
        assert await gql_data(http, FLAT, {"n": 5}) == {"articles": {"nodes": []}}


INTROSPECTION = "{ __schema { queryType { name } } }"


def _refused(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body, body
    errors: list[dict[str, Any]] = body["errors"]
    assert {e["extensions"]["code"] for e in errors} == {"GRAPHQL_VALIDATION_FAILED"}
    return errors


PRODUCTION = {"env": "production", "secret_key": TEST_SECRET}


async def test_introspection_is_on_in_development(database_url: str) -> None:
    async with serve(make_settings(database_url)) as (_app, http):
        data = await gql_data(http, INTROSPECTION)
        assert data == {"__schema": {"queryType": {"name": "Query"}}}


async def test_introspection_is_off_in_production(database_url: str) -> None:
    async with serve(make_settings(database_url, **PRODUCTION)) as (_app, http):
        errors = _refused(await gql(http, INTROSPECTION))
        assert "introspection has been disabled" in errors[0]["message"]
        assert "'__schema'" in errors[0]["message"]
        type_query = '{ __type(name: "Article") { name } }'
        assert "'__type'" in _refused(await gql(http, type_query))[0]["message"]
        # __typename is not introspection of the schema: it keeps working.
        assert await gql_data(http, "{ __typename }") == {"__typename": "Query"}


async def test_introspection_can_be_turned_on_in_production(database_url: str) -> None:
    settings = make_settings(database_url, graphql_introspection=True, **PRODUCTION)
    async with serve(settings) as (_app, http):
        data = await gql_data(http, INTROSPECTION)
        assert data["__schema"]["queryType"]["name"] == "Query"


async def test_introspection_can_be_turned_off_in_development(database_url: str) -> None:
    async with serve(make_settings(database_url, graphql_introspection=False)) as (_app, http):
        assert "introspection" in _refused(await gql(http, INTROSPECTION))[0]["message"]


async def test_the_same_query_text_is_parsed_and_validated_once(
    app: object, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = graphql_endpoint(app).documents
    prepared: list[str] = []
    original = documents._prepare

    def counting(query: str) -> object:
        prepared.append(query)
        return original(query)

    monkeypatch.setattr(documents, "_prepare", counting)
    query = "query($n: Int) { articles(first: $n) { totalCount } }"
    for n in (1, 2, 1):
        await gql_data(client, query, {"n": n})
    assert prepared == [query]
    assert list(documents._entries) == [query]
    await gql_data(client, "{ tags }")
    assert prepared == [query, "{ tags }"]
    assert len(documents._entries) == 2


async def test_invalid_documents_are_cached_with_their_errors(
    app: object, client: httpx.AsyncClient
) -> None:
    documents = graphql_endpoint(app).documents
    first = await gql(client, "{ nosuchfield }")
    second = await gql(client, "{ nosuchfield }")
    assert first.status_code == second.status_code == 400
    assert first.json() == second.json()
    assert list(documents._entries) == ["{ nosuchfield }"]


async def test_document_cache_keeps_only_the_most_recently_used(database_url: str) -> None:
    # Cache off: a shared answer is served before the endpoint parses anything.
    settings = make_settings(database_url, graphql_document_cache_size=2, cache="off")
    async with serve(settings) as (application, http):
        documents = graphql_endpoint(application).documents
        for query in ("{ tags }", "{ viewer { username } }", "{ tags }", "{ __typename }"):
            assert (await gql(http, query)).status_code == 200
        assert list(documents._entries) == ["{ tags }", "{ __typename }"]
