"""``Link: <…>; rel="next"`` (RFC 8288) for paged lists, as GitHub's API announces pages.

The next page is always a keyset ``cursor`` after the last item shown, whether this page
was asked for by offset or by cursor: following the links costs the same at any depth.
Clients that read only the body see no change (browsers read the header through CORS
``Access-Control-Expose-Headers``)."""

from __future__ import annotations

from urllib.parse import urlencode

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
    # What ``url.remove_query_params(…).include_query_params(…)`` builds (the other
    # parameters in their order, then cursor and limit), parsing the query once.
    query = [item for item in request.query_params.multi_items() if item[0] not in REPLACED]
    query += [("cursor", cursors.encode(paged.items[-1])), ("limit", str(page.limit))]
    url = request.url.replace(query=urlencode(query))
    return {"Link": f'<{url}>; rel="next"'}
