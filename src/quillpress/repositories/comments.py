"""Comments on articles, read with their authors in one statement."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.db.models import AppUser, Comment
from quillpress.repositories.users import following_flag


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
) -> Sequence[Row[Any]]:
    stmt = _with_author(viewer_id).where(Comment.article_id == article_id).order_by(*NEWEST_FIRST)
    return (await conn.execute(stmt)).all()


async def list_for_articles(
    conn: AsyncConnection, article_ids: Collection[int], *, viewer_id: int | None
) -> Sequence[Row[Any]]:
    """Comments of many articles in one statement (GraphQL's ``Article.comments`` batch)."""
    stmt = (
        _with_author(viewer_id)
        .where(Comment.article_id.in_(list(article_ids)))
        .order_by(Comment.article_id, *NEWEST_FIRST)
    )
    return (await conn.execute(stmt)).all()


async def get(conn: AsyncConnection, comment_id: int, *, viewer_id: int | None) -> Row[Any] | None:
    return (await conn.execute(_with_author(viewer_id).where(Comment.id == comment_id))).first()


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
