"""``Idempotency-Key`` on the GraphQL creates: the same use case as REST, so the same
answers (a replay, ``Idempotent-Replayed: true``, and the same errors in GraphQL's shape)."""

from __future__ import annotations

import asyncio

import httpx

from tests.graphql.test_mutations import ADD_COMMENT, CREATE
from tests.helpers import gql, gql_data, gql_error, register

INPUT = {"title": "Once", "description": "Retried", "body": "Body", "tagList": ["x"]}
KEY = {"Idempotency-Key": "c1f0a7b2-5d4e-4b8a-9e2f-0a1b2c3d4e5f"}


async def test_a_retried_create_article_is_one_article(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    first = await gql(client, CREATE, {"input": INPUT}, headers=ann | KEY)
    again = await gql(client, CREATE, {"input": INPUT}, headers=ann | KEY)

    assert first.status_code == again.status_code == 200
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    count = await client.get("/api/articles?author=ann")
    assert count.json()["articlesCount"] == 1


async def test_rest_and_graphql_share_the_key_of_one_create(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    rest = await client.post("/api/articles", json={"article": INPUT}, headers=ann | KEY)
    graphql = await gql(client, CREATE, {"input": INPUT}, headers=ann | KEY)
    assert graphql.headers["idempotent-replayed"] == "true"
    assert graphql.json()["data"]["createArticle"]["slug"] == rest.json()["article"]["slug"]


async def test_the_same_key_with_another_input_is_bad_user_input(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    await gql_data(client, CREATE, {"input": INPUT}, headers=ann | KEY)
    other = await gql(client, CREATE, {"input": {**INPUT, "title": "Other"}}, headers=ann | KEY)
    error = gql_error(other)
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {"idempotencyKey": ["reused with a different request"]},
    }
    assert "idempotent-replayed" not in other.headers


async def test_a_malformed_key_is_bad_user_input(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    response = await gql(client, CREATE, {"input": INPUT}, headers=ann | {"Idempotency-Key": ""})
    assert gql_error(response)["extensions"] == {
        "code": "BAD_USER_INPUT",
        "fields": {"idempotencyKey": ["must be 1 to 255 printable ASCII characters"]},
    }


async def test_concurrent_retried_mutations_create_one_article(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    answers = await asyncio.gather(
        *(gql(client, CREATE, {"input": INPUT}, headers=ann | KEY) for _ in range(10))
    )
    slugs = set()
    for answer in answers:
        body = answer.json()
        if body.get("errors"):
            assert body["errors"][0]["extensions"]["code"] == "CONFLICT", body
            assert body["errors"][0]["extensions"]["fields"] == {"idempotencyKey": ["in progress"]}
        else:
            slugs.add(body["data"]["createArticle"]["slug"])
    assert len(slugs) == 1
    count = await client.get("/api/articles?author=ann")
    assert count.json()["articlesCount"] == 1


async def test_a_retried_add_comment_is_one_comment(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    slug = (await gql_data(client, CREATE, {"input": INPUT}, headers=ann))["createArticle"]["slug"]
    variables = {"slug": slug, "input": {"body": "Hi"}}
    first = await gql(client, ADD_COMMENT, variables, headers=ann | KEY)
    again = await gql(client, ADD_COMMENT, variables, headers=ann | KEY)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    comments = await client.get(f"/api/articles/{slug}/comments")
    assert len(comments.json()["comments"]) == 1
