"""``Idempotency-Key``: a client's retry of a create answered with the first result, never
a second row (the IETF httpapi draft "The Idempotency-Key HTTP Header Field"; Stripe's
semantics).

The rules live here, once, for every adapter: what a key may be, what makes two requests
"the same" (a fingerprint of the parsed command, so key order and spacing of the JSON do
not matter, and REST and GraphQL spell one create the same way), and the errors."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from quillpress.domain.errors import Conflict, Invalid

FIELD = "idempotencyKey"
MAX_LENGTH = 255
KEY_RULE = f"must be 1 to {MAX_LENGTH} printable ASCII characters"

CREATE_ARTICLE = "create_article"
ADD_COMMENT = "add_comment"

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A valid key and how long its first result is kept."""

    value: str
    ttl: timedelta


@dataclass(frozen=True, slots=True)
class Created(Generic[V]):
    """A create's result: the view, and whether it is the replay of an earlier request
    with the same key (the adapters then say so: ``Idempotent-Replayed: true``)."""

    view: V
    replayed: bool = False


def parse_key(text: str | None, *, ttl_hours: int) -> IdempotencyKey | None:
    """The key a client sent, ``None`` without one; anything but 1 to 255 characters in
    ``!``…``~`` and space is refused (422), never truncated or ignored."""
    if text is None:
        return None
    if not 1 <= len(text) <= MAX_LENGTH or not all(" " <= char <= "~" for char in text):
        raise Invalid({FIELD: [KEY_RULE]})
    return IdempotencyKey(text, timedelta(hours=ttl_hours))


def fingerprint(request: Mapping[str, object]) -> str:
    """SHA-256 of the canonical JSON of a parsed request (sorted keys, no spaces)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def reused() -> Invalid:
    return Invalid({FIELD: ["reused with a different request"]})


def in_progress() -> Conflict:
    return Conflict({FIELD: ["in progress"]})
