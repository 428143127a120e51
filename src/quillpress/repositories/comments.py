"""Comments on articles, read with their authors in one statement."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.db.models import AppUser, Comment
from quillpress.repositories.users import following_flag


class CommentRow(NamedTuple):
    """A comment with its author, as :func:`_with_author` selects it, in that order."""

    id: int
    article_id: int
    body: str
    created_at: datetime
    updated_at: datetime
    author_id: int
    username: str
    bio: str | None
    image: str | None
    following: int
    """A flag: ``False``/``True`` on PostgreSQL, ``0``/``1`` on SQLite (read it with ``bool``)."""


def _with_author(viewer_id: int | None) -> Any:
    return select(
        Comment.id,
        Comment.article_id,
        Comment.body,
        Comment.created_at,
        Comment.updated_at,
        Comment.author_id,
        AppUser.username,
        AppUser.bio,
        AppUser.image,
        following_flag(viewer_id, Comment.author_id).label("following"),
    ).join(AppUser, AppUser.id == Comment.author_id)


NEWEST_FIRST = (Comment.created_at.desc(), Comment.id.desc())


async def list_for_article(
    conn: AsyncConnection, article_id: int, *, viewer_id: int | None
) -> list[CommentRow]:
    stmt = _with_author(viewer_id).where(Comment.article_id == article_id).order_by(*NEWEST_FIRST)
    return [CommentRow(*row) for row in await conn.execute(stmt)]


async def list_for_articles(
    conn: AsyncConnection, article_ids: Collection[int], *, viewer_id: int | None
) -> list[CommentRow]:
    """Comments of many articles in one statement (GraphQL's ``Article.comments`` batch)."""
    stmt = (
        _with_author(viewer_id)
        .where(Comment.article_id.in_(list(article_ids)))
        .order_by(Comment.article_id, *NEWEST_FIRST)
    )
    return [CommentRow(*row) for row in await conn.execute(stmt)]


async def get(
    conn: AsyncConnection, comment_id: int, *, viewer_id: int | None
) -> CommentRow | None:
    stmt = _with_author(viewer_id).where(Comment.id == comment_id)
    row = (await conn.execute(stmt)).first()
    return CommentRow(*row) if row is not None else None


async def insert_comment(
    conn: AsyncConnection, *, article_id: int, author_id: int, body: str, now: datetime
) -> int:
    stmt = (
        insert(Comment)
        .values(
            article_id=article_id, author_id=author_id, body=body, created_at=now, updated_at=now
        )
        .returning(Comment.id)
    )
    return int((await conn.execute(stmt)).scalar_one())


async def delete_comment(conn: AsyncConnection, comment_id: int) -> None:
    await conn.execute(delete(Comment).where(Comment.id == comment_id))
