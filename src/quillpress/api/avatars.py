"""``GET /avatars/{name}.svg``: the generated avatar images demo accounts point at.

An operational endpoint beside ``/api``, not part of the RealWorld contract, so it stays out
of the OpenAPI document. Demo users store absolute URLs to it (``infra.avatars.url``)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from quillpress.domain.errors import NotFound
from quillpress.infra import avatars

CACHE_CONTROL = "public, max-age=31536000, immutable"  # a name always renders the same bytes
SVG_HEADERS = {
    "Cache-Control": CACHE_CONTROL,
    # Opened directly, an SVG is a document: allow it nothing but its inline presentation.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}

router = APIRouter()


@router.get(avatars.PATH, include_in_schema=False)
async def avatar(name: str) -> Response:
    if not avatars.is_valid_name(name):
        raise NotFound("avatar")
    return Response(avatars.render(name), media_type="image/svg+xml", headers=SVG_HEADERS)
