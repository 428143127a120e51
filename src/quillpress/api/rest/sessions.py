"""``/users/logout``, ``/users/logout-all`` and ``/user/sessions``: the signed-in user's
server-side sessions (see ``services.sessions``)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request, Response

from quillpress.api.credentials import REFRESH_COOKIE, csrf_proof_of
from quillpress.api.rest import envelopes
from quillpress.api.rest.binding import BoundRoute
from quillpress.api.rest.bodies import RefreshBody
from quillpress.api.rest.cookies import SessionMode
from quillpress.api.rest.deps import Client, CurrentPrincipal, Db, SecurityDep, SettingsDep
from quillpress.api.rest.envelopes import SessionsResponse, UserResponse
from quillpress.api.rest.error_statuses import errors
from quillpress.api.rest.responses import JsonResponse
from quillpress.api.rest.users import signed_in
from quillpress.api.session_cookies import clear_session_cookies
from quillpress.domain.errors import Unauthenticated
from quillpress.services import sessions as session_service
from quillpress.services import users as user_service

router = APIRouter(tags=["Sessions"], route_class=BoundRoute)


@router.post(
    "/users/refresh",
    response_model=UserResponse,
    responses=errors(401, 403),
    operation_id="Refresh",
    summary="Spend a refresh token for a new token and refresh token",
)
async def refresh(
    request: Request,
    db: Db,
    security: SecurityDep,
    settings: SettingsDep,
    client: Client,
    body: RefreshBody | None = None,
) -> JsonResponse:
    """With no body, the refresh cookie is spent and new cookies are set (cookie mode):
    that needs the CSRF proof any unsafe cookie request needs (a trusted origin, the
    session's token in ``X-CSRF-Token``)."""
    if body is not None:
        session = await user_service.refresh(db, security, body.refreshToken, client=client)
        return signed_in(session, SessionMode.TOKEN, settings, security)
    cookie = request.cookies.get(REFRESH_COOKIE)
    if not cookie:
        raise Unauthenticated.invalid_refresh()
    session = await user_service.refresh(
        db, security, cookie, client=client, csrf=csrf_proof_of(request, settings)
    )
    return signed_in(session, SessionMode.COOKIE, settings, security)


@router.post(
    "/users/logout",
    status_code=204,
    operation_id="Logout",
    summary="End the current session",
)
async def logout(
    viewer: CurrentPrincipal, db: Db, settings: SettingsDep, client: Client
) -> Response:
    await session_service.logout(db, viewer, client=client)
    response = Response(status_code=204)
    clear_session_cookies(response, settings)  # cookie mode's, if any
    return response


@router.post(
    "/users/logout-all",
    status_code=204,
    operation_id="LogoutAll",
    summary="End every session of the current user",
)
async def logout_all(
    viewer: CurrentPrincipal, db: Db, settings: SettingsDep, client: Client
) -> Response:
    await session_service.logout_all(db, viewer, client=client)
    response = Response(status_code=204)
    clear_session_cookies(response, settings)
    return response


@router.get(
    "/user/sessions",
    response_model=SessionsResponse,
    operation_id="ListSessions",
    summary="The current user's live sessions, newest first",
)
async def list_sessions(viewer: CurrentPrincipal, db: Db) -> JsonResponse:
    return JsonResponse(envelopes.sessions(await session_service.list_sessions(db, viewer)))


@router.delete(
    "/user/sessions/{id}",
    status_code=204,
    operation_id="RevokeSession",
    summary="End one of the current user's sessions",
)
async def revoke_session(
    viewer: CurrentPrincipal,
    db: Db,
    client: Client,
    id: str = Path(max_length=64, description="A session id from `GET /api/user/sessions`."),
) -> Response:
    await session_service.revoke_session(db, viewer, id, client=client)
    return Response(status_code=204)
