"""``/profiles/{username}`` and following."""

from __future__ import annotations

from fastapi import APIRouter

from quillpress.api.rest import envelopes
from quillpress.api.rest.deps import RequiredViewer, Uow, Viewer
from quillpress.api.rest.responses import JsonResponse
from quillpress.services import profiles as profile_service

router = APIRouter(prefix="/profiles", tags=["Profile"])


@router.get("/{username}")
async def get_profile(username: str, viewer: Viewer, uow: Uow) -> JsonResponse:
    return JsonResponse(envelopes.profile(await profile_service.get_profile(uow, viewer, username)))


@router.post("/{username}/follow")
async def follow(username: str, viewer: RequiredViewer, uow: Uow) -> JsonResponse:
    return JsonResponse(envelopes.profile(await profile_service.follow(uow, viewer, username)))


@router.delete("/{username}/follow")
async def unfollow(username: str, viewer: RequiredViewer, uow: Uow) -> JsonResponse:
    return JsonResponse(envelopes.profile(await profile_service.unfollow(uow, viewer, username)))
