"""Opaque keyset cursors: base64 of the (created_at, id) position of an item.

One codec for both adapters: GraphQL's ``after`` and REST's ``cursor`` are the same
string, so a client may take a position from one API and continue in the other."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from quillpress.domain.commands import Cursor
from quillpress.domain.errors import Invalid
from quillpress.domain.views import ArticleView


def encode(view: ArticleView) -> str:
    return position(view.created_at, view.id)


def position(created_at: datetime, ident: int) -> str:
    """The cursor of any item of a newest-first list ordered by ``(created_at, id)``
    (articles; the admin lists of users and audit events)."""
    moment = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
    raw = f"{moment.astimezone(UTC).isoformat()}|{ident}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


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
