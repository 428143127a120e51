"""``/users``, ``/users/login`` and ``/user``."""

from __future__ import annotations

from fastapi import APIRouter, Request

from quillpress.api.credentials import CSRF_COOKIE
from quillpress.api.rest import envelopes
from quillpress.api.rest.binding import BoundRoute
from quillpress.api.rest.bodies import LoginBody, RegisterBody, UpdateUserBody
from quillpress.api.rest.cookies import SessionMode
from quillpress.api.rest.deps import (
    Auth,
    Client,
    Db,
    LimiterDep,
    Mode,
    SecurityDep,
    SettingsDep,
)
from quillpress.api.rest.envelopes import UserResponse
from quillpress.api.rest.error_statuses import errors
from quillpress.api.rest.responses import JsonResponse
from quillpress.api.session_cookies import set_csrf_cookie, set_session_cookies
from quillpress.config import Settings
from quillpress.domain.views import SessionView
from quillpress.infra.security import Security
from quillpress.services import users as user_service


def signed_in(
    session: SessionView,
    mode: SessionMode,
    settings: Settings,
    security: Security,
    status: int = 200,
) -> JsonResponse:
    """The login envelope; in cookie mode the tokens go into cookies instead of the body,
    with the session's CSRF token in ``qp_csrf``. Either way the answer carries a
    credential (in the body or a ``Set-Cookie``): ``no-store``, never kept by a cache."""
    if mode is SessionMode.COOKIE:
        assert session.session_id is not None  # every sign-in names its session
        response = JsonResponse(envelopes.user(session.user, ""), status_code=status)
        set_session_cookies(response, settings, session, security.csrf.token(session.session_id))
    else:
        body = envelopes.user(session.user, session.token, session.refresh_token)
        response = JsonResponse(body, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


router = APIRouter(tags=["User and Authentication"], route_class=BoundRoute)


@router.post(
    "/users",
    status_code=201,
    response_model=UserResponse,
    responses=errors(409),
    operation_id="CreateUser",
    summary="Register a new user",
)
async def register(
    body: RegisterBody,
    db: Db,
    security: SecurityDep,
    client: Client,
    mode: Mode,
    settings: SettingsDep,
    limiter: LimiterDep,
) -> JsonResponse:
    session = await user_service.register(db, security, body.user, client=client, limiter=limiter)
    return signed_in(session, mode, settings, security, status=201)


@router.post(
    "/users/login",
    response_model=UserResponse,
    responses=errors(401, 403),
    operation_id="Login",
    summary="Existing user login",
)
async def login(
    body: LoginBody,
    db: Db,
    security: SecurityDep,
    client: Client,
    mode: Mode,
    settings: SettingsDep,
    limiter: LimiterDep,
) -> JsonResponse:
    session = await user_service.login(db, security, body.user, client=client, limiter=limiter)
    return signed_in(session, mode, settings, security)


@router.get(
    "/user",
    response_model=UserResponse,
    operation_id="GetCurrentUser",
    summary="Get current user",
)
async def current_user(
    auth: Auth, db: Db, request: Request, settings: SettingsDep, security: SecurityDep
) -> JsonResponse:
    """By cookie: no token in the body (``shown_token``), and ``qp_csrf`` sent again when
    the one presented is not this session's (cleared, or from before tokens were bound
    to sessions), so a page that reads its user on load can write again."""
    user = await user_service.current_user(db, auth.principal)
    response = JsonResponse(envelopes.user(user, auth.shown_token))
    if auth.by_cookie:
        session_id = auth.principal.session_id
        assert session_id is not None  # a cookie-authenticated principal has its session
        presented = request.cookies.get(CSRF_COOKIE)
        if presented is None or not security.csrf.matches(session_id, presented):
            set_csrf_cookie(response, settings, security.csrf.token(session_id))
    return response


@router.put(
    "/user",
    response_model=UserResponse,
    responses=errors(409),
    operation_id="UpdateCurrentUser",
    summary="Update current user",
)
async def update_user(
    body: UpdateUserBody, auth: Auth, db: Db, security: SecurityDep, client: Client
) -> JsonResponse:
    user = await user_service.update_user(db, security, auth.principal, body.user, client=client)
    return JsonResponse(envelopes.user(user, auth.shown_token))
