"""Reading a request's credentials (header token, cookie-mode cookies, CSRF evidence) for
the one way in and who sent it (peer address, user agent, request id), the same for REST
and GraphQL; and cookie mode's cookie names."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request

from quillpress.config import Settings
from quillpress.infra.request_context import current_request_id
from quillpress.services.authentication import SAFE_METHODS, Credentials
from quillpress.services.sessions import ClientInfo

AUTHENTICATED = "quillpress.authenticated"
"""Where a layer that authenticated the request before routing (``api.response_cache``)
leaves the result, so the request is not authenticated twice."""

REFRESH_COOKIE = "qp_refresh"
CSRF_COOKIE = "qp_csrf"
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


def origin_trusted(request: Request, settings: Settings) -> bool:
    """``Origin`` (or, without one, ``Referer``) is the app's own origin, its public URL's,
    or in the explicit CORS allow-list (development's implied ``*`` trusts nothing)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        referer = request.headers.get("referer")
        origin = _origin_of(referer) if referer else None
    if not origin:
        return False
    trusted = {f"{request.url.scheme}://{request.url.netloc}".lower()}
    if settings.public_url:
        public = _origin_of(settings.public_url)
        if public:
            trusted.add(public)
    trusted |= {allowed.rstrip("/").lower() for allowed in settings.cors_origins}
    return origin.rstrip("/").lower() in trusted


def credentials_of(request: Request, settings: Settings) -> Credentials:
    """The origin is compared only where it counts: an unsafe request carrying cookie
    mode's session cookie (the one case the CSRF check reads it)."""
    headers = request.headers
    cookies = request.cookies if "cookie" in headers else {}
    session_cookie = cookies.get(session_cookie_name(settings))
    method = request.method
    return Credentials(
        authorization=headers.get("authorization"),
        session_cookie=session_cookie,
        csrf_cookie=cookies.get(CSRF_COOKIE),
        csrf_header=headers.get(CSRF_HEADER),
        method=method,
        origin_trusted=(
            session_cookie is not None
            and method.upper() not in SAFE_METHODS
            and origin_trusted(request, settings)
        ),
    )
