"""Every response carries an ``X-Request-ID``: the client's when it is sane, else a new one;
the id is current while the request runs, so its log lines carry it."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from quillpress.app import create_app
from quillpress.infra.request_context import current_request_id
from tests.conftest import make_settings, migrate_database
from tests.helpers import gql

NEW_ID = re.compile(r"[0-9a-f]{32}")


def _app_with_probe(settings: Any) -> FastAPI:
    """The real app plus two routes that stand in for any code running in a request:
    one logs and reports the current id, one fails unexpectedly."""
    app = create_app(settings)

    async def probe() -> dict[str, str | None]:
        logging.getLogger("quillpress.probe").info("probing", extra={"answer": 42})
        return {"request_id": current_request_id()}

    async def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/probe", probe, methods=["GET"])
    app.add_api_route("/boom", boom, methods=["GET"])
    return app


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """JSON logs (production), SQLite: the id is the middleware's business, not the
    database's, so one backend is enough."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'ids.db'}"
    await migrate_database(url)
    app = _app_with_probe(make_settings(url, env="production", max_body_bytes=1024))
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def json_lines(captured: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in captured.splitlines() if line.strip()]


@pytest.mark.parametrize(
    "sane",
    [
        "abc-123",
        "3f2c9a4e-1b7d-4c55-9e0a-2b8f6d1c7e90",
        "x" * 128,
        "host-7:4121:00af.b_C",  # every character of the alphabet's punctuation
    ],
)
async def test_a_sane_incoming_id_is_echoed(client: httpx.AsyncClient, sane: str) -> None:
    response = await client.get("/api/tags", headers={"X-Request-ID": sane})
    assert response.headers["x-request-id"] == sane


@pytest.mark.parametrize(
    "bad",
    [
        b"x" * 129,  # too long
        b"",  # empty
        b"has space",
        b"tab\there",
        b"bell\x07",
        b"del\x7f",
        "caf\u00e9".encode("latin-1"),  # not ASCII
        "\u20ac".encode(),
        # Printable ASCII outside [A-Za-z0-9._:-]: Rich markup, paths, header syntax.
        b"[/x]",
        b"[link=http://evil]x[/link]",
        b"\x1b[31m",
        b"a/b",
        b"!~#$%&'*+^`|",
        b'"quoted"',
        b"a,b",
    ],
)
async def test_an_unsafe_incoming_id_is_replaced(client: httpx.AsyncClient, bad: bytes) -> None:
    response = await client.get("/api/tags", headers=[(b"X-Request-ID", bad)])
    assert NEW_ID.fullmatch(response.headers["x-request-id"]), response.headers


async def test_each_request_without_an_id_gets_a_new_one(client: httpx.AsyncClient) -> None:
    ids = [(await client.get("/api/tags")).headers["x-request-id"] for _ in range(3)]
    assert all(NEW_ID.fullmatch(value) for value in ids), ids
    assert len(set(ids)) == 3


async def test_error_responses_carry_the_id_too(client: httpx.AsyncClient) -> None:
    sent = {"X-Request-ID": "err-1"}
    not_found = await client.get("/api/nope", headers=sent)
    too_large = await client.post("/api/users", content=b"{" * 2048, headers=sent)
    invalid = await client.post("/api/users", json={"user": {}}, headers=sent)
    failed = await client.get("/boom", headers=sent)
    graphql = await gql(client, "{ nope }", headers=sent)
    statuses = [r.status_code for r in (not_found, too_large, invalid, failed, graphql)]
    assert statuses == [404, 413, 422, 500, 400]
    for response in (not_found, too_large, invalid, failed, graphql):
        assert response.headers["x-request-id"] == "err-1", response.status_code


async def test_cors_lets_browser_code_read_the_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/tags", headers={"Origin": "https://app.example"})
    assert "X-Request-ID" in response.headers["access-control-expose-headers"]


async def test_code_in_the_request_sees_the_id_and_its_log_lines_carry_it(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    response = await client.get("/probe", headers={"X-Request-ID": "probe-7"})
    assert response.json() == {"request_id": "probe-7"}
    lines = json_lines(capsys.readouterr().err)
    probe = next(line for line in lines if line["logger"] == "quillpress.probe")
    assert probe["msg"] == "probing"
    assert probe["answer"] == 42
    assert probe["request_id"] == "probe-7"
    request = next(line for line in lines if line["logger"] == "quillpress.request")
    assert request["request_id"] == "probe-7"
    assert request["path"] == "/probe"
    assert current_request_id() is None  # unbound once the request is over


async def test_the_request_line_of_a_graphql_request_carries_its_id(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    response = await gql(client, "{ tags }", headers={"X-Request-ID": "gql-1"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "gql-1"
    lines = json_lines(capsys.readouterr().err)
    request = next(line for line in lines if line["logger"] == "quillpress.request")
    assert (request["path"], request["request_id"]) == ("/graphql", "gql-1")


async def test_an_unexpected_error_is_logged_with_the_id(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    await client.get("/boom", headers={"X-Request-ID": "boom-1"})
    lines = json_lines(capsys.readouterr().err)
    error = next(line for line in lines if line["msg"] == "unhandled error")
    assert error["request_id"] == "boom-1"
    assert "RuntimeError: boom" in error["exception"]
