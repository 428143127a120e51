"""``/graphql`` over HTTP: malformed requests are refused with a clear 4xx, never a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from quillpress.config import Settings
from tests.conftest import make_settings
from tests.helpers import (
    create_article,
    gql,
    gql_data,
    gql_error,
    register,
    serve,
    statement_count,
)

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    """These counts pin the uncached path; the cache's own are in tests/cache."""
    return make_settings(database_url, cache="off")


def _refusal(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    """A request refused before execution: no ``data`` key, one error with a code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert "data" not in body, body
    error = gql_error(response, status)
    assert error["extensions"]["code"], error
    return error


@pytest.mark.parametrize(
    ("raw", "code", "phrase"),
    [
        (b"null", "BAD_REQUEST", "JSON object"),
        (b"[]", "BAD_REQUEST", "JSON object"),
        (b'[{"query": "{ tags }"}]', "BAD_REQUEST", "JSON object"),
        (b"42", "BAD_REQUEST", "JSON object"),
        (b'"{ tags }"', "BAD_REQUEST", "JSON object"),
        (b"{}", "BAD_REQUEST", "no `query`"),
        (b'{"query": ""}', "BAD_REQUEST", "no `query`"),
        (b'{"query": "   "}', "BAD_REQUEST", "no `query`"),
        (b'{"query": null}', "BAD_REQUEST", "no `query`"),
        (b'{"query": 7}', "BAD_REQUEST", "no `query`"),
        (b"{not json", "BAD_REQUEST", "not valid JSON"),
        (b"", "BAD_REQUEST", "not valid JSON"),
        (b'{"query": "{ tags }", "variables": [1]}', "BAD_REQUEST", "`variables`"),
        (b'{"query": "{ tags }", "variables": "{}"}', "BAD_REQUEST", "`variables`"),
        (b'{"query": "{ tags }", "variables": 3}', "BAD_REQUEST", "`variables`"),
        (b'{"query": "{ tags }", "operationName": 1}', "BAD_REQUEST", "`operationName`"),
        (b'{"query": "{ articles {"}', "GRAPHQL_PARSE_FAILED", "Syntax Error"),
        (b'{"query": "{ nosuch }"}', "GRAPHQL_VALIDATION_FAILED", "nosuch"),
    ],
    ids=[
        "null",
        "empty-array",
        "batch-array",
        "number",
        "string",
        "no-query",
        "empty-query",
        "blank-query",
        "null-query",
        "number-query",
        "invalid-json",
        "empty-body",
        "variables-array",
        "variables-string",
        "variables-number",
        "operation-name-number",
        "syntax-error",
        "unknown-field",
    ],
)
async def test_malformed_post_is_refused_with_400(
    client: httpx.AsyncClient, raw: bytes, code: str, phrase: str
) -> None:
    response = await client.post("/graphql", content=raw, headers=JSON)
    error = _refusal(response)
    assert error["extensions"]["code"] == code
    assert phrase in error["message"]


async def test_syntax_error_reports_where(client: httpx.AsyncClient) -> None:
    error = _refusal(await gql(client, "{\n  articles {"))
    assert error["locations"] == [{"line": 2, "column": 13}]


async def test_several_operations_need_an_operation_name(client: httpx.AsyncClient) -> None:
    query = "query A { tags } query B { viewer { username } }"
    error = _refusal(await gql(client, query))
    assert "operationName" in error["message"]
    chosen = await client.post("/graphql", json={"query": query, "operationName": "B"})
    assert chosen.json() == {"data": {"viewer": None}}
    unknown = await client.post("/graphql", json={"query": query, "operationName": "C"})
    assert "No operation" in _refusal(unknown)["message"]


async def test_variables_of_the_wrong_type_are_refused_with_400(
    client: httpx.AsyncClient,
) -> None:
    query = "query($n: Int) { articles(first: $n) { totalCount } }"
    response = await gql(client, query, {"n": "ten"})
    assert response.status_code == 400
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "$n" in body["errors"][0]["message"]


async def test_missing_required_variable_is_refused_with_400(client: httpx.AsyncClient) -> None:
    response = await gql(client, "query($s: String!) { article(slug: $s) { slug } }", {})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_get_runs_a_query(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, tagList=["go"])
    response = await client.get("/graphql", params={"query": "{ tags }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"tags": ["go"]}}


async def test_get_takes_variables_as_a_json_string(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    article = await create_article(client, ann)
    params = {
        "query": "query($s: String!) { article(slug: $s) { title } }",
        "variables": json.dumps({"s": article["slug"]}),
    }
    response = await client.get("/graphql", params=params)
    assert response.json() == {"data": {"article": {"title": article["title"]}}}


async def test_get_with_invalid_variables_json_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ tags }", "variables": "{oops"})
    assert "variables" in _refusal(response)["message"]


async def test_get_refuses_mutations_with_405(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    query = 'mutation { createArticle(input: {title: "T", description: "d", body: "b"}) { slug } }'
    response = await client.get("/graphql", params={"query": query}, headers=ann)
    error = _refusal(response, status=405)
    assert "POST" in error["message"]
    listed = await client.get("/api/articles")
    assert listed.json()["articlesCount"] == 0


async def test_get_without_a_query_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "application/json"})
    assert "query" in _refusal(response)["message"]


async def test_browsers_get_graphiql(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


async def test_other_methods_are_not_allowed(client: httpx.AsyncClient) -> None:
    response = await client.put("/graphql", json={"query": "{ tags }"})
    assert response.status_code == 405


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_invalid_token_is_401_unauthenticated(client: httpx.AsyncClient, method: str) -> None:
    headers = {"Authorization": "Token not-a-jwt"}
    if method == "GET":
        response = await client.get("/graphql", params={"query": "{ tags }"}, headers=headers)
    else:
        response = await gql(client, "{ tags }", headers=headers)
    error = _refusal(response, status=401)
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "fields": {"token": ["is invalid"]}}


@pytest.mark.parametrize(
    "query",
    ["{ viewer { username } }", "{ tags }", 'mutation { follow(username: "x") { username } }'],
)
async def test_token_of_a_deleted_user_is_refused_before_anything_runs(
    app: Any, client: httpx.AsyncClient, query: str
) -> None:
    from sqlalchemy import text

    ann = await register(client, "ann")
    async with app.state.resources.database.engine.begin() as conn:
        await conn.execute(text("DELETE FROM app_user WHERE username = 'ann'"))
    response = await gql(client, query, headers=ann)
    error = _refusal(response, status=401)
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "fields": {"token": ["is invalid"]}}


@pytest.mark.parametrize(
    ("method", "path", "payload", "expected"),
    [
        ("POST", "/graphql", {"query": "{ tags }"}, 1),
        ("POST", "/graphql", {"query": "{ nosuch }"}, 0),
        ("POST", "/graphql", None, 0),
        ("GET", "/graphql?query=%7B%20tags%20%7D", None, 1),
        ("GET", "/api/tags", None, 1),
        ("GET", "/api/articles/nosuch", None, 1),
        ("GET", "/api/nowhere", None, 0),
    ],
)
async def test_every_response_reports_its_statement_count(
    client: httpx.AsyncClient, method: str, path: str, payload: Any, expected: int
) -> None:
    response = await client.request(method, path, json=payload)
    assert response.status_code < 500
    assert statement_count(response) == expected


async def test_statement_count_header_counts_the_statements_run(client: httpx.AsyncClient) -> None:
    tags = await gql(client, "{ tags }")
    assert statement_count(tags) == 1
    two = await gql(client, "{ a: tags b: tags }")
    assert statement_count(two) == 2
    refused = await gql(client, "{ nosuch }")
    assert statement_count(refused) == 0


async def test_sql_extension_is_absent_by_default(client: httpx.AsyncClient) -> None:
    body = (await gql(client, "{ tags }")).json()
    assert "extensions" not in body


async def test_sql_extension_reports_statements_in_debug_mode(database_url: str) -> None:
    async with serve(make_settings(database_url, graphql_debug=True, cache="off")) as (_app, http):
        response = await gql(http, "{ a: tags b: tags }")
        sql = response.json()["extensions"]["sql"]
        assert sql["statements"] == 2 == statement_count(response)
        assert sql["ms"] >= 0


async def test_resolver_errors_keep_partial_data(client: httpx.AsyncClient) -> None:
    response = await gql(client, "{ tags viewer { username } feed { totalCount } }")
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None  # feed is non-null, so its error bubbles to the root
    assert body["errors"][0]["path"] == ["feed"]
    nullable = await gql(client, '{ tags profile(username: "x") { username } }')
    assert nullable.json() == {"data": {"tags": [], "profile": None}}


async def test_unexpected_errors_are_masked_not_leaked(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quillpress.services import articles as article_service

    async def broken(*_args: Any, **_kwargs: Any) -> list[str]:
        raise RuntimeError("secret detail from the database")

    monkeypatch.setattr(article_service, "list_tags", broken)
    response = await gql(client, "{ tags }")
    assert response.status_code == 200
    error = gql_error(response)
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "secret" not in response.text


async def test_a_well_formed_query_is_json_with_data_only(client: httpx.AsyncClient) -> None:
    response = await gql(client, "{ viewer { username } }")
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"viewer": None}}
    assert await gql_data(client, "{ __typename }") == {"__typename": "Query"}
