"""``/users``, ``/users/login`` and ``/user``."""

from __future__ import annotations

from fastapi import APIRouter

from quillpress.api.rest import envelopes
from quillpress.api.rest.binding import BoundRoute
from quillpress.api.rest.bodies import LoginBody, RegisterBody, UpdateUserBody
from quillpress.api.rest.cookies import SessionMode, set_session_cookies
from quillpress.api.rest.deps import (
    Auth,
    Client,
    Db,
    LimiterDep,
    Mode,
    SecurityDep,
    SettingsDep,
)
from quillpress.api.rest.openapi import UserResponse, errors
from quillpress.api.rest.responses import JsonResponse
from quillpress.domain.views import SessionView
from quillpress.services import users as user_service


def signed_in(
    session: SessionView, mode: SessionMode, settings: SettingsDep, status: int = 200
) -> JsonResponse:
    """The login envelope; in cookie mode the tokens go into cookies instead of the body."""
    if mode is SessionMode.COOKIE:
        response = JsonResponse(envelopes.user(session.user, ""), status_code=status)
        set_session_cookies(response, settings, session)
        return response
    body = envelopes.user(session.user, session.token, session.refresh_token)
    return JsonResponse(body, status_code=status)


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
    return signed_in(session, mode, settings, status=201)


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
    return signed_in(session, mode, settings)


@router.get(
    "/user",
    response_model=UserResponse,
    operation_id="GetCurrentUser",
    summary="Get current user",
)
async def current_user(auth: Auth, db: Db) -> JsonResponse:
    user = await user_service.current_user(db, auth.principal)
    return JsonResponse(envelopes.user(user, auth.token))


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
    return JsonResponse(envelopes.user(user, auth.token))
