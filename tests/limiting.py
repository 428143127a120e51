"""Helpers for the rate-limit tests: apps whose clients come from chosen IP addresses (the
ASGI scope's ``client``, the only place the app reads the client IP), and the limiter's
log lines."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from quillpress.app import create_app
from quillpress.config import Settings
from tests.conftest import truncate
from tests.helpers import PASSWORD

TOO_MANY = {"errors": {"rate": ["too many requests"]}}
RATE_HEADERS = ("Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


@asynccontextmanager
async def running(settings: Settings, *, empty_after: bool = True) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        try:
            yield app
        finally:
            if empty_after:
                await truncate(app.state.resources.database.engine)


@asynccontextmanager
async def client_at(app: FastAPI, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests arrive from ``ip`` (the TCP peer the app sees)."""
    transport = httpx.ASGITransport(app=app, client=(ip, 40_000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    body = {"user": {"email": f"{username}@example.com", "password": password}}
    return await client.post("/api/users/login", json=body)


def assert_rate_limited(response: httpx.Response, *, limit: int) -> dict[str, int]:
    """A 429 with the RealWorld body and sane ``Retry-After`` / ``RateLimit-*`` headers;
    returns the header values as integers."""
    assert response.status_code == 429, response.text
    if response.request.url.path != "/graphql":
        assert response.json() == TOO_MANY
    values = {name: int(response.headers[name]) for name in RATE_HEADERS}
    assert values["RateLimit-Limit"] == limit
    assert values["RateLimit-Remaining"] == 0
    assert 1 <= values["Retry-After"] <= values["RateLimit-Reset"] <= 3_600
    return values


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self, level: int | None = None) -> list[str]:
        return [r.getMessage() for r in self.records if level is None or r.levelno == level]

    def extras(self, message: str) -> list[dict[str, Any]]:
        return [r.__dict__ for r in self.records if r.getMessage() == message]


@contextmanager
def limiter_log() -> Iterator[Records]:
    """The ``quillpress.limits`` lines (the app's ``quillpress`` logger does not propagate)."""
    handler = Records()
    logger = logging.getLogger("quillpress.limits")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
