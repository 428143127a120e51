"""Read models returned by the use cases; adapters shape them, never the other way round.

Plain slotted dataclasses: hot list paths build thousands of these per second, and they
carry internal ids (``id``) that GraphQL edges need but REST never prints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def isoformat(moment: datetime) -> str:
    """``2026-01-02T03:04:05.678Z``; naive values (SQLite) are UTC by construction.

    asyncpg hands back ``timezone.utc`` itself: its ``+00:00`` suffix is cut rather than the
    value converted and copied twice (every list item formats two of these)."""
    zone = moment.tzinfo
    if zone is UTC:
        return moment.isoformat(timespec="milliseconds")[:-6] + "Z"
    if zone is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds") + "Z"


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    username: str
    email: str
    bio: str | None
    image: str | None
    role: str


@dataclass(frozen=True, slots=True)
class SessionView:
    """A freshly authenticated user and the token that proves it."""

    user: UserView
    token: str
    refresh_token: str | None = None
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceSessionView:
    """One live server-side session of the current user (``current``: this request's)."""

    id: str
    created_at: datetime
    last_seen_at: datetime
    user_agent: str | None
    ip: str | None
    current: bool


@dataclass(frozen=True, slots=True)
class AdminUserView:
    """A user as the admin API shows it (``id`` and ``created_at`` also page the list)."""

    id: int
    username: str
    email: str
    role: str
    banned: bool
    created_at: datetime
    last_login_at: datetime | None
    bio: str | None = None
    image: str | None = None
    ban_reason: str | None = None
    """Why the ban in force was given (``None``: not banned, or no reason given)."""


@dataclass(frozen=True, slots=True)
class AdminCommentView:
    """A comment in the site-wide moderation list, with where it was posted."""

    id: int
    body: str
    created_at: datetime
    author: str
    """The author's username."""
    article_slug: str
    article_title: str


@dataclass(frozen=True, slots=True)
class AuditEventView:
    """One audit row; ``detail`` is omitted from the API (it stays for the CLI and SQL)."""

    id: int
    at: datetime
    actor: str | None
    action: str
    target: str | None
    ip: str | None
    user_agent: str | None
    request_id: str | None
    outcome: str
    detail: dict[str, Any] | None

    @property
    def reason(self) -> str | None:
        """The moderator's reason (a ban, a moderation delete), when the event has one."""
        reason = (self.detail or {}).get("reason")
        return reason if isinstance(reason, str) else None

    @property
    def created_at(self) -> datetime:
        """The keyset position (cursors page every list by ``(created_at, id)``)."""
        return self.at

    def record(self) -> dict[str, Any]:
        """Every field, JSON-ready: one line of ``quillpress audit --json`` and of the
        console's export (one definition, so the two stay the same format)."""
        return {
            "id": self.id,
            "at": isoformat(self.at),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "ip": self.ip,
            "outcome": self.outcome,
            "request_id": self.request_id,
            "user_agent": self.user_agent,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class ProfileView:
    id: int
    username: str
    bio: str | None
    image: str | None
    following: bool


@dataclass(frozen=True, slots=True)
class ArticleView:
    id: int
    slug: str
    title: str
    description: str
    body: str | None  # None in list views: lists never carry bodies
    tag_list: list[str]
    created_at: datetime
    updated_at: datetime
    favorited: bool
    favorites_count: int
    author: ProfileView


@dataclass(frozen=True, slots=True)
class CommentView:
    id: int
    body: str
    created_at: datetime
    updated_at: datetime
    author: ProfileView


@dataclass(frozen=True, slots=True)
class Paged(Generic[T]):
    """A page of items; ``total`` counts every match (``None`` when not asked for)."""

    items: list[T]
    total: int | None
    has_next: bool = False


@dataclass(frozen=True, slots=True)
class Highlight:
    """Why an article matched, as HTML: the text escaped, the matched words in
    ``<mark>`` (``domain.highlight.to_html``). REST calls it ``match``."""

    title: str
    snippet: str


@dataclass(frozen=True, slots=True)
class SearchHit:
    """An article in search results; ``rank`` and ``highlight`` are ``None`` when the query
    was blank (the plain list, newest first)."""

    article: ArticleView
    rank: float | None
    highlight: Highlight | None


@dataclass(frozen=True, slots=True)
class SearchResults:
    """A page of search results. ``query_key`` is the query's fingerprint (its cursors
    carry it), ``None`` for a blank query; ``offset`` counts the results before this page;
    ``suggestion`` is a corrected query when nothing matched (where the database can)."""

    page: Paged[SearchHit]
    suggestion: str | None
    query_key: str | None
    offset: int = 0

    @property
    def searched(self) -> bool:
        return self.query_key is not None
