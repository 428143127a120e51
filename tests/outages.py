"""Shared by the database-outage tests: a PostgreSQL database of the test's own (copied
from a migrated template of this run, so a test may refuse, drop or cut it), a burst of
requests that touch the database through every kind of path, and the rule every answer
during an outage must keep: never a 500, never longer than the deadline plus a second, a
503 always with ``Retry-After`` and the documented body."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import _postgres_admin_url, migrate_database
from tests.helpers import PASSWORD

DEADLINE_MS = 500
"""The tests' ``QUILLPRESS_DATABASE_TIMEOUT_MS``: short, so a black hole costs little."""
BOUND_SECONDS = DEADLINE_MS / 1000 + 1.0
"""No answer during an outage may take longer: the deadline plus one second."""
UNAVAILABLE = {"database": ["unavailable"]}


def admin_dsn() -> str:
    """The shared server's admin URL as asyncpg takes it (``postgresql://…``)."""
    url = make_url(_postgres_admin_url()).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def dsn_of(name: str, *, user: str | None = None) -> str:
    url = make_url(admin_dsn()).set(database=name)
    if user is not None:
        url = url.set(username=user, password=None)
    return url.render_as_string(hide_password=False)


async def admin(*statements: str, database: str | None = None) -> None:
    """Run ``statements`` as the admin, in autocommit, on ``database`` (the default one
    when ``None``)."""
    conn = await asyncpg.connect(admin_dsn() if database is None else dsn_of(database))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def terminate_backends(database: str) -> None:
    """End every session on ``database`` (as an operator, or a failover, would)."""
    conn = await asyncpg.connect(admin_dsn())
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def outage_template() -> Iterator[str]:
    """A migrated database no one connects to, copied for each outage test."""
    name = f"qp_outage_tmpl_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(migrate_database(_async_url(dsn_of(name))))
        yield name
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def own_database(outage_template: str) -> AsyncIterator[str]:
    """The name of a fresh, migrated database of this test's own; dropped afterwards."""
    name = f"qp_outage_{uuid.uuid4().hex[:10]}"
    await admin(f'CREATE DATABASE "{name}" TEMPLATE "{outage_template}"')
    try:
        yield name
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _async_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


def app_url(name: str, *, user: str | None = None) -> str:
    return _async_url(dsn_of(name, user=user))


async def count_rows(name: str, sql: str) -> int:
    conn = await asyncpg.connect(dsn_of(name))
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


@dataclass
class Actor:
    """A signed-in user and an article of theirs, made before the outage."""

    headers: dict[str, str]
    slug: str
    username: str


async def prepare(client: httpx.AsyncClient, username: str = "ann") -> Actor:
    user = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    registered = await settled(client, "POST", "/api/users", {"user": user}, {})
    assert registered.status_code == 201, registered.text
    headers = {"Authorization": f"Token {registered.json()['user']['token']}"}
    article = {"article": {"title": "Before", "description": "d", "body": "b"}}
    created = await settled(client, "POST", "/api/articles", article, headers)
    assert created.status_code == 201, created.text
    return Actor(headers=headers, slug=created.json()["article"]["slug"], username=username)


async def settled(
    client: httpx.AsyncClient, method: str, path: str, body: Any, headers: dict[str, str]
) -> httpx.Response:
    """A set-up request, retried while it is a 503: a cold app's first connections on a
    loaded machine may take longer than the tests' short deadline (load, not the fault
    under test). What a client does with a 503 and its ``Retry-After``."""
    for _ in range(10):
        response = await client.request(method, path, json=body, headers=headers)
        if response.status_code != 503:
            return response
        await asyncio.sleep(0.1)
    return response


