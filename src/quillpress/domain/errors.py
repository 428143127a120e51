"""Domain errors carry a *kind*, never a transport status.

    DomainError                 fields: {"key": ["message", ...]}
     ├── Unauthenticated        no, bad or expired credentials
     ├── Forbidden              authenticated, but the policy says no
     │    ├── CsrfRejected      cookie-authenticated unsafe request without CSRF proof
     │    └── Banned            the account is banned (login, refresh)
     ├── NotFound               the named resource does not exist
     ├── Conflict               a unique fact is already taken
     │    └── LastAdmin         the change would leave no (unbanned) admin
     ├── Invalid                input failed validation
     ├── Unavailable            a backing service (the database) cannot answer now
     └── RateLimited            a rate-limit rule refuses this request for a while

The kinds are mapped once, by class hierarchy (a subclass maps like its parent): to an HTTP
status (401/403/404/409/422/429/503) in ``api.statuses``, which both adapters read, and to
GraphQL's ``extensions.code``. A test fails when a kind has no status or no code.
"""

from __future__ import annotations

import math


class DomainError(Exception):
    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__(fields)
        self.fields = fields

    def describe(self) -> str:
        """``{"title": ["can't be blank"]}`` → ``"title can't be blank"``, for one line."""
        return "; ".join(
            f"{key} {message}" for key, messages in self.fields.items() for message in messages
        )


class Unauthenticated(DomainError):
    @classmethod
    def missing(cls) -> Unauthenticated:
        return cls({"token": ["is missing"]})

    @classmethod
    def invalid(cls) -> Unauthenticated:
        return cls({"token": ["is invalid"]})

    @classmethod
    def invalid_refresh(cls) -> Unauthenticated:
        return cls({"refreshToken": ["is invalid"]})

    @classmethod
    def bad_credentials(cls) -> Unauthenticated:
        return cls({"credentials": ["invalid"]})


class Forbidden(DomainError):
    def __init__(self, resource: str) -> None:
        super().__init__({resource: ["forbidden"]})


class CsrfRejected(Forbidden):
    """An unsafe request authenticated by cookie (or spending the refresh cookie) that
    fails the CSRF defence; ``reason`` says which check, in the words both adapters send
    (REST ``{"csrf": [reason]}``, GraphQL ``extensions.reason``). The checks run in the
    order of the constants below, so the first failing one is named."""

    ORIGIN_MISSING = "origin missing"
    """Neither ``Origin`` nor ``Referer``: where the request came from is unknown."""
    ORIGIN_NOT_ALLOWED = "origin not allowed"
    """An ``Origin`` (``null`` included) that is not the app's own nor trusted."""
    TOKEN_MISSING = "token missing"  # noqa: S105 (an error message, not a secret)
    """No ``X-CSRF-Token`` header."""
    TOKEN_MISMATCH = "token mismatch"  # noqa: S105
    """An ``X-CSRF-Token`` that is not the one derived from this session."""

    def __init__(self, reason: str) -> None:
        DomainError.__init__(self, {"csrf": [reason]})
        self.reason = reason


class Banned(Forbidden):
    """The account is banned: its login (with the right password) and refresh are refused,
    ``{"user": ["banned"]}``, and with the moderator's reason when one was given,
    ``"banned": [reason]`` beside it (a client reading only ``user`` sees what it always
    did)."""

    def __init__(self, reason: str | None = None) -> None:
        fields = {"user": ["banned"]}
        if reason:
            fields["banned"] = [reason]
        DomainError.__init__(self, fields)
        self.reason = reason


class NotFound(DomainError):
    def __init__(self, resource: str) -> None:
        super().__init__({resource: ["not found"]})


class Conflict(DomainError):
    @classmethod
    def taken(cls, *fields: str) -> Conflict:
        return cls({field: ["has already been taken"] for field in fields})


class LastAdmin(Conflict):
    """Demoting or banning the only admin left (themselves included) is refused."""

    def __init__(self) -> None:
        super().__init__({"role": ["the last admin cannot be removed"]})


class Invalid(DomainError):
    pass


class Unavailable(DomainError):
    """Not the client's fault and not a bug: retry later (both adapters send ``Retry-After``)."""

    retry_after_seconds = 5  # the pool reconnects by itself once the database is back

    @classmethod
    def database(cls) -> Unavailable:
        return cls({"database": ["unavailable"]})


class RateLimited(DomainError):
    """A rule of ``services.limits`` is exhausted for this key. Both adapters send
    ``Retry-After`` and the IETF ``RateLimit-*`` headers from these values; ``rule`` names
    the rule (``login_account_ip``, ``writes_user`` …) for logs and metrics.

    ``reset_seconds`` is when the window holds its whole quota again; ``retry_after`` when
    one more request may pass (never less than 1)."""

    def __init__(
        self, *, rule: str, limit: int, remaining: int, reset_seconds: float, retry_after: float
    ) -> None:
        super().__init__({"rate": ["too many requests"]})
        self.rule = rule
        self.limit = limit
        self.remaining = max(0, remaining)
        self.reset_seconds = max(1, math.ceil(reset_seconds))
        self.retry_after = max(1, math.ceil(retry_after))

    def headers(self) -> dict[str, str]:
        """The response headers, the same in REST and GraphQL."""
        return {
            "Retry-After": str(self.retry_after),
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
