"""``Idempotency-Key`` on ``POST /api/articles`` and ``POST /api/articles/{slug}/comments``:
a retry answers the first result (``Idempotent-Replayed: true``) and never creates twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text, update

from quillpress.db.models import IdempotencyKey
from quillpress.domain.clock import utcnow
from quillpress.repositories import idempotency as key_repo
from quillpress.repositories.idempotency import PRUNE_BATCH
from tests.conftest import make_settings
from tests.helpers import create_article, error_fields, register, serve
from tests.infra.test_metrics import scrape, value

ARTICLE = {"title": "Once only", "description": "Retried", "body": "Body", "tagList": ["b", "a"]}
KEY = "0b4f7c1e-7f39-4c2e-9c8a-3f1f4f0a9e11"


async def post_article(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    key: str | None = KEY,
    article: dict[str, Any] = ARTICLE,
) -> httpx.Response:
    extra = {} if key is None else {"Idempotency-Key": key}
    return await client.post("/api/articles", json={"article": article}, headers=headers | extra)


async def keys_stored(app: FastAPI) -> int:
    async with app.state.resources.database.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(IdempotencyKey))).scalar())


async def articles_of(client: httpx.AsyncClient, author: str) -> int:
    count: int = (await client.get(f"/api/articles?author={author}")).json()["articlesCount"]
    return count


async def test_a_retry_answers_the_first_article_and_creates_no_second(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ann = await register(client, "ann")
    first = await post_article(client, ann)
    again = await post_article(client, ann)

    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await articles_of(client, "ann") == 1
    assert await keys_stored(app) == 1


async def test_the_same_body_spelled_differently_is_the_same_request(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    first = await post_article(client, ann)
    reordered = dict(reversed(list(ARTICLE.items())))
    again = await client.post(
        "/api/articles",
        content=httpx.Request("POST", "/", json={"article": reordered}).content.replace(
            b",", b" , "
        ),
        headers=ann | {"Idempotency-Key": KEY, "Content-Type": "application/json"},
    )
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["article"]["slug"] == first.json()["article"]["slug"]


async def test_the_same_key_with_another_body_is_refused(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await post_article(client, ann)
    other = await post_article(client, ann, article={**ARTICLE, "title": "Something else"})
    assert error_fields(other, 422) == {"idempotencyKey": ["reused with a different request"]}
    assert await articles_of(client, "ann") == 1


async def test_without_a_key_every_post_creates(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    first = await post_article(client, ann, key=None)
    second = await post_article(client, ann, key=None)
    assert first.json()["article"]["slug"] != second.json()["article"]["slug"]
    assert await articles_of(client, "ann") == 2


async def test_another_user_with_the_same_key_is_independent(client: httpx.AsyncClient) -> None:
    ann, bob = await register(client, "ann"), await register(client, "bob")
    mine = await post_article(client, ann)
    theirs = await post_article(client, bob, article={**ARTICLE, "title": "Bob's own"})
    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["article"]["author"]["username"] == "bob"
    assert mine.json()["article"]["slug"] != theirs.json()["article"]["slug"]


@pytest.mark.parametrize(
    "key",
    ["", "x" * 256, "tab\there", "caf\u00e9"],
    ids=["empty", "too-long", "control", "not-ascii"],
)
async def test_a_malformed_key_is_refused_and_nothing_is_created(
    client: httpx.AsyncClient, key: str
) -> None:
    ann = await register(client, "ann")
    headers = ann | {"Idempotency-Key": key}
    response = await client.post(
        "/api/articles",
        json={"article": ARTICLE},
        headers=[(k.encode(), v.encode("utf-8")) for k, v in headers.items()],
    )
    assert error_fields(response, 422) == {
        "idempotencyKey": ["must be 1 to 255 printable ASCII characters"]
    }
    assert await articles_of(client, "ann") == 0


async def test_the_longest_key_and_spaces_are_accepted(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    for key in ("k" * 255, "a key with spaces ~!"):
        assert (await post_article(client, ann, key=key)).status_code == 201


async def test_a_failed_first_attempt_stores_nothing_and_its_retry_runs(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ann = await register(client, "ann")
    invalid = await post_article(client, ann, article={**ARTICLE, "title": ""})
    assert invalid.status_code == 422
    missing = await client.post(
        "/api/articles/no-such-article/comments",
        json={"comment": {"body": "Hello"}},
        headers=ann | {"Idempotency-Key": KEY},
    )
    assert missing.status_code == 404  # the transaction that claimed the key rolled back
    assert await keys_stored(app) == 0

    retried = await post_article(client, ann)
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    assert await keys_stored(app) == 1


async def test_concurrent_retries_create_exactly_one_article(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ann = await register(client, "ann")
    answers = await asyncio.gather(*(post_article(client, ann) for _ in range(20)))

    statuses = sorted(answer.status_code for answer in answers)
    assert set(statuses) <= {201, 409}, [answer.text for answer in answers]
    created = [a for a in answers if a.status_code == 201]
    first = [a for a in created if "idempotent-replayed" not in a.headers]
    assert len(first) == 1
    assert {a.json()["article"]["slug"] for a in created} == {first[0].json()["article"]["slug"]}
    for refused in (a for a in answers if a.status_code == 409):
        assert error_fields(refused, 409) == {"idempotencyKey": ["in progress"]}
    assert await articles_of(client, "ann") == 1
    assert await keys_stored(app) == 1


async def test_a_key_held_by_a_running_request_is_409_in_progress(
    app: FastAPI, client: httpx.AsyncClient, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: a second one waits for it")
    ann = await register(client, "ann")
    database = app.state.resources.database
    async with database.engine.connect() as conn:
        row = await conn.execute(text("SELECT id FROM app_user WHERE username = 'ann'"))
        user_id = row.scalar_one()
    async with database.write() as tx:  # a first request with the key, still running
        assert await key_repo.lock(tx.conn, user_id, "create_article", KEY)
        held = await post_article(client, ann)
    assert error_fields(held, 409) == {"idempotencyKey": ["in progress"]}
    assert (await post_article(client, ann)).status_code == 201  # released: it runs


async def test_an_expired_key_starts_afresh_and_expired_keys_are_pruned(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ann, bob = await register(client, "ann"), await register(client, "bob")
    first = await post_article(client, ann)
    for index in range(PRUNE_BATCH + 5):
        await post_article(client, bob, key=f"bob-{index}", article={**ARTICLE, "body": "b"})
    database = app.state.resources.database
    async with database.engine.begin() as conn:
        await conn.execute(update(IdempotencyKey).values(expires_at=utcnow() - timedelta(hours=1)))

    again = await post_article(client, ann)
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert again.json()["article"]["slug"] != first.json()["article"]["slug"]
    # One keyed create pruned one batch of expired keys, oldest first, and kept its own.
    assert await keys_stored(app) == (PRUNE_BATCH + 5 + 1) - PRUNE_BATCH - 1 + 1


async def test_a_retried_comment_is_one_comment(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    slug = (await create_article(client, ann))["slug"]
    path = f"/api/articles/{slug}/comments"
    headers = ann | {"Idempotency-Key": KEY}
    first = await client.post(path, json={"comment": {"body": "Hi"}}, headers=headers)
    again = await client.post(path, json={"comment": {"body": "Hi"}}, headers=headers)
    other = await client.post(path, json={"comment": {"body": "Bye"}}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert error_fields(other, 422) == {"idempotencyKey": ["reused with a different request"]}
    assert len((await client.get(path)).json()["comments"]) == 1


async def test_the_key_is_scoped_to_the_operation(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    slug = (await post_article(client, ann)).json()["article"]["slug"]
    comment = await client.post(
        f"/api/articles/{slug}/comments",
        json={"comment": {"body": "Hi"}},
        headers=ann | {"Idempotency-Key": KEY},
    )
    assert comment.status_code == 201
    assert "idempotent-replayed" not in comment.headers


async def test_replays_are_counted_in_the_metrics(client: httpx.AsyncClient) -> None:
    ann = await register(client, "ann")
    await post_article(client, ann)
    await post_article(client, ann)
    await post_article(client, ann)
    metrics = await scrape(client)
    assert value(metrics, "quillpress_idempotent_replays_total", route="/api/articles") == 2


async def test_browsers_may_send_the_key_and_read_the_replay_header(
    client: httpx.AsyncClient,
) -> None:
    origin = "http://localhost:3000"
    preflight = await client.options(
        "/api/articles",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert preflight.status_code == 200
    assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
    ann = await register(client, "ann")
    created = await post_article(client, ann)
    replayed = await client.post(
        "/api/articles",
        json={"article": ARTICLE},
        headers=ann | {"Idempotency-Key": KEY, "Origin": origin},
    )
    assert created.status_code == 201
    exposed = replayed.headers["access-control-expose-headers"].lower()
    assert "idempotent-replayed" in exposed


async def test_a_replay_survives_a_restart_with_an_empty_cache(database_url: str) -> None:
    settings = make_settings(database_url, cache="memory")
    async with serve(settings) as (_, client):
        ann = await register(client, "restarted")
        first = await post_article(client, ann)
    async with serve(settings) as (app, client):  # a new process: nothing cached
        again = await post_article(client, ann)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        async with app.state.resources.database.engine.begin() as conn:  # clean up
            await conn.execute(text("DELETE FROM app_user WHERE username = 'restarted'"))
