"""The HTTP status of each domain error kind, and the headers that say when to retry,
written once for both adapters: REST answers every refusal with them (and its RealWorld
body), GraphQL when a refusal ends the whole request (before execution, or every field
refused alike), so one error gets one status and one ``Retry-After`` over either API.

A kind maps by class hierarchy (a subclass maps like its parent); a kind nobody mapped is
``None``, never a silent 422 (tests/unit/test_error_mapping.py forbids one)."""

from __future__ import annotations

from quillpress.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unauthenticated,
    Unavailable,
)

STATUS: dict[type[DomainError], int] = {
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    RateLimited: 429,
    Unavailable: 503,
}


def status_for(kind: type[DomainError]) -> int | None:
    """The status of a domain error kind; ``None`` for a kind nobody mapped."""
    return next((STATUS[klass] for klass in kind.__mro__ if klass in STATUS), None)


def retry_headers(error: DomainError) -> dict[str, str]:
    """``Retry-After`` for a refusal that time lifts (and a rate limit's ``RateLimit-*``),
    none for the others."""
    if isinstance(error, RateLimited):
        return error.headers()
    if isinstance(error, Unavailable):
        return {"Retry-After": str(error.retry_after_seconds)}
    return {}
