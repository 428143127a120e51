"""``GET /metrics``: the contracted names, types and labels, fed by the real seams (the
request middleware, the adapters' error mapping, the GraphQL endpoint, the pool), and
who may scrape them in production and development."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from quillpress import __version__
from quillpress.domain.errors import (
    Banned,
    CsrfRejected,
    DomainError,
    Forbidden,
    NotFound,
    Unauthenticated,
)
from quillpress.infra.metrics import (
    AUTH_FAILURE_REASONS,
    MAX_OPERATION_NAMES,
    Metrics,
    auth_failure_reason,
)
from tests.conftest import make_settings
from tests.helpers import PASSWORD, auth, create_article, gql, register, serve, statement_count

CONTRACT = {
    "http_requests_total": ("counter", {"method", "route", "status"}),
    "http_request_duration_seconds": ("histogram", {"method", "route"}),
    "db_statements_per_request": ("histogram", {"route"}),
    "db_pool_connections_in_use": ("gauge", set()),
    "cache_requests_total": ("counter", {"result"}),
    "auth_failures_total": ("counter", {"reason"}),
    "rate_limited_total": ("counter", {"rule"}),
    "graphql_operations_total": ("counter", {"operation", "type"}),
    "graphql_persisted_queries_total": ("counter", {"result"}),
    "quillpress_build_info": ("gauge", {"version"}),
}


def parse(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """sample name → {sorted labels: value}."""
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[key] = sample.value
    return samples


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name`` with exactly ``labels`` (0 when absent)."""
    return parse(text).get(name, {}).get(tuple(sorted(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient, **headers: str) -> str:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_every_contracted_metric_has_its_type_and_labels(client: httpx.AsyncClient) -> None:
    await client.get("/api/tags")
    await gql(client, "query Tags { tags }")
    families = {f.name: f for f in text_string_to_metric_families(await scrape(client))}
    for name, (kind, labels) in CONTRACT.items():
        family_name = name.removesuffix("_total") if kind == "counter" else name
        family = families[family_name]
        assert family.type == kind, name
        named = [s for s in family.samples if s.name in {name, f"{name}_count"}]
        assert named or name == "rate_limited_total", name
        for sample in named:
            assert set(sample.labels) == labels, (name, sample.labels)
    text = await scrape(client)
    assert value(text, "quillpress_build_info", version=__version__) == 1


async def test_requests_are_counted_by_route_template_never_the_raw_path(
    client: httpx.AsyncClient,
) -> None:
    for slug in ("first-slug", "second-slug"):
        assert (await client.get(f"/api/articles/{slug}")).status_code == 404
    assert (await client.get("/no/such/page")).status_code == 404
    assert (await client.get("/api/tags")).status_code == 200
    text = await scrape(client)
    template = "/api/articles/{slug}"
    assert value(text, "http_requests_total", method="GET", route=template, status="404") == 2
    assert value(text, "http_request_duration_seconds_count", method="GET", route=template) == 2
    assert value(text, "http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert value(text, "http_requests_total", method="GET", route="/api/tags", status="200") == 1
    assert "first-slug" not in text
    assert "/no/such/page" not in text


async def test_probes_and_scrapes_are_counted_but_not_timed(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.get("/readyz")
    await scrape(client)
    text = await scrape(client)
    for route in ("/healthz", "/readyz", "/metrics"):
        assert value(text, "http_requests_total", method="GET", route=route, status="200") >= 1
        assert value(text, "http_request_duration_seconds_count", method="GET", route=route) == 0
        assert value(text, "db_statements_per_request_count", route=route) == 0


async def test_statements_per_request_come_from_the_request_counter(
    client: httpx.AsyncClient,
) -> None:
    headers = await register(client, "ann")
    await create_article(client, headers, tagList=["python"])
    response = await client.get("/api/profiles/ann")
    assert response.status_code == 200
    text = await scrape(client)
    route = "/api/profiles/{username}"
    assert value(text, "db_statements_per_request_count", route=route) == 1
    assert value(text, "db_statements_per_request_sum", route=route) == statement_count(response)
    assert statement_count(response) >= 1


async def test_cache_results_count_each_request_outcome(database_url: str) -> None:
    async with serve(make_settings(database_url, cache="memory")) as (_app, client):
        await client.get("/api/tags")  # miss, then filled
        await client.get("/api/tags")  # hit
        text = await scrape(client)
    assert value(text, "cache_requests_total", result="miss") >= 1
    assert value(text, "cache_requests_total", result="hit") >= 1
    assert value(text, "cache_requests_total", result="bypass") == 0
    unreachable = make_settings(
        database_url, cache="redis", redis_url="redis://127.0.0.1:1/0", redis_timeout_ms=20
    )
    async with serve(unreachable) as (_app, client):
        await client.get("/api/tags")
        text = await scrape(client)
    assert value(text, "cache_requests_total", result="bypass") == 1


async def test_auth_failures_are_counted_by_reason_in_both_adapters(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "ann")
    await client.get("/api/user")  # no token on a required-auth endpoint
    await client.get("/api/articles", headers=auth("not-a-jwt"))
    login = {"user": {"email": "ann@example.com", "password": "wrong-password"}}
    assert (await client.post("/api/users/login", json=login)).status_code == 401
    assert (await gql(client, "{ tags }", headers=auth("not-a-jwt"))).status_code == 401
    mutation = 'mutation { login(input: {email: "ann@example.com", password: "wrong"}) { token } }'
    assert (await gql(client, mutation)).json()["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )
    assert (await client.get("/api/articles/missing")).status_code == 404  # not an auth failure
    text = await scrape(client)
    assert value(text, "auth_failures_total", reason="missing_token") == 1
    assert value(text, "auth_failures_total", reason="invalid_token") == 2
    assert value(text, "auth_failures_total", reason="bad_credentials") == 2
    assert value(text, "auth_failures_total", reason="other") == 0


async def test_graphql_operations_are_counted_by_name_and_type_with_a_cap(
    client: httpx.AsyncClient,
) -> None:
    await gql(client, "{ tags }")
    await gql(client, "query Tags { tags }")
    for n in range(MAX_OPERATION_NAMES + 5):
        await gql(client, f"query Op{n} {{ tags }}")
    text = await scrape(client)
    counted = parse(text)["graphql_operations_total"]
    names = {dict(labels)["operation"] for labels in counted}
    assert value(text, "graphql_operations_total", operation="anonymous", type="query") == 1
    assert value(text, "graphql_operations_total", operation="Tags", type="query") == 1
    assert len(names) == MAX_OPERATION_NAMES + 1  # the capped names and "other"
    assert value(text, "graphql_operations_total", operation="other", type="query") == 7


def test_rate_limited_counts_by_rule() -> None:
    metrics = Metrics(version="test")
    metrics.rate_limited("login")
    metrics.rate_limited("login")
    text = metrics.render().decode()
    assert value(text, "rate_limited_total", rule="login") == 2


async def test_pool_connections_in_use_are_read_at_scrape(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await client.get("/api/tags")
    assert value(await scrape(client), "db_pool_connections_in_use") == 0
    async with app.state.resources.database.read() as conn:
        await conn.exec_driver_sql("SELECT 1")
        assert value(await scrape(client), "db_pool_connections_in_use") == 1
    assert value(await scrape(client), "db_pool_connections_in_use") == 0


@pytest.mark.parametrize(
    ("env", "token", "presented", "status"),
    [
        ("production", None, None, 404),
        ("production", None, "Bearer anything", 404),
        ("production", "s3cret-token", None, 401),
        ("production", "s3cret-token", "Bearer wrong-token", 401),
        ("production", "s3cret-token", "Token s3cret-token", 401),
        ("production", "s3cret-token", "Bearer s3cret-token", 200),
        ("development", None, None, 200),
        ("development", "s3cret-token", None, 401),
        ("development", "s3cret-token", "Bearer s3cret-token", 200),
    ],
)
async def test_who_may_scrape(
    tmp_path: object, env: str, token: str | None, presented: str | None, status: int
) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path}/metrics.db", env=env, metrics_token=token
    )
    async with serve(settings) as (_app, client):
        headers = {"Authorization": presented} if presented else {}
        response = await client.get("/metrics", headers=headers)
    assert response.status_code == status, response.text
    if status == 200:
        assert "http_requests_total" in response.text
    else:
        assert "http_requests_total" not in response.text


async def test_a_rejected_csrf_check_counts_as_csrf(client: httpx.AsyncClient) -> None:
    await register(client, "cookie")
    login = {"user": {"email": "cookie@example.com", "password": PASSWORD}}
    assert (await client.post("/api/users/login?session=cookie", json=login)).status_code == 200
    body = {"user": {"bio": "no CSRF token"}}
    assert (await client.put("/api/user", json=body)).status_code == 403
    assert value(await scrape(client), "auth_failures_total", reason="csrf") == 1


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (Unauthenticated.missing(), "missing_token"),
        (Unauthenticated.invalid(), "invalid_token"),
        (Unauthenticated.invalid_refresh(), "invalid_refresh"),
        (Unauthenticated.bad_credentials(), "bad_credentials"),
        (CsrfRejected(CsrfRejected.TOKEN_MISSING), "csrf"),
        (Forbidden("user"), None),
        (Banned(), "banned"),
        (Unauthenticated({"session": ["expired"]}), "other"),
        (Forbidden("article"), None),
        (NotFound("article"), None),
    ],
)
def test_auth_failure_reasons_are_a_fixed_set(error: DomainError, reason: str | None) -> None:
    assert auth_failure_reason(error) == reason
    assert reason is None or reason in AUTH_FAILURE_REASONS
