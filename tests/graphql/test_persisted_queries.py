"""Automatic persisted queries (Apollo's APQ) on ``/graphql``, by POST and by GET."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import httpx
import pytest

from quillpress.config import Settings
from quillpress.infra.persisted_queries import MAX_DOCUMENT_BYTES
from tests.conftest import make_settings, truncate
from tests.helpers import (
    cache_outcome,
    create_article,
    gql_error,
    register,
    serve,
    statement_count,
)
from tests.infra.test_metrics import scrape, value

TAGS = "query Tags { tags }"
ARTICLE = "query Article($slug: String!) { article(slug: $slug) { title favorited } }"
CREATE = 'mutation { createArticle(input: {title: "T", description: "d", body: "b"}) { slug } }'


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def persisted(document: str, version: Any = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256(document)}}


@pytest.fixture
def settings(database_url: str) -> Settings:
    """No Redis: the in-process store (what memory mode and ``cache=off`` use)."""
    return make_settings(database_url, cache="off")


async def hash_only(
    client: httpx.AsyncClient,
    document: str,
    *,
    method: str = "POST",
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    if method == "GET":
        params = {"extensions": json.dumps(persisted(document))}
        if variables is not None:
            params["variables"] = json.dumps(variables)
        return await client.get("/graphql", params=params, headers=headers or {})
    payload: dict[str, Any] = {"extensions": persisted(document)}
    if variables is not None:
        payload["variables"] = variables
    return await client.post("/graphql", json=payload, headers=headers or {})


async def with_document(
    client: httpx.AsyncClient,
    document: str,
    *,
    method: str = "POST",
    variables: dict[str, Any] | None = None,
) -> httpx.Response:
    if method == "GET":
        params = {"query": document, "extensions": json.dumps(persisted(document))}
        if variables is not None:
            params["variables"] = json.dumps(variables)
        return await client.get("/graphql", params=params)
    payload: dict[str, Any] = {"query": document, "extensions": persisted(document)}
    if variables is not None:
        payload["variables"] = variables
    return await client.post("/graphql", json=payload)


def assert_not_found(response: httpx.Response) -> None:
    """Apollo Server's answer to an unknown hash: 200, one error, no ``data``."""
    error = gql_error(response, 200)
    assert error == {
        "message": "PersistedQueryNotFound",
        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
    }
    assert "data" not in response.json()
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_unknown_hash_then_document_then_hash_alone(
    client: httpx.AsyncClient, method: str
) -> None:
    ann = await register(client, "ann")
    await create_article(client, ann, tagList=["go"])
    assert_not_found(await hash_only(client, TAGS, method=method))

    registered = await with_document(client, TAGS, method=method)
    assert registered.status_code == 200, registered.text
    assert registered.json() == {"data": {"tags": ["go"]}}

    for _ in range(2):
        again = await hash_only(client, TAGS, method=method)
        assert again.status_code == 200, again.text
        assert again.json() == {"data": {"tags": ["go"]}}
        assert again.headers["content-type"].startswith("application/json")
        assert again.headers["cache-control"] == "no-store"
        assert statement_count(again) == 1

    metrics = await scrape(client)
    assert value(metrics, "graphql_persisted_queries_total", result="miss") == 1
    assert value(metrics, "graphql_persisted_queries_total", result="registered") == 1
    assert value(metrics, "graphql_persisted_queries_total", result="hit") == 2
    assert (await with_document(client, TAGS, method=method)).status_code == 200
    again_registered = await scrape(client)  # already known: not counted twice
    assert value(again_registered, "graphql_persisted_queries_total", result="registered") == 1


