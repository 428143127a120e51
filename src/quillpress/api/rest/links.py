"""``Link: <…>; rel="next"`` (RFC 8288) for paged lists, as GitHub's API announces pages.

The next page is always a keyset ``cursor`` after the last item shown, whether this page
was asked for by offset or by cursor: following the links costs the same at any depth.
Clients that read only the body see no change (browsers read the header through CORS
``Access-Control-Expose-Headers``).

The URL is the request's own (base URL, path and other query parameters kept), so it is
built per request: the response cache stores only the next cursor and page size
(:func:`next_of`) and rebuilds the header for each request it answers (:func:`link`)."""

from __future__ import annotations

from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from fastapi import Request
from starlette.datastructures import URL

from quillpress.domain import cursors
from quillpress.domain.commands import Page
from quillpress.domain.views import ArticleView, Paged

REPLACED = ("cursor", "offset", "limit")


def link(url: URL, cursor: str, limit: int) -> str:
    """The header value announcing the page after ``cursor``, for a request to ``url``:
    what ``url.remove_query_params(…).include_query_params(…)`` builds (the other
    parameters in their order, then cursor and limit), parsing the query once."""
    query = [
        item for item in parse_qsl(url.query, keep_blank_values=True) if item[0] not in REPLACED
    ]
    query += [("cursor", cursor), ("limit", str(limit))]
    return f'<{url.replace(query=urlencode(query))}>; rel="next"'


def next_page(request: Request, paged: Paged[ArticleView], page: Page) -> dict[str, str]:
    """The ``Link`` header announcing the next page, or none on the last page."""
    if not paged.has_next or not paged.items:
        return {}
    return {"Link": link(request.url, cursors.encode(paged.items[-1]), page.limit)}


def next_of(value: str) -> tuple[str, int] | None:
    """The cursor and page size a :func:`link` header announces (``None`` if it is not one)."""
    if not value.startswith("<") or '>; rel="next"' not in value:
        return None
    query = parse_qs(urlsplit(value[1 : value.index(">")]).query)
    try:
        return query["cursor"][-1], int(query["limit"][-1])
    except (KeyError, ValueError):
        return None
