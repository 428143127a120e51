"""Cookie mode's cookies, set and cleared the same way by every adapter that signs a
browser in: REST's ``?session=cookie`` login and the moderation console's sign-in.

``qp_session`` (the access token; ``__Host-qp_session`` when Secure) is ``HttpOnly``,
``SameSite=Lax``, path ``/``; ``qp_refresh`` is ``HttpOnly``, ``SameSite=Strict`` and
sent only to ``/api/users/refresh``; ``qp_csrf`` is readable by the page's scripts, which
echo it in ``X-CSRF-Token`` on unsafe requests. Its value is the session's CSRF token
(``infra.csrf``, derived from the session id), so the server checks the header against
what it derives, never against the cookie."""

from __future__ import annotations

from starlette.responses import Response

from quillpress.api.credentials import (
    CSRF_COOKIE,
    REFRESH_COOKIE,
    REFRESH_PATH,
    session_cookie_name,
)
from quillpress.config import Settings
from quillpress.domain.views import SessionView


def set_session_cookies(
    response: Response, settings: Settings, session: SessionView, csrf_token: str
) -> None:
    """``csrf_token``: the session's (``security.csrf.token(session_id)``)."""
    secure = settings.cookies_secure
    response.set_cookie(
        session_cookie_name(settings),
        session.token,
        max_age=settings.token_lifetime_seconds,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
    if session.refresh_token is not None:
        response.set_cookie(
            REFRESH_COOKIE,
            session.refresh_token,
            max_age=settings.refresh_lifetime_seconds,
            path=REFRESH_PATH,
            secure=secure,
            httponly=True,
            samesite="strict",
        )
    set_csrf_cookie(response, settings, csrf_token)


def set_csrf_cookie(response: Response, settings: Settings, csrf_token: str) -> None:
    response.set_cookie(
        CSRF_COOKIE,
        csrf_token,
        max_age=settings.refresh_lifetime_seconds,
        path="/",
        secure=settings.cookies_secure,
        httponly=False,
        samesite="lax",
    )


def clear_session_cookies(response: Response, settings: Settings) -> None:
    secure = settings.cookies_secure
    response.delete_cookie(
        session_cookie_name(settings), path="/", secure=secure, httponly=True, samesite="lax"
    )
    response.delete_cookie(
        REFRESH_COOKIE, path=REFRESH_PATH, secure=secure, httponly=True, samesite="strict"
    )
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, samesite="lax")
