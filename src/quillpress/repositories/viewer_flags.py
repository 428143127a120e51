"""The viewer's own facts about shared content: which articles they favorited and which
authors they follow, for a whole page in one statement."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import CompoundSelect, Select, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.db.models import Favorite, Follow


@dataclass(frozen=True, slots=True)
class ViewerFlags:
    favorited: frozenset[int]
    following: frozenset[int]


NO_FLAGS = ViewerFlags(frozenset(), frozenset())


async def viewer_flags(
    conn: AsyncConnection,
    viewer_id: int,
    *,
    article_ids: Collection[int] = (),
    author_ids: Collection[int] = (),
) -> ViewerFlags:
    """Which of ``article_ids`` the viewer favorited and which of ``author_ids`` they
    follow, in one statement (a UNION ALL of two primary-key range scans)."""
    parts = []
    if article_ids:
        parts.append(
            select(literal("f").label("kind"), Favorite.article_id.label("ref")).where(
                Favorite.user_id == viewer_id, Favorite.article_id.in_(list(article_ids))
            )
        )
    if author_ids:
        parts.append(
            select(literal("u").label("kind"), Follow.followed_id.label("ref")).where(
                Follow.follower_id == viewer_id, Follow.followed_id.in_(list(author_ids))
            )
        )
    if not parts:
        return NO_FLAGS
    stmt: Select[tuple[str, int]] | CompoundSelect[tuple[str, int]] = (
        parts[0] if len(parts) == 1 else union_all(*parts)
    )
    favorited: set[int] = set()
    following: set[int] = set()
    for kind, ref in await conn.execute(stmt):
        (favorited if kind == "f" else following).add(int(ref))
    return ViewerFlags(frozenset(favorited), frozenset(following))
