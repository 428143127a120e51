"""``Link: <…>; rel="next"`` (RFC 8288) for paged lists, as GitHub's API announces pages.

The next page is always a keyset ``cursor`` after the last item shown, whether this page
was asked for by offset or by cursor: following the links costs the same at any depth.
Clients that read only the body see no change (browsers read the header through CORS
``Access-Control-Expose-Headers``).

The URL is absolute. Its base is ``QUILLPRESS_PUBLIC_URL`` when set; otherwise the
request's own (scheme and ``Host``), since that is all the server knows of how it was
reached, and then the response says ``Vary: Host``: a cache that keys on the path alone
must not hand one host's links to another (nor a forged ``Host`` to everyone). The path
and the other query parameters are the request's. So it is built per request: the
response cache stores only the next cursor and page size (:func:`next_of`) and rebuilds
the header for each request it answers (:func:`link`, :func:`page_url`); the ``Vary``
it stores with the answer."""

from __future__ import annotations

from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from fastapi import Request
from starlette.datastructures import URL
from starlette.types import Scope

from quillpress.api.resources import resources
from quillpress.domain import cursors
from quillpress.domain.commands import Page
from quillpress.domain.views import ArticleView, Paged, SearchResults

REPLACED = ("cursor", "offset", "limit")


def link(url: URL, cursor: str, limit: int) -> str:
    """The header value announcing the page after ``cursor``, for a request to ``url``:
    what ``url.remove_query_params(…).include_query_params(…)`` builds (the other
    parameters in their order, then cursor and limit), parsing the query once."""
    query = [
        item for item in parse_qsl(url.query, keep_blank_values=True) if item[0] not in REPLACED
    ]
    query += [("cursor", cursor), ("limit", str(limit))]
    # The URL up to its query, not ``url.replace(query=…)``, which splits and joins the
    # whole URL again (a third of this function's time, measured): a paged list's path is
    # a fixed route (``/api/articles``, ``…/feed``), with no ``?`` or ``#`` of its own.
    return f'<{str(url).partition("?")[0]}?{urlencode(query)}>; rel="next"'


def page_url(scope: Scope, public_url: str | None) -> URL:
    """The absolute URL of this request: under ``public_url`` when set (the path within
    the app appended to it, as everywhere it is used), else as the request reached the
    server (its scheme and ``Host``)."""
    if public_url is None:
        return URL(scope=scope)
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path):  # the public URL carries the prefix
        path = path[len(root_path) :]
    query = scope.get("query_string", b"").decode("latin-1")
    return URL(public_url + path + (f"?{query}" if query else ""))


def next_page(request: Request, paged: Paged[ArticleView], page: Page) -> dict[str, str]:
    """The ``Link`` header announcing the next page (and ``Vary: Host`` when it names the
    request's host), or no header on the last page."""
    if not paged.has_next or not paged.items:
        return {}
    return _next(request, cursors.encode(paged.items[-1]), page.limit)


def next_search_page(request: Request, found: SearchResults, page: Page) -> dict[str, str]:
    """:func:`next_page` for search results: a search cursor (the plain list's keyset
    cursor when the query was blank)."""
    if not found.page.has_next or not found.page.items:
        return {}
    return _next(request, cursors.of_result(found, -1), page.limit)


def _next(request: Request, cursor: str, limit: int) -> dict[str, str]:
    public_url = resources(request).settings.public_url
    url = page_url(request.scope, public_url)
    value = link(url, cursor, limit)
    return {"Link": value} if public_url else {"Link": value, "Vary": "Host"}


def next_of(value: str) -> tuple[str, int] | None:
    """The cursor and page size a :func:`link` header announces (``None`` if it is not one)."""
    if not value.startswith("<") or '>; rel="next"' not in value:
        return None
    query = parse_qs(urlsplit(value[1 : value.index(">")]).query)
    try:
        return query["cursor"][-1], int(query["limit"][-1])
    except (KeyError, ValueError):
        return None
