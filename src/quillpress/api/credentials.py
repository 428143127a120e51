"""Reading a request's credentials (header token, cookie-mode cookies, CSRF evidence) for
the one way in and who sent it (peer address, user agent, request id), the same for REST
and GraphQL; and cookie mode's cookie names."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request

from quillpress.api import cors
from quillpress.config import Settings
from quillpress.domain.clients import ClientInfo
from quillpress.infra.request_context import current_request_id
from quillpress.services.authentication import SAFE_METHODS, Credentials, CsrfProof, Origin

AUTHENTICATED = "quillpress.authenticated"
"""Where a layer that authenticated the request before routing (``api.response_cache``)
leaves the result, so the request is not authenticated twice."""

REFRESH_COOKIE = "qp_refresh"
CSRF_COOKIE = "qp_csrf"
"""Carries the session's CSRF token to the page's scripts (readable, not ``HttpOnly``)."""
CSRF_HEADER = "x-csrf-token"
REFRESH_PATH = "/api/users/refresh"


def client_of(request: Request) -> ClientInfo:
    """The peer address from the ASGI scope only (``X-Forwarded-For`` is client-written;
    uvicorn rewrites the scope for trusted proxies alone), the user agent, the request id."""
    return ClientInfo(
        user_agent=request.headers.get("user-agent"),
        ip=request.client.host if request.client is not None else None,
        request_id=current_request_id(),
    )


def session_cookie_name(settings: Settings) -> str:
    """``__Host-`` makes browsers insist on Secure, path ``/`` and no Domain."""
    return "__Host-qp_session" if settings.cookies_secure else "qp_session"


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_of(request: Request, settings: Settings) -> Origin:
    """Where an unsafe request says it came from: ``Origin`` (or, without one or with the
    opaque ``null``, ``Referer``), judged trusted when it is the app's own origin, its
    public URL's, or one credentialed CORS trusts (``api.cors``: the allow-list, and
    loopback in development). ``null`` with no ``Referer`` is an origin, not allowed."""
    headers = request.headers
    sent = headers.get("origin")
    origin = sent
    if sent is None or sent == "null":
        referer = headers.get("referer")
        origin = _origin_of(referer) if referer else None
    if not origin:
        return Origin.MISSING if sent is None else Origin.NOT_ALLOWED
    origin = origin.rstrip("/").lower()
    if origin == f"{request.url.scheme}://{request.url.netloc}".lower():
        return Origin.TRUSTED
    if settings.public_url and origin == _origin_of(settings.public_url):
        return Origin.TRUSTED
    if cors.credentialed(origin, settings, cors.listed_origins(settings)):
        return Origin.TRUSTED
    return Origin.NOT_ALLOWED


def csrf_proof_of(request: Request, settings: Settings) -> CsrfProof:
    """What the request offers against CSRF (checked by ``services.authentication``)."""
    return CsrfProof(origin=origin_of(request, settings), token=request.headers.get(CSRF_HEADER))


def credentials_of(request: Request, settings: Settings) -> Credentials:
    """The CSRF proof is read only where it counts: an unsafe request carrying cookie
    mode's session cookie."""
    headers = request.headers
    cookies = request.cookies if "cookie" in headers else {}
    session_cookie = cookies.get(session_cookie_name(settings))
    method = request.method
    return Credentials(
        authorization=headers.get("authorization"),
        session_cookie=session_cookie,
        csrf=(
            csrf_proof_of(request, settings)
            if session_cookie is not None and method.upper() not in SAFE_METHODS
            else None
        ),
        method=method,
    )
