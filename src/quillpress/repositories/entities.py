"""Viewer-independent entities by id, in batches, and the viewer's flags for a page.

The cached read path composes views from these: articles, bodies, profiles and comment
rows are the same for every viewer (so one cache entry serves everyone), while
``favorited`` and ``following`` come from :func:`viewer_flags`, one statement per page."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.db.models import AppUser, Article, Comment, Favorite, Follow

IDS: Any = bindparam("ids", expanding=True)

ARTICLES = select(
    Article.id,
    Article.slug,
    Article.title,
    Article.description,
    Article.created_at,
    Article.updated_at,
    Article.author_id,
    Article.favorites_count,
).where(Article.id.in_(IDS))

BODIES = select(Article.id, Article.body).where(Article.id.in_(IDS))

PROFILES = select(AppUser.id, AppUser.username, AppUser.bio, AppUser.image).where(
    AppUser.id.in_(IDS)
)

COMMENTS = (
    select(
        Comment.id,
        Comment.article_id,
        Comment.body,
        Comment.created_at,
        Comment.updated_at,
        Comment.author_id,
    )
    .where(Comment.article_id.in_(IDS))
    .order_by(Comment.article_id, Comment.created_at.desc(), Comment.id.desc())
)


async def articles_by_ids(conn: AsyncConnection, ids: Collection[int]) -> Sequence[Row[Any]]:
    """Articles without their bodies (lists never need them) or tags (``tags_many``)."""
    return (await conn.execute(ARTICLES, {"ids": list(ids)})).all()


async def bodies_by_ids(conn: AsyncConnection, ids: Collection[int]) -> dict[int, str]:
    return dict((await conn.execute(BODIES, {"ids": list(ids)})).tuples().all())


async def profiles_by_ids(conn: AsyncConnection, ids: Collection[int]) -> Sequence[Row[Any]]:
    return (await conn.execute(PROFILES, {"ids": list(ids)})).all()


async def comments_of_articles(
    conn: AsyncConnection, article_ids: Collection[int]
) -> Sequence[Row[Any]]:
    """Comment rows (authors by id only), grouped by article, newest first within each."""
    return (await conn.execute(COMMENTS, {"ids": list(article_ids)})).all()


async def article_id_by_slug(conn: AsyncConnection, slug: str) -> int | None:
    return (await conn.execute(select(Article.id).where(Article.slug == slug))).scalar()


async def username_by_id(conn: AsyncConnection, user_id: int) -> str | None:
    return (await conn.execute(select(AppUser.username).where(AppUser.id == user_id))).scalar()


@dataclass(frozen=True, slots=True)
class ViewerFlags:
    favorited: frozenset[int]
    following: frozenset[int]


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
        return ViewerFlags(frozenset(), frozenset())
    stmt: Any = parts[0] if len(parts) == 1 else union_all(*parts)
    favorited: set[int] = set()
    following: set[int] = set()
    for kind, ref in await conn.execute(stmt):
        (favorited if kind == "f" else following).add(int(ref))
    return ViewerFlags(frozenset(favorited), frozenset(following))
