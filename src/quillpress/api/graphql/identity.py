"""What makes two GraphQL requests the same request: the key a shared answer is kept
under (``api.response_cache``). A persisted query's hash and its full document agree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson


class RequestIdentity(NamedTuple):
    """What makes two GraphQL requests the same request (for a shared answer's key)."""

    document_sha256: str
    operation_name: str | None
    variables_json: str
    """The variables as JSON with sorted keys and no spaces; ``{}`` for none."""


def request_identity(
    document_sha256: str, operation_name: str | None, variables: Mapping[str, Any] | None
) -> RequestIdentity:
    """The normalised identity of a request: the document's SHA-256 (the persisted-query
    id, so a hash-only request and its full form agree), the name of the operation it
    executes, and its variables in canonical JSON (no variables and ``{}`` agree)."""
    canonical = orjson.dumps(dict(variables or {}), option=orjson.OPT_SORT_KEYS).decode()
    return RequestIdentity(document_sha256, operation_name, canonical)
