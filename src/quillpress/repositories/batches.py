"""Pages of articles for many authors (or many users' favorites) at once: the batches
behind GraphQL's ``Profile.articles`` and ``Profile.favorites`` DataLoaders."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from quillpress.db.models import Article, Favorite
from quillpress.domain.commands import Cursor, Group
from quillpress.repositories.listings import NEWEST_FIRST, article_columns, older_than_cursor


def _group_column(group: Group) -> tuple[Any, Any]:
    """The column a batched listing is partitioned by, and the join that provides it."""
    if group == "author":
        return Article.author_id, None
    fan = aliased(Favorite)  # aliased: the favorited flag's EXISTS must not correlate to it
    return fan.user_id, fan


async def list_per_group(
    conn: AsyncConnection,
    group: Group,
    group_ids: Collection[int],
    *,
    viewer_id: int | None,
    limit: int,
    after: Cursor | None = None,
    with_body: bool = False,
) -> Sequence[Row[Any]]:
    """The newest ``limit`` articles of each author (or of each user's favorites), for all
    ``group_ids`` in one statement: a window function numbers each group's rows."""
    column, fan = _group_column(group)
    ranked = article_columns(viewer_id, with_body=with_body).add_columns(
        column.label("group_id"),
        func.row_number().over(partition_by=column, order_by=NEWEST_FIRST).label("rank"),
    )
    if fan is not None:
        ranked = ranked.join(fan, fan.article_id == Article.id)
    ranked = ranked.where(column.in_(list(group_ids)))
    params: dict[str, Any] = {}
    if after is not None:
        ranked = ranked.where(older_than_cursor())
        params.update(after_created_at=after.created_at, after_id=after.id)
    numbered = ranked.subquery()
    stmt = (
        select(numbered)
        .where(numbered.c.rank <= limit)
        .order_by(numbered.c.group_id, numbered.c.rank)
    )
    return (await conn.execute(stmt, params)).all()


async def count_per_group(
    conn: AsyncConnection, group: Group, group_ids: Collection[int]
) -> dict[int, int]:
    if group == "author":
        stmt = select(Article.author_id, func.count()).group_by(Article.author_id)
        stmt = stmt.where(Article.author_id.in_(list(group_ids)))
    else:
        stmt = select(Favorite.user_id, func.count()).group_by(Favorite.user_id)
        stmt = stmt.where(Favorite.user_id.in_(list(group_ids)))
    counts = dict.fromkeys(group_ids, 0)
    counts.update({group_id: int(total) for group_id, total in await conn.execute(stmt)})
    return counts
