"""Paging for the console's lists: ``offset`` in the address, a fixed page size, and the
previous/next links that keep every other parameter (the filters) as they were."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from quillpress.api.resources import resources
from quillpress.domain.commands import Page, make_page
from quillpress.domain.errors import Invalid
from quillpress.domain.views import Paged

PAGE_SIZE = 25


def page_of(request: Request) -> Page:
    raw = request.query_params.get("offset", "0") or "0"
    if not raw.isdigit():
        raise Invalid({"offset": ["must be a whole number"]})
    limit = min(PAGE_SIZE, resources(request).settings.max_page_size)
    return make_page(limit, int(raw), max_limit=limit)


def param(request: Request, name: str) -> str | None:
    """A filter as typed, stripped; ``None`` when blank."""
    value = request.query_params.get(name, "").strip()
    return value or None


@dataclass(frozen=True, slots=True)
class Pager:
    """What the page's navigation shows: which rows these are and where the neighbours
    are (``None`` at either end)."""

    first: int
    last: int
    total: int | None
    previous: str | None
    next: str | None


def pager(request: Request, page: Page, paged: Paged[Any]) -> Pager:
    def at(offset: int) -> str:
        query = [
            (k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "notice")
        ]
        if offset:
            query.append(("offset", str(offset)))
        return request.url.path + (f"?{urlencode(query)}" if query else "")

    shown = len(paged.items)
    return Pager(
        first=page.offset + 1 if shown else 0,
        last=page.offset + shown,
        total=paged.total,
        previous=at(max(0, page.offset - page.limit)) if page.offset > 0 else None,
        next=at(page.offset + page.limit) if paged.has_next else None,
    )
