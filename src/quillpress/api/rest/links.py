"""``Link: <…>; rel="next"`` (RFC 8288) for paged lists, as GitHub's API announces pages.

The next page is always a keyset ``cursor`` after the last item shown, whether this page
was asked for by offset or by cursor: following the links costs the same at any depth.
Clients that read only the body see no change (browsers read the header through CORS
``Access-Control-Expose-Headers``)."""

from __future__ import annotations

from fastapi import Request

from quillpress.domain import cursors
from quillpress.domain.commands import Page
from quillpress.domain.views import ArticleView, Paged

REPLACED = ("cursor", "offset", "limit")


def next_page(request: Request, paged: Paged[ArticleView], page: Page) -> dict[str, str]:
    """The ``Link`` header announcing the next page, or none on the last page. Its URL is
    this request's (base URL, path and other query parameters kept)."""
    if not paged.has_next or not paged.items:
        return {}
    url = request.url.remove_query_params(REPLACED).include_query_params(
        cursor=cursors.encode(paged.items[-1]), limit=page.limit
    )
    return {"Link": f'<{url}>; rel="next"'}
