"""The warning that a proxy in front of the app is not trusted: forwarding headers from a
peer outside ``QUILLPRESS_TRUSTED_PROXIES`` are logged once per process, naming the
setting; a trusted proxy's requests (after uvicorn's own proxy-headers middleware
rewrote the client, as ``serve`` runs it) never are."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from quillpress.api import forwarding
from quillpress.api.edge import Edge
from tests.conftest import make_settings
from tests.limiting import Records, client_at, running


async def ok(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process would: nothing warned yet."""
    monkeypatch.setattr(forwarding.ONCE, "warned", False)


@contextmanager
def warnings() -> Iterator[Records]:
    handler = Records()
    logger = logging.getLogger("quillpress.proxies")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@asynccontextmanager
async def served(trusted: str, peer: str) -> Any:
    """The edge with ``trusted`` proxies behind uvicorn's middleware as ``serve`` sets it
    up (off without trusted proxies), requests arriving from ``peer``."""
    app: Any = Edge(ok, max_body_bytes=1024, hsts_max_age=None, trusted_proxies=trusted.split())
    if trusted:
        app = ProxyHeadersMiddleware(app, trusted_hosts=trusted)
    transport = httpx.ASGITransport(app=app, client=(peer, 40_000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def named_the_setting(log: Records) -> list[str]:
    return [m for m in log.messages(logging.WARNING) if "QUILLPRESS_TRUSTED_PROXIES" in m]


async def test_forwarded_for_without_trusted_proxies_warns_once_per_process(
    database_url: str,
) -> None:
    with warnings() as log:
        async with running(make_settings(database_url)) as app, client_at(app, "10.1.2.3") as http:
            for n in range(5):  # a proxy sends it on every request
                headers = {"X-Forwarded-For": f"198.51.100.{n}"}
                assert (await http.get("/api/tags", headers=headers)).status_code == 200
        async with running(make_settings(database_url)) as again, client_at(again, "10.1.2.3") as h:
            await h.get("/api/tags", headers={"Forwarded": "for=198.51.100.9"})  # same process
    [line] = named_the_setting(log)
    assert "10.1.2.3" in line
    assert "X-Forwarded-For" in line
    [record] = log.extras(line)
    assert record["levelno"] == logging.WARNING
    assert record["setting"] == "QUILLPRESS_TRUSTED_PROXIES"
    assert record["peer"] == "10.1.2.3"


async def test_a_trusted_proxys_forwarded_for_is_not_reported() -> None:
    with warnings() as log:
        async with served("10.0.0.0/8", "10.0.0.5") as http:
            await http.get("/", headers={"X-Forwarded-For": "198.51.100.7"})  # rewritten
            await http.get("/", headers={"X-Forwarded-For": "198.51.100.7, 10.0.0.9"})
            await http.get("/", headers={"X-Forwarded-For": "[2001:db8::1]:443"})
            await http.get("/", headers={"Forwarded": "for=198.51.100.7"})
            await http.get("/")
    assert named_the_setting(log) == []


async def test_an_untrusted_peer_is_reported_when_other_proxies_are_trusted() -> None:
    with warnings() as log:
        async with served("10.0.0.0/8", "192.0.2.44") as http:
            await http.get("/", headers={"X-Forwarded-For": "198.51.100.7"})
            await http.get("/", headers={"X-Forwarded-For": "198.51.100.8"})
    [line] = named_the_setting(log)
    assert "192.0.2.44" in line
    assert "10.0.0.0/8" in line


async def test_forwarded_alone_from_an_untrusted_peer_is_reported() -> None:
    with warnings() as log:
        async with served("10.0.0.0/8", "192.0.2.45") as http:
            await http.get("/", headers={"Forwarded": 'for="[2001:db8::2]"'})
    [line] = named_the_setting(log)
    assert "Forwarded" in line
    assert "192.0.2.45" in line


async def test_requests_without_forwarding_headers_are_never_reported() -> None:
    with warnings() as log:
        async with served("", "192.0.2.46") as http:
            for _ in range(3):
                await http.get("/")
    assert named_the_setting(log) == []
