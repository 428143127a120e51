"""``/users/logout``, ``/users/logout-all`` and ``/user/sessions``: the signed-in user's
server-side sessions (see ``services.sessions``)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Response

from quillpress.api.rest import envelopes
from quillpress.api.rest.bodies import RefreshBody
from quillpress.api.rest.deps import CurrentPrincipal, Db, SecurityDep
from quillpress.api.rest.openapi import SessionsResponse, UserResponse, errors
from quillpress.api.rest.responses import JsonResponse
from quillpress.services import sessions as session_service
from quillpress.services import users as user_service

router = APIRouter(tags=["Sessions"])


@router.post(
    "/users/refresh",
    response_model=UserResponse,
    responses=errors(401),
    operation_id="Refresh",
    summary="Spend a refresh token for a new token and refresh token",
)
async def refresh(body: RefreshBody, db: Db, security: SecurityDep) -> JsonResponse:
    session = await user_service.refresh(db, security, body.refreshToken)
    return JsonResponse(envelopes.user(session.user, session.token, session.refresh_token))


@router.post(
    "/users/logout",
    status_code=204,
    operation_id="Logout",
    summary="End the current session",
)
async def logout(viewer: CurrentPrincipal, db: Db) -> Response:
    await session_service.logout(db, viewer)
    return Response(status_code=204)


@router.post(
    "/users/logout-all",
    status_code=204,
    operation_id="LogoutAll",
    summary="End every session of the current user",
)
async def logout_all(viewer: CurrentPrincipal, db: Db) -> Response:
    await session_service.logout_all(db, viewer)
    return Response(status_code=204)


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
    id: str = Path(max_length=64, description="A session id from `GET /api/user/sessions`."),
) -> Response:
    await session_service.revoke_session(db, viewer, id)
    return Response(status_code=204)
