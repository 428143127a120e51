"""Every GraphQL error, formatted in one place: domain errors get ``extensions.code`` (and
the same field messages REST gives), anything unexpected is logged and never leaks."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from quillpress.domain.errors import (
    Conflict,
    CsrfRejected,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from quillpress.services import health as health_service

log = logging.getLogger("quillpress.graphql")

CODES: dict[type[DomainError], str] = {
    Unauthenticated: "UNAUTHENTICATED",
    Forbidden: "FORBIDDEN",
    NotFound: "NOT_FOUND",
    Invalid: "BAD_USER_INPUT",
    Conflict: "CONFLICT",
    Unavailable: "SERVICE_UNAVAILABLE",
    RateLimited: "RATE_LIMITED",
}
UNAVAILABLE = CODES[Unavailable]
RATE_LIMITED = CODES[RateLimited]


def code_for(kind: type[DomainError]) -> str | None:
    """The code of a domain error kind, by class hierarchy: a subclass maps like its
    parent. ``None`` for a kind nobody mapped (a test forbids that)."""
    return next((CODES[klass] for klass in kind.__mro__ if klass in CODES), None)


def domain_error(error: DomainError) -> dict[str, Any]:
    code = code_for(type(error))
    if code is None:
        log.error("domain error kind without a GraphQL code", exc_info=error)
        return {"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
    extensions: dict[str, Any] = {"code": code, "fields": error.fields}
    message = error.describe()
    if isinstance(error, RateLimited):
        extensions["retryAfter"] = error.retry_after
    elif isinstance(error, CsrfRejected):
        # The check that failed, in REST's words ({"csrf": [reason]}).
        extensions["reason"] = error.reason
        message = f"CSRF check failed: {error.reason}"
    return {"message": message, "extensions": extensions}


def request_error(message: str, code: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}}


def format_error(
    error: GraphQLError, *, default_code: str = "GRAPHQL_VALIDATION_FAILED"
) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    if (
        original is not None
        and not isinstance(original, DomainError | GraphQLError)
        and health_service.database_unavailable(original)
    ):
        # A driver's error no unit of work translated: still the database's outage.
        log.warning("database unavailable (untranslated): %s", type(original).__name__)
        original = Unavailable.database()
    if isinstance(original, DomainError):
        formatted.update(domain_error(original))
    elif original is not None and not isinstance(original, GraphQLError):
        log.error("unhandled error in resolver", exc_info=original, extra={"path": error.path})
        formatted["message"] = "Internal server error"
        formatted["extensions"] = {"code": "INTERNAL_SERVER_ERROR"}
    else:
        formatted.setdefault("extensions", {}).setdefault("code", default_code)
    return formatted
