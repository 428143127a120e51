"""What a ``/graphql`` request asks, its transport fields checked (GraphQL over HTTP): a
JSON object with a non-blank ``query`` string, ``variables`` an object, ``operationName``
a string.

Automatic persisted queries follow Apollo's protocol: ``extensions.persistedQuery``
(``version: 1``, ``sha256Hash``) stands for the document; an unknown hash is answered
``PERSISTED_QUERY_NOT_FOUND`` (200, as Apollo Server answers it) and the client resends
the document with its hash, which is verified, then registered once it validates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quillpress.api.graphql.responses import Answered, persisted_query_error, refuse
from quillpress.infra.persisted_queries import SHA256_HEX, document_hash
from quillpress.infra.resources import Resources

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"


@dataclass(frozen=True, slots=True)
class Asked:
    """What the request asks, its transport checked."""

    query: str
    """The client's text, or the one its persisted hash names."""
    variables: dict[str, Any] | None
    operation_name: str | None
    sha256: str | None = None
    """The persisted hash the client named, if any."""
    register: bool = False
    """A document sent with its hash: registered once it parses, validates and names an
    operation."""


async def asked(found: Resources, params: Any, *, persisted_queries: bool) -> Asked:
    """The request's fields, checked in this order; ``Answered`` with the first refusal.
    ``persisted_queries``: whether hashes are accepted at all."""
    if not isinstance(params, dict):
        raise Answered(refuse("The request must be a JSON object with a `query` string."))
    query, variables, operation_name, extensions = (
        params.get("query"),
        params.get("variables"),
        params.get("operationName"),
        params.get("extensions"),
    )
    if extensions is not None and not isinstance(extensions, dict):
        raise Answered(refuse("`extensions` must be a JSON object."))
    persisted = (extensions or {}).get("persistedQuery")
    sha256: str | None = None
    register = False
    if persisted is not None:
        if not persisted_queries:
            raise Answered(
                persisted_query_error("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")
            )
        query, sha256, register = await _persisted(found, persisted, query)
    if not isinstance(query, str) or not query.strip():
        raise Answered(refuse("The request has no `query` string."))
    if variables is not None and not isinstance(variables, dict):
        raise Answered(refuse("`variables` must be a JSON object."))
    if operation_name is not None and not isinstance(operation_name, str):
        raise Answered(refuse("`operationName` must be a string."))
    return Asked(query, variables, operation_name, sha256, register)


async def _persisted(found: Resources, persisted: Any, query: Any) -> tuple[Any, str, bool]:
    """``extensions.persistedQuery`` resolved: ``(query, sha256, register)``; refused
    when of a bad version or hash, or not found."""
    version = persisted.get("version") if isinstance(persisted, dict) else None
    if type(version) is not int or version != 1:
        raise Answered(refuse("Unsupported persisted query version"))
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not SHA256_HEX.fullmatch(sha256):
        raise Answered(
            refuse(
                "`extensions.persistedQuery.sha256Hash` must be the SHA-256 of the query "
                "as 64 lower-case hex digits."
            )
        )
    if query is None:
        document = await found.persisted_queries.lookup(sha256)
        if document is None:
            found.metrics.persisted_query("miss")
            raise Answered(
                persisted_query_error("PersistedQueryNotFound", PERSISTED_QUERY_NOT_FOUND)
            )
        found.metrics.persisted_query("hit")
        return document, sha256, False
    if isinstance(query, str) and document_hash(query) != sha256:
        raise Answered(refuse("provided sha does not match query"))
    return query, sha256, True
