"""Every response, whatever produced it, carries the security headers; HSTS only when
``QUILLPRESS_HSTS`` is on; the HTML pages carry their own same-origin policy and every
other response the policy that allows nothing.

The headers are the middleware's business, not the database's: SQLite is enough."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from pydantic import ValidationError

from quillpress.api.security_headers import API_POLICY
from quillpress.app import create_app
from quillpress.config import Settings, describe_validation_error
from tests.conftest import make_settings, migrate_database
from tests.helpers import gql, register

ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}

Client = httpx.AsyncClient
Case = Callable[[Client], Awaitable[httpx.Response]]


@asynccontextmanager
async def serving(tmp_path: Path, **overrides: Any) -> AsyncIterator[Client]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'headers.db'}"
    await migrate_database(url)
    app = create_app(make_settings(url, max_body_bytes=1024, **overrides))

    async def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/boom", boom, methods=["GET"])  # stands in for any unexpected bug
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    async with serving(tmp_path) as http:
        yield http


async def _not_modified(client: Client) -> httpx.Response:
    etag = (await client.get("/api/articles")).headers["etag"]
    return await client.get("/api/articles", headers={"If-None-Match": etag})


async def _signed_in(client: Client) -> httpx.Response:
    return await client.get("/api/user", headers=await register(client, "ada"))


PREFLIGHT = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}

CASES: dict[str, tuple[int, Case]] = {
    "JSON 200": (200, lambda c: c.get("/api/tags")),
    "signed-in JSON 200": (200, _signed_in),
    "HEAD of a static file": (200, lambda c: c.head("/static/pages/graphiql.js")),
    "404 unmatched": (404, lambda c: c.get("/nope")),
    "404 under /api": (404, lambda c: c.get("/api/articles/nosuch")),
    "405": (405, lambda c: c.delete("/api/tags")),
    "413 by length": (413, lambda c: c.post("/api/users", content=b"{" * 2048)),
    "422": (422, lambda c: c.get("/api/articles", params={"limit": "0"})),
    "401": (401, lambda c: c.get("/api/user")),
    "304": (304, _not_modified),
    "OPTIONS preflight": (200, lambda c: c.options("/api/articles", headers=PREFLIGHT)),
    "500": (500, lambda c: c.get("/boom")),
    "GraphQL 200": (200, lambda c: gql(c, "{ tags }")),
    "GraphQL 400": (400, lambda c: gql(c, "{ nope }")),
    "GraphQL GET": (200, lambda c: c.get("/graphql", params={"query": "{ tags }"})),
    "static JS": (200, lambda c: c.get("/static/pages/graphiql.js")),
    "static 404": (404, lambda c: c.get("/static/nosuch.js")),
    "openapi.json": (200, lambda c: c.get("/openapi.json")),
    "JWKS": (200, lambda c: c.get("/.well-known/jwks.json")),
    "front page JSON": (200, lambda c: c.get("/")),
}

HTML_PAGES = ["/", "/docs", "/redoc", "/graphql", "/docs/oauth2-redirect"]


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
async def test_every_response_carries_the_headers_once(client: Client, case: str) -> None:
    status, send = CASES[case]
    response = await send(client)
    assert response.status_code == status, response.text
    for name, value in ALWAYS.items():
        assert response.headers.get_list(name) == [value], name
    assert response.headers.get_list("content-security-policy") == [API_POLICY]
    assert "strict-transport-security" not in response.headers


@pytest.mark.parametrize("path", HTML_PAGES)
async def test_html_pages_carry_their_own_policy_once(client: Client, path: str) -> None:
    response = await client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    [policy] = response.headers.get_list("content-security-policy")
    assert policy.startswith("default-src 'self'; script-src 'self';"), policy
    for name, value in ALWAYS.items():
        assert response.headers.get_list(name) == [value], name


@pytest.mark.parametrize("path", HTML_PAGES)
async def test_html_pages_have_no_inline_script(client: Client, path: str) -> None:
    """What the policy forbids must not be on the page, or the page breaks."""
    html = (await client.get(path, headers={"Accept": "text/html"})).text
    for chunk in html.split("<script")[1:]:
        attributes, _, rest = chunk.partition(">")
        body = rest.split("</script>", 1)[0]
        assert "src=" in attributes or 'type="application/json"' in attributes, chunk[:200]
        assert "src=" not in attributes or not body.strip(), chunk[:200]
    assert "<style" not in html
    assert " style=" not in html


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"hsts": True}, "max-age=31536000; includeSubDomains"),
        ({"hsts": True, "hsts_max_age": 600}, "max-age=600; includeSubDomains"),
        ({"hsts": True, "hsts_max_age": 0}, "max-age=0; includeSubDomains"),
    ],
)
async def test_hsts_when_turned_on_on_every_response(
    tmp_path: Path, overrides: dict[str, Any], expected: str
) -> None:
    async with serving(tmp_path, **overrides) as client:
        for case, (status, send) in CASES.items():
            response = await send(client)
            assert response.status_code == status, case
            assert response.headers.get_list("strict-transport-security") == [expected], case
        page = await client.get("/docs")
        assert page.headers.get_list("strict-transport-security") == [expected]


async def test_no_hsts_by_default_even_with_a_max_age(tmp_path: Path) -> None:
    async with serving(tmp_path, hsts_max_age=600) as client:
        assert "strict-transport-security" not in (await client.get("/api/tags")).headers


@pytest.mark.parametrize("value", ["-1", "63072001", "soon"])
def test_a_bad_max_age_is_one_clear_line(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(hsts_max_age=value)  # type: ignore[arg-type]
    message = describe_validation_error(caught.value)
    assert message.startswith(f"QUILLPRESS_HSTS_MAX_AGE='{value}' is not accepted"), message
    assert "\n" not in message


def test_hsts_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUILLPRESS_HSTS", "true")
    monkeypatch.setenv("QUILLPRESS_HSTS_MAX_AGE", "86400")
    assert Settings().hsts_max_age_sent == 86_400
    monkeypatch.setenv("QUILLPRESS_HSTS", "false")
    assert Settings().hsts_max_age_sent is None


async def test_graphql_answers_are_never_stored(client: Client) -> None:
    signed_in = await register(client, "grace")
    for response in (
        await gql(client, "{ me { email } }", headers=signed_in),
        await gql(client, "{ tags }"),
        await gql(client, "{ nope }"),
    ):
        assert response.headers["cache-control"] == "no-store"


BASE = "default-src 'self'; script-src 'self'; style-src 'self'"
CLOSE = "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
REDOC_HASHES = (
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc=' "
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
)
STRICT = f"{BASE}; img-src 'self'; font-src 'self'; connect-src 'self'; {CLOSE}"
EXACT_POLICIES = {
    "/": STRICT,
    "/docs/oauth2-redirect": STRICT,
    "/docs": f"{BASE}; img-src 'self' data:; font-src 'self'; connect-src 'self'; {CLOSE}",
    "/graphql": (
        f"{BASE} 'nonce-N'; img-src 'self'; font-src 'self' data:; connect-src 'self'; {CLOSE}"
    ),
    "/redoc": (
        f"{BASE} 'nonce-N' {REDOC_HASHES}; img-src 'self' data:; font-src 'self'; "
        f"connect-src 'self'; worker-src blob:; {CLOSE}"
    ),
}


@pytest.mark.parametrize("path", EXACT_POLICIES)
async def test_each_page_policy_is_exactly_the_documented_one(client: Client, path: str) -> None:
    """docs/concepts/security.md quotes these policies; each exception is one a bundle was
    seen to need."""
    response = await client.get(path, headers={"Accept": "text/html"})
    policy = re.sub(
        r"'nonce-[A-Za-z0-9_-]{22}'", "'nonce-N'", response.headers["content-security-policy"]
    )
    assert policy == EXACT_POLICIES[path]
