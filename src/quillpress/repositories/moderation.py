"""Every comment of the site, newest first, with its author and article: the moderators'
list (``services.admin_content``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.db.models import AppUser, Article, Comment, DailyCount
from quillpress.domain.commands import AdminCommentFilter, Page
from quillpress.repositories._sql import newest_first_page
from quillpress.repositories.daily_counts import COMMENTS
from quillpress.repositories.users import by_username


class ModeratedComment(NamedTuple):
    """A comment as the moderators see it: its fields name the columns read
    (:data:`_COLUMNS`)."""

    id: int
    body: str
    created_at: datetime
    author: str
    article_slug: str
    article_title: str
    article_id: int
    author_id: int


_COLUMNS: list[ColumnElement[Any]] = [
    column.expression
    for column in (
        Comment.id,
        Comment.body,
        Comment.created_at,
        AppUser.username,
        Article.slug,
        Article.title,
        Comment.article_id,
        Comment.author_id,
    )
]
_JOINED = Comment.__table__.join(AppUser, AppUser.id == Comment.author_id).join(
    Article, Article.id == Comment.article_id
)


_ALL_COMMENTS = select(func.coalesce(func.sum(DailyCount.count), 0)).where(
    DailyCount.kind == COMMENTS
)


def _conditions(filters: AdminCommentFilter) -> list[ColumnElement[bool]]:
    """On the comment's own columns (the count reads ``comment`` alone): the article and
    the author are looked up by sub-selects on their unique keys."""
    conditions: list[ColumnElement[bool]] = []
    if filters.article:
        article = select(Article.id).where(Article.slug == filters.article)
        conditions.append(Comment.article_id == article.scalar_subquery())
    if filters.author:
        author = select(AppUser.id).where(by_username(filters.author))
        conditions.append(Comment.author_id == author.scalar_subquery())
    return conditions


async def list_comments(
    conn: AsyncConnection, filters: AdminCommentFilter, page: Page
) -> tuple[list[ModeratedComment], int]:
    """A page newest first (``limit + 1`` rows: the extra says a next page exists) and
    the total of matches: two statements whatever the page size, each on an index
    (``ix_comment_created_at_id``; by article or author, theirs). Unfiltered, the total is
    the sum of the triggers' daily counts (migration 0010), so it never counts the table."""
    conditions = _conditions(filters)
    rows, total = await newest_first_page(
        conn,
        _COLUMNS,
        table=Comment,
        at=Comment.created_at,
        id_=Comment.id,
        conditions=conditions,
        page=page,
        joined=_JOINED,
        count=None if conditions else _ALL_COMMENTS,
    )
    return [ModeratedComment(*row) for row in rows], total


async def get_comment(conn: AsyncConnection, comment_id: int) -> ModeratedComment | None:
    row = (
        await conn.execute(select(*_COLUMNS).select_from(_JOINED).where(Comment.id == comment_id))
    ).first()
    return ModeratedComment(*row) if row is not None else None
