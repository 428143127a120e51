"""``/profiles/{username}`` and following."""

from __future__ import annotations

from fastapi import APIRouter

from quillpress.api.rest import envelopes
from quillpress.api.rest.binding import BoundRoute
from quillpress.api.rest.deps import CurrentPrincipal, CurrentViewer, Db
from quillpress.api.rest.envelopes import ProfileResponse
from quillpress.api.rest.responses import JsonResponse
from quillpress.services import profiles as profile_service

router = APIRouter(prefix="/profiles", tags=["Profile"], route_class=BoundRoute)


@router.get(
    "/{username}",
    response_model=ProfileResponse,
    operation_id="GetProfileByUsername",
    summary="Get a profile",
)
async def get_profile(username: str, viewer: CurrentViewer, db: Db) -> JsonResponse:
    view = await profile_service.get_profile(db, viewer, username)
    return JsonResponse(envelopes.profile(view))


@router.post(
    "/{username}/follow",
    response_model=ProfileResponse,
    operation_id="FollowUserByUsername",
    summary="Follow a user",
)
async def follow(username: str, viewer: CurrentPrincipal, db: Db) -> JsonResponse:
    return JsonResponse(envelopes.profile(await profile_service.follow(db, viewer, username)))


@router.delete(
    "/{username}/follow",
    response_model=ProfileResponse,
    operation_id="UnfollowUserByUsername",
    summary="Unfollow a user",
)
async def unfollow(username: str, viewer: CurrentPrincipal, db: Db) -> JsonResponse:
    return JsonResponse(envelopes.profile(await profile_service.unfollow(db, viewer, username)))
