"""``GET /avatars/{name}.svg``: the generated avatar images demo accounts point at.

An operational endpoint beside ``/api``, not part of the RealWorld contract, so it stays out
of the OpenAPI document. Demo users store the absolute URL (``url``), built from the public
base address, so a front end served from another origin can load the images."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from starlette.responses import Response

from quillpress.domain.errors import NotFound
from quillpress.infra import avatars

PATH = "/avatars/{name}.svg"
CACHE_CONTROL = "public, max-age=31536000, immutable"  # a name always renders the same bytes
SVG_HEADERS = {
    "Cache-Control": CACHE_CONTROL,
    # Opened directly, an SVG is a document: allow it nothing but its inline presentation.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}

router = APIRouter()


def url(base_url: str, name: str) -> str:
    """The absolute address of ``name``'s avatar under ``base_url`` (no trailing slash)."""
    return base_url + PATH.format(name=quote(name, safe=""))


@router.get(PATH, include_in_schema=False)
async def avatar(name: str) -> Response:
    if not avatars.is_valid_name(name):
        raise NotFound("avatar")
    return Response(avatars.render(name), media_type="image/svg+xml", headers=SVG_HEADERS)