def requests_for(actor: Actor, round_: int) -> list[tuple[str, str, str, Any, dict[str, str]]]:
    """(kind, method, path, body, headers): reads and writes, anonymous and signed in,
    REST and GraphQL, the readiness probe."""
    new_user = {"username": f"u{round_}", "email": f"u{round_}@x.io", "password": PASSWORD}
    login = {"user": {"email": f"{actor.username}@example.com", "password": PASSWORD}}
    article = {"article": {"title": f"During {round_}", "description": "d", "body": "b"}}
    mutation = (
        'mutation { createArticle(input: {title: "g", description: "d", body: "b"}) { slug } }'
    )
    h = actor.headers
    return [
        ("read", "GET", "/api/articles", None, {}),
        ("read", "GET", "/api/articles", None, h),
        ("read", "GET", f"/api/articles/{actor.slug}", None, {}),
        ("read", "GET", "/api/tags", None, {}),
        ("read", "GET", "/api/user", None, h),
        ("read", "POST", "/graphql", {"query": "{ articles { totalCount } }"}, {}),
        ("write", "POST", "/api/articles", article, h),
        ("write", "POST", f"/api/articles/{actor.slug}/comments", {"comment": {"body": "c"}}, h),
        ("write", "PUT", "/api/user", {"user": {"bio": f"bio {round_}"}}, h),
        ("write", "POST", "/api/users", {"user": new_user}, {}),
        ("write", "POST", "/api/users/login", login, {}),
        ("write", "POST", "/graphql", {"query": mutation}, h),
        ("probe", "GET", "/readyz", None, {}),
    ]


@dataclass
class Figures:
    """What a burst saw: statuses per kind of request and the slowest answer."""

    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    slowest: float = 0.0
    sent: int = 0

    def line(self, outage: str) -> str:
        seen = {kind: dict(sorted(counts.items())) for kind, counts in self.statuses.items()}
        return f"{outage}: {self.sent} requests, statuses {seen}, slowest {self.slowest:.2f} s"


async def burst(
    client: httpx.AsyncClient, actor: Actor, *, rounds: int = 3, figures: Figures | None = None
) -> list[tuple[str, str, httpx.Response, float]]:
    """Every request of :func:`requests_for` at once, ``rounds`` times over; each answer
    with its kind, path and time. An exception escaping the app fails the test here
    (httpx's ASGI transport raises it). (Rounds one after the other: a few dozen requests
    at once on a loaded two-core machine would queue past the short deadline by CPU
    alone, which is load shedding, not the outage under test.)"""

    async def one(kind: str, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
        started = time.perf_counter()
        response = await client.request(method, path, json=body, headers=headers)
        return kind, path, response, time.perf_counter() - started

    answers = []
    for r in range(rounds):
        answers += await asyncio.gather(*(one(*request) for request in requests_for(actor, r)))
    if figures is not None:
        for kind, _path, response, seconds in answers:
            figures.statuses.setdefault(kind, Counter())[response.status_code] += 1
            figures.slowest = max(figures.slowest, seconds)
            figures.sent += 1
    return answers


def assert_unavailable(response: httpx.Response) -> None:
    """The documented 503: ``Retry-After`` and the RealWorld body (GraphQL: its error
    with ``SERVICE_UNAVAILABLE``)."""
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    if response.request.url.path == "/graphql":
        codes = {error["extensions"]["code"] for error in body["errors"]}
        assert codes == {"SERVICE_UNAVAILABLE"}, body
    elif response.request.url.path == "/readyz":
        assert body["status"] == "unavailable", body
    else:
        assert body == {"errors": UNAVAILABLE}, body


def assert_outage_answers(
    answers: list[tuple[str, str, httpx.Response, float]],
    *,
    served: Collection[str] = (),
    bound: float = BOUND_SECONDS,
) -> None:
    """No 500, no answer past ``bound`` (the deadline plus a second); the kinds in
    ``served`` answer normally (2xx), every other one is the documented 503."""
    for kind, path, response, seconds in answers:
        assert response.status_code != 500, (path, response.text)
        assert seconds <= bound, (path, seconds, response.status_code)
        if kind in served:
            assert response.status_code < 300, (path, response.text)
        else:
            assert_unavailable(response)


async def eventually_ok(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Within a few tries after the database is back, reads and writes work again."""
    for _ in range(20):
        response = await client.get("/api/user", headers=headers)
        if response.status_code == 200:
            break
        assert_unavailable(response)
        await asyncio.sleep(0.1)
    assert response.status_code == 200, response.text
    article = {"article": {"title": "After", "description": "d", "body": "b"}}
    created = await client.post("/api/articles", json=article, headers=headers)
    assert created.status_code == 201, created.text


def primary_up(metrics_text: str) -> float:
    for line in metrics_text.splitlines():
        if line.startswith("quillpress_database_primary_up"):
            return float(line.split()[-1])
    raise AssertionError("quillpress_database_primary_up not exported")
