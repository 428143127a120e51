"""Single articles, their tags and favorites: reads by slug or id, and every write.

Listings (pages, totals, batches) live in ``repositories.listings``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.db.models import Article, ArticleTag, Comment, Favorite, Tag
from quillpress.repositories import listings
from quillpress.repositories._sql import insert_ignoring_duplicates, violated_constraint
from quillpress.repositories.listings import article_columns


async def get_by_slug(
    conn: AsyncConnection, slug: str, *, viewer_id: int | None
) -> Row[Any] | None:
    stmt = article_columns(viewer_id, with_body=True).where(Article.slug == slug)
    return (await conn.execute(stmt)).first()


async def get_by_id(
    conn: AsyncConnection, article_id: int, *, viewer_id: int | None
) -> Row[Any] | None:
    stmt = article_columns(viewer_id, with_body=True).where(Article.id == article_id)
    return (await conn.execute(stmt)).first()


async def get_ref(conn: AsyncConnection, slug: str) -> Row[Any] | None:
    """Just enough of an article to authorize a write: id, author and current slug."""
    stmt = select(Article.id, Article.author_id, Article.slug).where(Article.slug == slug)
    return (await conn.execute(stmt)).first()


async def get_editable(conn: AsyncConnection, slug: str) -> Row[Any] | None:
    """What an edit may change, to authorize it and to tell a real change from a repeat."""
    stmt = select(
        Article.id,
        Article.author_id,
        Article.slug,
        Article.title,
        Article.description,
        Article.body,
    ).where(Article.slug == slug)
    return (await conn.execute(stmt)).first()


async def slugs_starting_with(conn: AsyncConnection, base: str) -> set[str]:
    """Existing slugs equal to ``base`` or ``base-…`` (slugs hold no LIKE wildcards)."""
    stmt = select(Article.slug).where(or_(Article.slug == base, Article.slug.like(f"{base}-%")))
    return set((await conn.execute(stmt)).scalars())


async def _unless_slug_taken(conn: AsyncConnection, stmt: Any) -> Any | None:
    """Run ``stmt`` under a savepoint; ``None`` if another article already holds the slug.

    The savepoint keeps the surrounding transaction usable, so the caller can try another."""
    try:
        async with conn.begin_nested():
            return await conn.execute(stmt)
    except IntegrityError as error:
        if violated_constraint(error, "uq_article_slug") is None:
            raise
        return None


async def insert_article(
    conn: AsyncConnection,
    *,
    slug: str,
    title: str,
    description: str,
    body: str,
    author_id: int,
    now: datetime,
) -> int | None:
    """The new article's id, or ``None`` when ``slug`` is taken."""
    stmt = (
        insert(Article)
        .values(
            slug=slug,
            title=title,
            description=description,
            body=body,
            author_id=author_id,
            created_at=now,
            updated_at=now,
        )
        .returning(Article.id)
    )
    result = await _unless_slug_taken(conn, stmt)
    return None if result is None else int(result.scalar_one())


async def update_article(conn: AsyncConnection, article_id: int, values: dict[str, Any]) -> bool:
    """``False`` when a new slug in ``values`` is taken (nothing changed)."""
    stmt = update(Article).where(Article.id == article_id).values(**values)
    return await _unless_slug_taken(conn, stmt) is not None


async def delete_article(conn: AsyncConnection, article_id: int) -> None:
    await conn.execute(delete(Article).where(Article.id == article_id))


async def replace_tags(conn: AsyncConnection, article_id: int, names: Sequence[str]) -> None:
    """Set an article's tags to ``names``, in that order, creating tags not seen before."""
    await conn.execute(delete(ArticleTag).where(ArticleTag.article_id == article_id))
    if not names:
        return
    await conn.execute(
        insert_ignoring_duplicates(conn, Tag.__table__),  # type: ignore[arg-type]
        [{"name": name} for name in names],
    )
    found = await conn.execute(select(Tag.name, Tag.id).where(Tag.name.in_(list(names))))
    ids: dict[str, int] = dict(found.tuples().all())
    await conn.execute(
        insert(ArticleTag),
        [
            {"article_id": article_id, "tag_id": ids[name], "position": position}
            for position, name in enumerate(names)
        ],
    )


async def tag_names(conn: AsyncConnection, article_id: int) -> tuple[str, ...]:
    """One article's tags, in the author's order."""
    return tuple((await listings.tags_many(conn, [article_id]))[article_id])


@dataclass(frozen=True, slots=True)
class Dependents:
    """What deleting an article takes with it (by ``ON DELETE CASCADE``)."""

    tags: tuple[str, ...]
    favorited_by: tuple[int, ...]
    comment_ids: tuple[int, ...]


async def dependents(conn: AsyncConnection, article_id: int) -> Dependents:
    fans = await conn.execute(select(Favorite.user_id).where(Favorite.article_id == article_id))
    comments = await conn.execute(select(Comment.id).where(Comment.article_id == article_id))
    return Dependents(
        tags=await tag_names(conn, article_id),
        favorited_by=tuple(sorted(fans.scalars())),
        comment_ids=tuple(sorted(comments.scalars())),
    )


async def favorite(conn: AsyncConnection, *, user_id: int, article_id: int, now: datetime) -> bool:
    """Idempotent; ``True`` when the favorite is new."""
    stmt = (
        insert_ignoring_duplicates(conn, Favorite.__table__)  # type: ignore[arg-type]
        .values(user_id=user_id, article_id=article_id, created_at=now)
        .returning(Favorite.user_id)
    )
    return (await conn.execute(stmt)).first() is not None


async def unfavorite(conn: AsyncConnection, *, user_id: int, article_id: int) -> bool:
    """Idempotent; ``True`` when there was a favorite to remove."""
    stmt = (
        delete(Favorite)
        .where(Favorite.user_id == user_id, Favorite.article_id == article_id)
        .returning(Favorite.user_id)
    )
    return (await conn.execute(stmt)).first() is not None


async def popular_tags(conn: AsyncConnection, *, limit: int) -> list[str]:
    """Tags in use, most used first (ties by name)."""
    uses = func.count(ArticleTag.article_id)
    stmt = (
        select(Tag.name)
        .join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .group_by(Tag.id, Tag.name)
        .order_by(uses.desc(), Tag.name)
        .limit(limit)
    )
    return list((await conn.execute(stmt)).scalars())