async def test_registered_by_post_answers_get_with_variables(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    article = await create_article(client, ann)
    variables = {"slug": article["slug"]}
    assert (await with_document(client, ARTICLE, variables=variables)).status_code == 200
    response = await hash_only(client, ARTICLE, method="GET", variables=variables)
    assert response.json() == {"data": {"article": {"title": "A title", "favorited": False}}}


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_hash_that_does_not_match_its_document_is_refused(
    client: httpx.AsyncClient, method: str
) -> None:
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": sha256("{ __typename }")}}
    if method == "GET":
        params = {"query": TAGS, "extensions": json.dumps(wrong)}
        response = await client.get("/graphql", params=params)
    else:
        response = await client.post("/graphql", json={"query": TAGS, "extensions": wrong})
    error = gql_error(response, 400)
    assert error["message"] == "provided sha does not match query"
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert statement_count(response) == 0
    # Nothing was registered under either hash.
    assert_not_found(await hash_only(client, "{ __typename }"))
    assert_not_found(await hash_only(client, TAGS))


@pytest.mark.parametrize(
    ("extension", "phrase"),
    [
        ({"persistedQuery": {"version": 2, "sha256Hash": sha256(TAGS)}}, "version"),
        ({"persistedQuery": {"sha256Hash": sha256(TAGS)}}, "version"),
        ({"persistedQuery": {"version": True, "sha256Hash": sha256(TAGS)}}, "version"),
        ({"persistedQuery": "yes"}, "version"),
        ({"persistedQuery": {"version": 1}}, "sha256Hash"),
        ({"persistedQuery": {"version": 1, "sha256Hash": sha256(TAGS).upper()}}, "lower-case"),
        ({"persistedQuery": {"version": 1, "sha256Hash": "abc"}}, "sha256Hash"),
    ],
    ids=["version-2", "no-version", "version-true", "not-an-object", "no-hash", "upper", "short"],
)
async def test_malformed_persisted_query_extension_is_400(
    client: httpx.AsyncClient, extension: dict[str, Any], phrase: str
) -> None:
    response = await client.post("/graphql", json={"extensions": extension})
    error = gql_error(response, 400)
    assert phrase in error["message"]
    assert error["extensions"]["code"] == "BAD_REQUEST"


async def test_extensions_must_be_an_object(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": TAGS, "extensions": [1]})
    assert "`extensions`" in gql_error(response, 400)["message"]


async def test_other_extensions_are_ignored(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": TAGS, "extensions": {"x": 1}})
    assert response.json() == {"data": {"tags": []}}


@pytest.mark.parametrize("parameter", ["extensions", "variables"])
async def test_get_with_malformed_json_parameter_is_400(
    client: httpx.AsyncClient, parameter: str
) -> None:
    params = {"extensions": json.dumps(persisted(TAGS)), parameter: "{oops"}
    response = await client.get("/graphql", params=params, headers={"Accept": "text/html"})
    error = gql_error(response, 400)
    assert f"The {parameter} parameter is not valid JSON." == error["message"]
    assert response.headers["content-type"].startswith("application/json")


async def test_get_with_extensions_is_json_even_for_a_browser(client: httpx.AsyncClient) -> None:
    await with_document(client, TAGS)
    response = await hash_only(client, TAGS, method="GET", headers={"Accept": "text/html"})
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"tags": []}}


async def test_get_without_parameters_still_serves_graphiql(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html,*/*"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("persist", [False, True], ids=["query", "persisted"])
async def test_get_mutation_is_405_with_allow_post(
    client: httpx.AsyncClient, persist: bool
) -> None:
    ann = await register(client, "ann")
    if persist:  # registered by POST, where mutations are fine
        anonymous = await with_document(client, CREATE)
        assert gql_error(anonymous)["extensions"]["code"] == "UNAUTHENTICATED"
        response = await hash_only(client, CREATE, method="GET", headers=ann)
    else:
        response = await client.get("/graphql", params={"query": CREATE}, headers=ann)
    error = gql_error(response, 405)
    assert response.headers["allow"] == "POST"
    assert "POST" in error["message"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "data" not in response.json()
    assert (await client.get("/api/articles")).json()["articlesCount"] == 0


async def test_get_answers_carry_the_headers_post_answers_carry(client: httpx.AsyncClient) -> None:
    await with_document(client, TAGS)
    post = await hash_only(client, TAGS)
    get = await hash_only(client, TAGS, method="GET")
    assert post.json() == get.json()
    varying = {"date", "content-length", "server-timing", "x-request-id"}
    assert {k: v for k, v in post.headers.items() if k not in varying} == {
        k: v for k, v in get.headers.items() if k not in varying
    }
    assert get.headers["cache-control"] == "no-store"
    assert "x-content-type-options" in get.headers


async def test_documents_that_fail_validation_are_not_registered(
    client: httpx.AsyncClient,
) -> None:
    bad = "{ nosuch }"
    response = await with_document(client, bad)
    assert gql_error(response, 400)["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert_not_found(await hash_only(client, bad))


async def test_oversized_documents_run_but_are_not_registered(client: httpx.AsyncClient) -> None:
    padded = TAGS + " " * MAX_DOCUMENT_BYTES
    response = await with_document(client, padded)
    assert response.json() == {"data": {"tags": []}}
    assert_not_found(await hash_only(client, padded))


async def test_persisted_queries_can_be_turned_off(database_url: str) -> None:
    settings = make_settings(database_url, cache="off", graphql_persisted_queries=False)
    async with serve(settings) as (_app, http):
        for response in (await hash_only(http, TAGS), await with_document(http, TAGS)):
            error = gql_error(response, 200)
            assert error == {
                "message": "PersistedQueryNotSupported",
                "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
            }
        plain = await http.post("/graphql", json={"query": TAGS})
        assert plain.json() == {"data": {"tags": []}}


async def test_memory_mode_keeps_registrations_in_process(database_url: str) -> None:
    settings = make_settings(database_url, cache="memory")
    async with serve(settings) as (_app, first):
        assert (await with_document(first, TAGS)).status_code == 200
        assert (await hash_only(first, TAGS)).json() == {"data": {"tags": []}}
    async with serve(settings) as (_app, second):  # another process: its own store
        assert_not_found(await hash_only(second, TAGS))


async def test_registrations_are_shared_through_redis(
    database_url: str, redis_server: str, redis_prefix: str
) -> None:
    settings = make_settings(
        database_url, cache="redis", redis_url=redis_server, redis_prefix=redis_prefix
    )
    async with serve(settings) as (_one, first), serve(settings) as (_two, second):
        assert_not_found(await hash_only(second, TAGS))
        assert (await with_document(first, TAGS)).status_code == 200
        answer = await hash_only(second, TAGS, method="GET")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"data": {"tags": []}}

    from redis.asyncio import Redis

    async with Redis.from_url(redis_server) as client:
        key = f"{redis_prefix}apq:{sha256(TAGS)}"
        assert await client.get(key) == TAGS.encode()
        assert 0 < await client.ttl(key) <= 604_800


async def test_redis_down_means_not_found_and_full_requests_still_work(
    database_url: str, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(
        database_url, cache="redis", redis_url="redis://127.0.0.1:1/0", redis_prefix=redis_prefix
    )
    async with serve(settings) as (_app, http):
        with caplog.at_level(logging.WARNING, logger="quillpress.graphql"):
            assert_not_found(await hash_only(http, TAGS))
            full = await with_document(http, TAGS)
            assert full.status_code == 200, full.text
            assert full.json() == {"data": {"tags": []}}
            # The registration is kept in this process, so this instance still answers it.
            assert (await hash_only(http, TAGS)).json() == {"data": {"tags": []}}
        warnings = [r for r in caplog.records if "persisted queries" in r.getMessage()]
        assert len(warnings) == 1


async def test_a_hash_and_its_document_share_one_cached_answer(database_url: str) -> None:
    """The response cache keys a GraphQL answer by the document's SHA-256: the full POST
    and the hash-only GET of the same query and variables are one shared answer."""
    async with serve(make_settings(database_url, cache="memory")) as (app, client):
        try:
            await _shared(client)
        finally:
            await truncate(app.state.resources.database.engine)


async def _shared(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    article = await create_article(client, ann)
    public = "query One($slug: String!) { article(slug: $slug) { title } }"
    variables = {"slug": article["slug"]}
    full = await with_document(client, public, variables=variables)
    by_hash = await hash_only(client, public, method="GET", variables=variables)
    assert by_hash.content == full.content
    assert (cache_outcome(by_hash), statement_count(by_hash)) == ("hit", 0)
    signed_in = await client.post(
        "/graphql", json={"query": public, "variables": variables}, headers=ann
    )
    assert statement_count(signed_in) > 0  # a viewer's answer is never the shared one
    failed = await client.post("/graphql", json={"query": "{ tags feed { totalCount } }"})
    again = await client.post("/graphql", json={"query": "{ tags feed { totalCount } }"})
    assert failed.json()["errors"]
    assert cache_outcome(again) != "hit"  # an answer with errors is not shared
