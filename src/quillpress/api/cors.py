"""Which origins are trusted with credentials: the one rule behind credentialed CORS and
the CSRF origin check (``api.credentials``), so a browser is never allowed to send
cookies from an origin the CSRF check would then refuse, nor the reverse.

- Listed in ``QUILLPRESS_CORS_ORIGINS``: trusted, in either mode.
- Development also trusts the loopback origins (``http(s)://localhost``, ``127.0.0.1``,
  ``[::1]``, any port): a front end on ``localhost:3000`` works in cookie mode with no
  setting. Every other origin, the opaque ``null`` included, gets plain CORS without
  credentials (``Access-Control-Allow-Origin: *``, no ``Allow-Credentials``): token-mode
  clients work from anywhere, cookies from nowhere else.
- Production trusts the list alone; other origins get no CORS headers. ``*`` is refused
  at startup there (``config``): it would mean "any site may act with the user's cookies".
- A ``*`` listed in development means the development fallback above, nothing more.

Credentialed answers echo the request's origin with ``Access-Control-Allow-Credentials:
true`` and ``Vary: Origin``; never ``*`` with credentials."""

from __future__ import annotations

import re

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quillpress.config import Settings

ANY = "*"
LOOPBACK = re.compile(r"https?://(?:localhost|127\.0\.0\.1|\[::1\])(?::[0-9]{1,5})?")

METHODS = ["GET", "POST", "PUT", "DELETE", "OPTIONS"]
HEADERS = [
    "Authorization",
    "Content-Type",
    "X-Request-ID",
    "If-None-Match",
    "X-CSRF-Token",
    "Idempotency-Key",
]
EXPOSED = ["Server-Timing", "X-Request-ID", "Link", "ETag", "Idempotent-Replayed"]
MAX_AGE = 600


def listed_origins(settings: Settings) -> frozenset[str]:
    """The explicit allow-list, normalised as browsers send an origin (no trailing slash,
    scheme and host lower-case)."""
    return frozenset(
        origin.rstrip("/").lower() for origin in settings.cors_origins if origin != ANY
    )


def credentialed(origin: str, settings: Settings, listed: frozenset[str]) -> bool:
    """``origin`` may send credentials: listed, or loopback in development."""
    normal = origin.rstrip("/").lower()
    if normal in listed:
        return True
    return not settings.is_production and LOOPBACK.fullmatch(normal) is not None


class Cors:
    """Starlette's CORS middleware, configured per kind of origin: one instance answers
    trusted origins with credentials, one (development only) any other origin without,
    and one the rest with no CORS at all (a preflight is refused, as Starlette does)."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.listed = listed_origins(settings)
        # The dispatch in __call__ decides which instance answers; an instance's own
        # origin test then only says what it echoes (the trusted one echoes any origin).
        self.trusted = _middleware(app, origin_regex=".*", credentials=True)
        self.public = None if settings.is_production else _middleware(app, origins=[ANY])
        self.refused = _middleware(app)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.trusted(scope, receive, send)
            return
        origin = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value.decode("latin-1")
                break
        if origin is None:
            await self.app(scope, receive, _vary_origin(send))
        elif credentialed(origin, self.settings, self.listed):
            await self.trusted(scope, receive, send)
        elif self.public is not None:
            await self.public(scope, receive, send)
        else:
            await self.refused(scope, receive, send)


VARY = b"vary"


def _vary_origin(send: Send) -> Send:
    """What Starlette's CORS middleware does to the answer of a request without an
    ``Origin`` (``Origin`` added to the one ``Vary``, in the place of the first), without
    its header objects: a tenth of a cached hit's CPU went there (``bench/cpu.py --cache
    redis --profile``). ``tests/api/test_cors.py`` holds the two equal."""

    async def varied(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))  # a copy: never grow a shared list
            found = [index for index, (name, _) in enumerate(headers) if name == VARY]
            values = [headers[index][1] for index in found]
            value = b", ".join([*values, b"Origin"])
            for index in reversed(found[1:]):
                del headers[index]
            if found:
                headers[found[0]] = (VARY, value)
            else:
                headers.append((VARY, value))
            message = {**message, "headers": headers}
        await send(message)

    return varied


def _middleware(
    app: ASGIApp,
    *,
    origins: list[str] | None = None,
    origin_regex: str | None = None,
    credentials: bool = False,
) -> CORSMiddleware:
    return CORSMiddleware(
        app,
        allow_origins=origins or [],
        allow_origin_regex=origin_regex,
        allow_credentials=credentials,
        allow_methods=METHODS,
        allow_headers=HEADERS,
        expose_headers=EXPOSED,
        max_age=MAX_AGE,
    )
