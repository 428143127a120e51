"""What a committed write changed, as small values.

A write use case records these on the transaction it holds (``tx.record(...)``);
subscribers registered at startup (cache invalidation, session purges, metrics) receive
them only after the commit succeeds, never after a rollback. A write records an event only
when it really changed something, so an idempotent no-op (favoriting twice) records none.
Rows the database removes by ``ON DELETE CASCADE`` are named in the event of the write that
caused it (``ArticleDeleted.favorited_by`` / ``comment_ids``), so no subscriber has to guess.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every change event (subscribers may match on the subclasses)."""


@dataclass(frozen=True, slots=True)
class UserRegistered(Event):
    user_id: int
    username: str


@dataclass(frozen=True, slots=True)
class UserUpdated(Event):
    """``fields`` names what changed: any of username, email, bio, image, password, and
    (an admin's change) role, banned. Every cached session of the user is purged."""

    user_id: int
    username: str
    previous_username: str
    fields: frozenset[str]


@dataclass(frozen=True, slots=True)
class SessionRevoked(Event):
    """Sessions of ``user_id`` ended (logout, revoke, a password change, refresh reuse).
    ``every_session`` means all of the user's sessions, except those named in ``kept``;
    otherwise exactly ``session_ids``. ``reason`` is for the log (and the audit log)."""

    user_id: int
    session_ids: tuple[str, ...] = ()
    every_session: bool = False
    kept: tuple[str, ...] = ()
    reason: str = "logout"


@dataclass(frozen=True, slots=True)
class FollowAdded(Event):
    follower_id: int
    followed_id: int


@dataclass(frozen=True, slots=True)
class FollowRemoved(Event):
    follower_id: int
    followed_id: int


@dataclass(frozen=True, slots=True)
class ArticleCreated(Event):
    article_id: int
    author_id: int
    slug: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ArticleUpdated(Event):
    article_id: int
    author_id: int
    slug: str
    previous_slug: str
    tags: tuple[str, ...]
    previous_tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ArticleDeleted(Event):
    """Deleting an article cascades to its favorites, comments and tag links."""

    article_id: int
    author_id: int
    slug: str
    tags: tuple[str, ...]
    favorited_by: tuple[int, ...]
    comment_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class FavoriteAdded(Event):
    article_id: int
    user_id: int


@dataclass(frozen=True, slots=True)
class FavoriteRemoved(Event):
    article_id: int
    user_id: int


@dataclass(frozen=True, slots=True)
class CommentAdded(Event):
    comment_id: int
    article_id: int
    author_id: int


@dataclass(frozen=True, slots=True)
class CommentDeleted(Event):
    comment_id: int
    article_id: int
    author_id: int
