"""``api.cors``: which origins are trusted with credentials in each mode (the rule behind
credentialed CORS and the CSRF origin check); the HTTP behaviour is pinned in
``tests/rest/test_cookie_mode.py``."""

from __future__ import annotations

import pytest

from quillpress.api.cors import credentialed, listed_origins
from quillpress.config import Settings

SECRET = "s" + "0123456789abcdefghijklmnopqrstuvwxyz"
LOOPBACK = ["http://localhost:3000", "http://127.0.0.1", "https://[::1]:8443", "http://LocalHost:1"]
NOT_LOOPBACK = [
    "null",
    "https://app.example",
    "http://localhost.evil.example",
    "http://127.0.0.1.evil.example",
    "http://127.0.0.2:3000",
    "ftp://localhost",
    "http://localhost:3000/path",
]


def trusted(settings: Settings, origin: str) -> bool:
    return credentialed(origin, settings, listed_origins(settings))


@pytest.mark.parametrize("origin", LOOPBACK)
def test_development_trusts_loopback_origins(origin: str) -> None:
    assert trusted(Settings(env="development"), origin)


@pytest.mark.parametrize("origin", NOT_LOOPBACK)
def test_development_trusts_no_other_origin_by_default(origin: str) -> None:
    assert not trusted(Settings(env="development"), origin)
    assert not trusted(Settings(env="development", cors_origins=["*"]), origin)


@pytest.mark.parametrize("origin", [*LOOPBACK, *NOT_LOOPBACK])
def test_production_trusts_nothing_unless_listed(origin: str) -> None:
    assert not trusted(Settings(env="production", secret_key=SECRET), origin)


def test_listed_origins_are_trusted_in_either_mode_as_browsers_spell_them() -> None:
    listed = ["https://App.example/", "https://b.example:8443"]
    for env in ("development", "production"):
        settings = Settings(env=env, secret_key=SECRET, cors_origins=listed)
        assert trusted(settings, "https://app.example")
        assert trusted(settings, "https://b.example:8443")
        assert not trusted(settings, "https://b.example")
        assert trusted(settings, "http://localhost:3000") is (env == "development")


HEADER_SETS = [
    [],
    [(b"content-type", b"application/json")],
    [(b"vary", b"Authorization")],
    [(b"vary", b"Authorization, Cookie"), (b"etag", b'W/"x"')],
    [(b"vary", b"Host"), (b"content-length", b"2"), (b"vary", b"Authorization")],
    [(b"x-one", b"1"), (b"vary", b"A"), (b"x-two", b"2"), (b"vary", b"B"), (b"vary", b"C")],
]


@pytest.mark.parametrize("headers", HEADER_SETS)
async def test_an_answer_without_an_origin_varies_as_starlettes_cors_makes_it(
    headers: list[tuple[bytes, bytes]],
) -> None:
    """The request without ``Origin`` skips Starlette's middleware; its answer must still
    be what that middleware makes of it, header for header and in order."""
    from starlette.middleware.cors import CORSMiddleware
    from starlette.types import Message, Receive, Scope, Send

    from quillpress.api.cors import Cors

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
        await send({"type": "http.response.body", "body": b"{}"})

    async def answer(layer: object) -> list[Message]:
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"host", b"x")]}
        await layer(scope, receive, send)  # type: ignore[operator]
        return sent

    ours = await answer(Cors(app, settings=Settings(env="development")))
    theirs = await answer(CORSMiddleware(app, allow_origin_regex=".*", allow_credentials=True))
    assert ours == theirs
    assert headers == list(HEADER_SETS[HEADER_SETS.index(headers)])  # never grown in place
