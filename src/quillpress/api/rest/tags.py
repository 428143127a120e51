"""``/tags``."""

from __future__ import annotations

from fastapi import APIRouter

from quillpress.api.rest import envelopes
from quillpress.api.rest.binding import BoundRoute
from quillpress.api.rest.deps import CurrentViewer, Db
from quillpress.api.rest.responses import JsonResponse
from quillpress.services import articles as article_service

router = APIRouter(tags=["Tags"], route_class=BoundRoute)


@router.get(
    "/tags", response_model=envelopes.TagsResponse, operation_id="GetTags", summary="Get tags"
)
async def list_tags(_viewer: CurrentViewer, db: Db) -> JsonResponse:
    # ``_viewer`` only authenticates: an invalid token is 401 on every endpoint.
    return JsonResponse(envelopes.tags(await article_service.list_tags(db)))
