"""The error statuses the REST API documents: each one's description and example body
(``{"errors": {...}}``, ``GenericErrorModel``), and the helpers with which a route's
decorator names those only its use case knows (``errors(403)``, ``replayable(…)``).

Which statuses an operation answers is read off its traits (``api.rest.traits``) by the
OpenAPI builder (``api.rest.openapi``); what each one means is written here, once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field


class GenericErrorModel(BaseModel):
    errors: dict[str, list[str]] = Field(
        description="Messages keyed by the field, parameter or resource they concern."
    )


@dataclass(frozen=True, slots=True)
class ErrorStatus:
    description: str
    example: dict[str, list[str]]
    headers: dict[str, Any] | None = None


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
    }
}

ERRORS: dict[int, ErrorStatus] = {
    401: ErrorStatus(
        "Unauthorized: the token is missing (where required), malformed, forged or expired; "
        "on login, the credentials are wrong.",
        {"token": ["is missing"]},
        {"WWW-Authenticate": {"description": "`Token`", "schema": {"type": "string"}}},
    ),
    403: ErrorStatus(
        "Forbidden: authenticated, but not allowed to change this resource (the key names "
        "it; `admin` for the admin API without the admin role), or, authenticated by "
        "cookie (or spending the refresh cookie), a failed CSRF check, named by `csrf`: "
        "`origin missing`, `origin not allowed`, `token missing` or `token mismatch`; on "
        "login and refresh, a banned account (`user`: `banned`).",
        {"article": ["forbidden"]},
    ),
    404: ErrorStatus(
        "Not found: the resource in the path does not exist. "
        "The key names it (`article`, `profile`, `comment`, `session`, `user`).",
        {"article": ["not found"]},
    ),
    409: ErrorStatus(
        "Conflict: a unique value is already taken; on the admin API, the change would "
        "remove the last admin (`role`); on a create sent with an `Idempotency-Key`, the "
        "first request with that key is still running (`idempotencyKey`: `in progress`): "
        "retry shortly.",
        {"username": ["has already been taken"]},
    ),
    413: ErrorStatus(
        "Payload too large: the body exceeds the server's limit.",
        {"body": ["is too large (maximum is 1048576 bytes)"]},
    ),
    422: ErrorStatus(
        "Validation failed: the keys are the invalid body fields or parameters.",
        {"title": ["can't be blank"]},
    ),
    429: ErrorStatus(
        "Too many requests: a rate limit refuses this request for now (failed logins per "
        "account and client IP, registrations per IP, writes per user); retry after "
        "`Retry-After`.",
        {"rate": ["too many requests"]},
        {
            "Retry-After": {
                "description": "Seconds to wait before this request may pass.",
                "schema": {"type": "integer", "minimum": 1},
            },
            "RateLimit-Limit": {
                "description": "The refusing rule's quota per window (IETF RateLimit headers).",
                "schema": {"type": "integer", "minimum": 1},
            },
            "RateLimit-Remaining": {
                "description": "What is left of that quota now.",
                "schema": {"type": "integer", "minimum": 0},
            },
            "RateLimit-Reset": {
                "description": "Seconds until the whole quota is available again.",
                "schema": {"type": "integer", "minimum": 1},
            },
        },
    ),
    503: ErrorStatus(
        "Service unavailable: the database cannot serve now (unreachable, refusing "
        "connections, read-only for a write during a failover, or no answer within the "
        "server's database deadline, `QUILLPRESS_DATABASE_TIMEOUT_MS`). "
        "Retry after `Retry-After`.",
        {"database": ["unavailable"]},
        RETRY_AFTER,
    ),
}


def replayable(description: str) -> dict[int | str, dict[str, Any]]:
    """For a create that takes an ``Idempotency-Key``: its 201 (``description``) with the
    ``Idempotent-Replayed`` header, and the 409 of a key whose first request still runs."""
    replayed = {
        "description": "`true` when this answer replays the first result of a request "
        "with the same `Idempotency-Key` (nothing was created again); absent otherwise.",
        "schema": {"type": "string", "enum": ["true"]},
    }
    return {201: {"description": description, "headers": {"Idempotent-Replayed": replayed}}} | (
        errors(409)
    )


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """For a decorator's ``responses=``: the error statuses an operation can answer beyond
    those its traits imply, i.e. the ones only its use case knows (403, 409, login's 401)."""
    return {status: {"description": ERRORS[status].description} for status in statuses}
