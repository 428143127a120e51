"""All tables. Every relationship is ``lazy="raise"``: an accidental lazy load fails
loudly in a test instead of becoming an N+1 in production.

The ``*_count`` columns and the ``counter`` table are totals maintained by the writes, in
their own transaction (``repositories.counters``), so no list ever counts its table."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quillpress.db.base import Base, IdType

Timestamp = DateTime(timezone=True)


class AppUser(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    username: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(254))  # as the user gave it
    # domain.emails.normalized_email(email): what every comparison uses (migration 0006);
    # the repository writes it with every email.
    email_normalized: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(String(255))
    bio: Mapped[str | None] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(String(2048))
    role: Mapped[str] = mapped_column(String(16), server_default="user")
    banned: Mapped[bool] = mapped_column(Boolean, server_default=false())
    ban_reason: Mapped[str | None] = mapped_column(String(500))  # with the ban (0009)
    last_login_at: Mapped[datetime | None] = mapped_column(Timestamp)
    articles_count: Mapped[int] = mapped_column(Integer, server_default="0")  # written
    favorites_count: Mapped[int] = mapped_column(Integer, server_default="0")  # favorited
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)

    __table_args__ = (
        CheckConstraint("role IN ('user', 'admin')", name="role"),
        # Case-insensitive uniqueness that works on SQLite too (citext is PostgreSQL-only).
        Index("uq_app_user_username_lower", func.lower(username), unique=True),
        Index("uq_app_user_email_normalized", email_normalized, unique=True),
        Index("ix_app_user_created_at_id", "created_at", "id"),  # the admin list
    )


class UserSession(Base):
    """A signed-in device: what an access token's ``sid`` claim names. Revoking it (or
    deleting the user: the rows cascade) refuses the token from the next request on.

    ``refresh_hash`` is the SHA-256 of the current refresh token (the token itself is never
    stored); ``previous_refresh_hash`` and ``rotated_at`` let the token it replaced be
    recognised for the grace window, after which presenting it again is reuse."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    last_seen_at: Mapped[datetime] = mapped_column(Timestamp)
    user_agent: Mapped[str | None] = mapped_column(String(512))
    ip: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)
    refresh_hash: Mapped[str | None] = mapped_column(String(64))
    previous_refresh_hash: Mapped[str | None] = mapped_column(String(64))
    rotated_at: Mapped[datetime | None] = mapped_column(Timestamp)
    refreshed_at: Mapped[datetime] = mapped_column(Timestamp)  # idle lifetime counts from here

    __table_args__ = (
        Index("ix_user_session_user_id_created_at", "user_id", "created_at"),
        Index("uq_user_session_refresh_hash", "refresh_hash", unique=True),
        Index("ix_user_session_previous_refresh_hash", "previous_refresh_hash"),
    )


class Follow(Base):
    __tablename__ = "follow"

    follower_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    followed_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(Timestamp)

    __table_args__ = (
        CheckConstraint("follower_id <> followed_id", name="not_self"),
        Index("ix_follow_followed_id", "followed_id"),
    )


class Article(Base):
    __tablename__ = "article"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    slug: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    favorites_count: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)

    author: Mapped[AppUser] = relationship(lazy="raise")
    comments: Mapped[list[Comment]] = relationship(lazy="raise", viewonly=True)  # N+1 lesson

    __table_args__ = (
        Index("ix_article_created_at_id", "created_at", "id"),
        Index("ix_article_author_id_created_at_id", "author_id", "created_at", "id"),
    )


class Tag(Base):
    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    articles_count: Mapped[int] = mapped_column(Integer, server_default="0")

    # ``GET /api/tags`` reads the most used tags straight off this index.
    __table_args__ = (Index("ix_tag_articles_count_name", articles_count.desc(), name),)


class Counter(Base):
    """Named totals with no natural row to live on: ``articles`` (every article)."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class DailyCount(Base):
    """How many rows of a ``kind`` created on a UTC ``day`` exist (users, articles,
    comments, sign-ins, lockouts, live sessions): kept by database triggers (migration
    0010), so the admin overview reads a few hundred rows instead of counting tables."""

    __tablename__ = "daily_count"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class ArticleTag(Base):
    """``position`` keeps each article's tag list in the order the author gave it."""

    __tablename__ = "article_tag"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    # The article's (immutable) created_at, copied here so a tag's articles can be paged
    # newest first straight off an index, without visiting every tagged article.
    article_created_at: Mapped[datetime] = mapped_column(Timestamp)

    __table_args__ = (
        Index("ix_article_tag_tag_id_created_at_id", "tag_id", "article_created_at", "article_id"),
    )


class Favorite(Base):
    __tablename__ = "favorite"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(Timestamp)

    __table_args__ = (Index("ix_favorite_article_id", "article_id"),)


class Comment(Base):
    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)

    author: Mapped[AppUser] = relationship(lazy="raise")

    __table_args__ = (
        Index("ix_comment_article_id_created_at_id", "article_id", "created_at", "id"),
        Index("ix_comment_created_at_id", "created_at", "id"),  # site-wide, newest first
        Index("ix_comment_author_id", "author_id"),
    )


class AuditEvent(Base):
    """A security event: who (``actor_id``, and ``actor``, the username at the time), did
    what (``action``, see ``services.audit``) to what (``target``), from where (peer
    address, user agent, request id), and whether it worked. ``detail`` holds small facts
    (the email given on a failed login, whether that account exists), never a password,
    token or cookie value. Kept when the actor's account is deleted (``actor_id`` nulls)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    at: Mapped[datetime] = mapped_column(Timestamp)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(300))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    request_id: Mapped[str | None] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (
        CheckConstraint("outcome IN ('success', 'failure')", name="outcome"),
        Index("ix_audit_event_at_id", "at", "id"),
        Index("ix_audit_event_actor_lower_at", func.lower(actor), "at"),
        Index("ix_audit_event_action_at", "action", "at"),
        Index("ix_audit_event_target_lower_at", func.lower(target), "at"),  # 0009
    )


class CacheEpoch(Base):
    """One row (``id = 1``): the random token every cache key includes
    (``db.cache_epoch`` reads and bumps it; ``infra.epoch`` polls it)."""

    __tablename__ = "cache_epoch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(Text)
    bumped_at: Mapped[datetime] = mapped_column(Timestamp)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class IdempotencyKey(Base):
    """A create's ``Idempotency-Key`` and its first result (``services.idempotency``):
    written in the create's own transaction, so a committed create always has its key and
    a rolled-back one never does. ``fingerprint`` is the SHA-256 of the parsed request, a
    retry with another body is refused; ``result_id`` is the created row, which the
    adapters render again for a replay. Pruned once ``expires_at`` has passed."""

    __tablename__ = "idempotency_key"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    operation: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    result_id: Mapped[int] = mapped_column(IdType)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)

    __table_args__ = (
        Index("uq_idempotency_key_user_operation_key", "user_id", "operation", "key", unique=True),
        Index("ix_idempotency_key_expires_at", "expires_at"),
    )
