"""Opaque cursors: base64 of the (created_at, id) position of an item (keyset), or of a
position in search results (the query's fingerprint and how many results came before).

One codec for both adapters: GraphQL's ``after`` and REST's ``cursor`` are the same
string, so a client may take a position from one API and continue in the other."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from quillpress.domain.commands import MAX_OFFSET, Cursor, SearchPosition
from quillpress.domain.errors import Invalid
from quillpress.domain.views import ArticleView, SearchResults


def encode(view: ArticleView) -> str:
    return position(view.created_at, view.id)


def of_result(results: SearchResults, index: int) -> str:
    """The cursor after the ``index``-th item of a page of search results (a keyset one
    when the query was blank: the plain list); ``-1`` is the last."""
    if index < 0:
        index += len(results.page.items)
    if results.query_key is None:
        return encode(results.page.items[index].article)
    return search_position(results.query_key, results.offset + index + 1)


def position(created_at: datetime, ident: int) -> str:
    """The cursor of any item of a newest-first list ordered by ``(created_at, id)``
    (articles; the admin lists of users and audit events)."""
    moment = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
    raw = f"{moment.astimezone(UTC).isoformat()}|{ident}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


SEARCH = "search"


def search_position(key: str, offset: int) -> str:
    """The cursor after the first ``offset`` results of the search whose fingerprint is
    ``key`` (``domain.search.SearchQuery.key``)."""
    raw = f"{SEARCH}|{key}|{offset}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_any(cursor: str | None, *, field: str) -> Cursor | SearchPosition | None:
    """A keyset or a search cursor (the REST ``cursor`` of ``/articles``, where ``q``
    decides which kind belongs; the use case refuses the other)."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, _, rest = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid({field: ["is not a valid cursor"]}) from None
    if kind != SEARCH:
        return decode(cursor, field=field)
    key, _, offset = rest.partition("|")
    if not (len(key) == 16 and offset.isascii() and offset.isdigit() and len(offset) <= 9):
        raise Invalid({field: ["is not a valid cursor"]})
    if int(offset) > MAX_OFFSET:
        raise Invalid({field: ["is not a valid cursor"]})
    return SearchPosition(key=key, offset=int(offset))


def decode(cursor: str | None, *, field: str) -> Cursor | None:
    """``field`` names the argument in the error (``after``, ``cursor``): a 422 keyed by it."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, _, ident = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
        created_at = datetime.fromisoformat(moment)
        if not -(2**63) <= int(ident) < 2**63:  # the database's BIGINT: beyond it, a 500
            raise ValueError(ident)
        return Cursor(
            # In UTC, as stored: SQLite compares the text, and an offset can overflow the date.
            created_at=created_at.astimezone(UTC)
            if created_at.tzinfo
            else created_at.replace(tzinfo=UTC),
            id=int(ident),
        )
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise Invalid({field: ["is not a valid cursor"]}) from None
