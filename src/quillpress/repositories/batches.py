"""Pages of articles for many authors (or many users' favorites) at once: the batches
behind GraphQL's ``Profile.articles`` and ``Profile.favorites`` DataLoaders."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.selectable import Subquery

from quillpress.db.models import AppUser, Article, Favorite
from quillpress.domain.commands import Cursor, Group
from quillpress.repositories.listings import (
    ARTICLE_WIDTH,
    NEWEST_FIRST,
    ArticleRow,
    article_columns,
    older_than_cursor,
)


class Grouped(NamedTuple):
    """An article of one author's page (or one user's favorites')."""

    group_id: int
    article: ArticleRow


def _ranked_ids(group: Group, group_ids: Collection[int], *, after: bool) -> Subquery:
    """Each group's article ids numbered newest first: narrow rows (id, sort key, group),
    decorated only for the ranks a page keeps."""
    if group == "author":
        column = Article.author_id
        stmt = select(Article.id, column.label("group_id"))
    else:
        column = Favorite.user_id
        stmt = select(Article.id, column.label("group_id")).join(
            Favorite, Favorite.article_id == Article.id
        )
    stmt = stmt.add_columns(
        func.row_number().over(partition_by=column, order_by=NEWEST_FIRST).label("rank")
    ).where(column.in_(list(group_ids)))
    if after:
        stmt = stmt.where(older_than_cursor())
    return stmt.subquery("ranked")


async def list_per_group(
    conn: AsyncConnection,
    group: Group,
    group_ids: Collection[int],
    *,
    viewer_id: int | None,
    limit: int,
    after: Cursor | None = None,
    with_body: bool = False,
) -> list[Grouped]:
    """The newest ``limit`` articles of each author (or of each user's favorites), for all
    ``group_ids`` in one statement: a window function numbers each group's ids."""
    ranked = _ranked_ids(group, group_ids, after=after is not None)
    stmt = (
        article_columns(viewer_id, with_body=with_body)
        .add_columns(ranked.c.group_id)
        .join(ranked, ranked.c.id == Article.id)
        .where(ranked.c.rank <= limit)
        .order_by(ranked.c.group_id, ranked.c.rank)
    )
    params: dict[str, datetime | int] = {}
    if after is not None:
        params.update(after_created_at=after.created_at, after_id=after.id)
    width = ARTICLE_WIDTH + with_body  # then the group's id
    return [
        Grouped(row[width], ArticleRow(*row[:width])) for row in await conn.execute(stmt, params)
    ]


async def count_per_group(
    conn: AsyncConnection, group: Group, group_ids: Collection[int]
) -> dict[int, int]:
    """Each author's articles (or each user's favorites), from the maintained counters."""
    total = AppUser.articles_count if group == "author" else AppUser.favorites_count
    stmt = select(AppUser.id, total).where(AppUser.id.in_(list(group_ids)))
    counts = dict.fromkeys(group_ids, 0)
    counts.update({group_id: int(value) for group_id, value in await conn.execute(stmt)})
    return counts
