"""Single articles, their tags and favorites: reads by slug or id, and every write.

Listings (pages, totals, batches) live in ``repositories.listings``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import CursorResult, Insert, Update, bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.db import fastpath
from quillpress.db.models import Article, ArticleTag, Comment, Favorite, Tag
from quillpress.repositories import counters
from quillpress.repositories._sql import (
    columns_of,
    insert_ignoring_duplicates,
    violated_constraint,
)
from quillpress.repositories.listings import ArticleRow, article_columns, tags_column, tags_of

_BY_SLUG = {
    signed_in: article_columns(bindparam("viewer_id") if signed_in else None, with_body=True).where(
        Article.slug == bindparam("slug")
    )
    for signed_in in (False, True)
}
"""``GET /api/articles/{slug}``'s statement, built once per kind of viewer: built per request,
its construction and cache key were a quarter of that request's CPU (measured in process)."""


_BY_SLUG_WITH_TAGS = {
    signed_in: statement.add_columns(tags_column()) for signed_in, statement in _BY_SLUG.items()
}
"""PostgreSQL: the same, with the article's tags as an array in the row (one statement)."""


async def get_by_slug(
    conn: AsyncConnection, slug: str, *, viewer_id: int | None
) -> tuple[ArticleRow, list[str]] | None:
    """The article with its body and tags, or ``None``, through the asyncpg fast path: one
    statement on PostgreSQL (tags in the row, as a list page reads them), two on SQLite."""
    params: dict[str, int | str] = {"slug": slug}
    if viewer_id is not None:
        params["viewer_id"] = viewer_id
    on_postgres = conn.dialect.name == "postgresql"
    statements = _BY_SLUG_WITH_TAGS if on_postgres else _BY_SLUG
    found = await fastpath.rows(conn, statements[viewer_id is not None], params)
    if not found:
        return None
    width = len(found[0]) - on_postgres  # the article, then its tags (PostgreSQL)
    tags = await tags_of(conn, found, width if on_postgres else None)
    return ArticleRow(*found[0][:width]), tags[found[0][0]]


async def get_by_id(
    conn: AsyncConnection, article_id: int, *, viewer_id: int | None
) -> ArticleRow | None:
    stmt = article_columns(viewer_id, with_body=True).where(Article.id == article_id)
    row = (await conn.execute(stmt)).first()
    return ArticleRow(*row) if row is not None else None


class ArticleRef(NamedTuple):
    """Just enough of an article to authorize a write (:func:`get_ref`)."""

    id: int
    author_id: int
    slug: str
    created_at: datetime


class EditableArticle(NamedTuple):
    """What an edit may change, beside the article's reference (:func:`get_editable`)."""

    id: int
    author_id: int
    slug: str
    created_at: datetime
    title: str
    description: str
    body: str


async def get_ref(conn: AsyncConnection, slug: str, *, lock: bool = False) -> ArticleRef | None:
    """Just enough of an article to authorize a write: id, author and current slug.

    ``lock`` takes the article's row lock (PostgreSQL ``FOR NO KEY UPDATE``; SQLite's write
    lock is already held) before anything else, as ``repositories.counters`` requires: a
    write that changes the article's counters must hold it first."""
    stmt = select(*columns_of(ArticleRef, Article)).where(Article.slug == slug)
    if lock:
        stmt = stmt.with_for_update(key_share=True)
    row = (await conn.execute(stmt)).first()
    return ArticleRef(*row) if row is not None else None


async def get_editable(conn: AsyncConnection, slug: str) -> EditableArticle | None:
    """What an edit may change, to authorize it and to tell a real change from a repeat;
    takes the article's row lock first, as ``get_ref(lock=True)`` does."""
    stmt = select(*columns_of(EditableArticle, Article)).where(Article.slug == slug)
    row = (await conn.execute(stmt.with_for_update(key_share=True))).first()
    return EditableArticle(*row) if row is not None else None


async def slugs_starting_with(conn: AsyncConnection, base: str) -> set[str]:
    """Existing slugs equal to ``base`` or ``base-…`` (slugs hold no LIKE wildcards)."""
    stmt = select(Article.slug).where(or_(Article.slug == base, Article.slug.like(f"{base}-%")))
    return set((await conn.execute(stmt)).scalars())


async def _unless_slug_taken(
    conn: AsyncConnection, stmt: Insert | Update
) -> CursorResult[Any] | None:
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
    """The new article's id, or ``None`` when ``slug`` is taken. Counts it (its tags are
    counted by :func:`replace_tags`)."""
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
    if result is None:
        return None
    await counters.article_added(conn, author_id=author_id)
    return int(result.scalar_one())


async def update_article(
    conn: AsyncConnection, article_id: int, values: Mapping[str, object]
) -> bool:
    """``False`` when a new slug in ``values`` is taken (nothing changed)."""
    stmt = update(Article).where(Article.id == article_id).values(**values)
    return await _unless_slug_taken(conn, stmt) is not None


async def replace_tags(
    conn: AsyncConnection, article_id: int, names: Sequence[str], *, created_at: datetime
) -> None:
    """Set an article's tags to ``names``, in that order, creating tags not seen before;
    the tags it gained or lost are counted. ``created_at`` is the article's."""
    unlinked = delete(ArticleTag).where(ArticleTag.article_id == article_id)
    previous = set((await conn.execute(unlinked.returning(ArticleTag.tag_id))).scalars())
    ids: dict[str, int] = {}
    if names:
        ids = await _link_tags(conn, article_id, names, created_at)
    current = set(ids.values())
    await counters.tags_changed(conn, added=current - previous, removed=previous - current)


async def _link_tags(
    conn: AsyncConnection, article_id: int, names: Sequence[str], created_at: datetime
) -> dict[str, int]:
    await conn.execute(
        insert_ignoring_duplicates(conn, Tag.__table__),  # type: ignore[arg-type]
        [{"name": name} for name in names],
    )
    found = await conn.execute(select(Tag.name, Tag.id).where(Tag.name.in_(list(names))))
    ids: dict[str, int] = dict(found.tuples().all())
    await conn.execute(
        insert(ArticleTag),
        [
            {
                "article_id": article_id,
                "tag_id": ids[name],
                "position": position,
                "article_created_at": created_at,
            }
            for position, name in enumerate(names)
        ],
    )
    return ids


async def _tags_of(conn: AsyncConnection, article_id: int) -> list[tuple[int, str]]:
    """One article's tags as (id, name), in the author's order."""
    stmt = (
        select(Tag.id, Tag.name)
        .join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .where(ArticleTag.article_id == article_id)
        .order_by(ArticleTag.position)
    )
    return [(int(tag_id), name) for tag_id, name in await conn.execute(stmt)]


async def tag_names(conn: AsyncConnection, article_id: int) -> tuple[str, ...]:
    """One article's tags, in the author's order."""
    return tuple(name for _id, name in await _tags_of(conn, article_id))


@dataclass(frozen=True, slots=True)
class Dependents:
    """What deleting an article takes with it (by ``ON DELETE CASCADE``)."""

    tags: tuple[str, ...]
    tag_ids: tuple[int, ...]
    favorited_by: tuple[int, ...]
    comment_ids: tuple[int, ...]


async def dependents(conn: AsyncConnection, article_id: int) -> Dependents:
    """Read with the article locked (``get_ref(lock=True)``), so nothing joins it meanwhile."""
    fans = await conn.execute(select(Favorite.user_id).where(Favorite.article_id == article_id))
    comments = await conn.execute(select(Comment.id).where(Comment.article_id == article_id))
    tags = await _tags_of(conn, article_id)
    return Dependents(
        tags=tuple(name for _id, name in tags),
        tag_ids=tuple(tag_id for tag_id, _name in tags),
        favorited_by=tuple(sorted(fans.scalars())),
        comment_ids=tuple(sorted(comments.scalars())),
    )


async def delete_article(
    conn: AsyncConnection, article_id: int, *, author_id: int, gone: Dependents
) -> None:
    """Delete it (its tag links, favorites and comments cascade) and uncount all of it;
    ``gone`` is what :func:`dependents` read under the article's lock."""
    await conn.execute(delete(Article).where(Article.id == article_id))
    await counters.article_removed(
        conn, author_id=author_id, tag_ids=gone.tag_ids, fan_ids=gone.favorited_by
    )


async def favorite(conn: AsyncConnection, *, user_id: int, article_id: int, now: datetime) -> bool:
    """Idempotent; ``True`` when the favorite is new (and then counted). The caller holds
    the article's lock (``get_ref(lock=True)``)."""
    stmt = (
        insert_ignoring_duplicates(conn, Favorite.__table__)  # type: ignore[arg-type]
        .values(user_id=user_id, article_id=article_id, created_at=now)
        .returning(Favorite.user_id)
    )
    added = (await conn.execute(stmt)).first() is not None
    if added:
        await counters.favorite_changed(conn, article_id=article_id, user_id=user_id, delta=1)
    return added


async def unfavorite(conn: AsyncConnection, *, user_id: int, article_id: int) -> bool:
    """Idempotent; ``True`` when there was a favorite to remove (and then uncounted). The
    caller holds the article's lock (``get_ref(lock=True)``)."""
    stmt = (
        delete(Favorite)
        .where(Favorite.user_id == user_id, Favorite.article_id == article_id)
        .returning(Favorite.user_id)
    )
    removed = (await conn.execute(stmt)).first() is not None
    if removed:
        await counters.favorite_changed(conn, article_id=article_id, user_id=user_id, delta=-1)
    return removed


POPULAR_TAGS = (
    select(Tag.name)
    .where(Tag.articles_count > 0)
    .order_by(Tag.articles_count.desc(), Tag.name)
    .limit(bindparam("limit"))
)


async def popular_tags(conn: AsyncConnection, *, limit: int) -> list[str]:
    """Tags in use, most used first (ties by name): the first ``limit`` entries of the
    ``ix_tag_articles_count_name`` index, whatever the number of articles."""
    return await fastpath.column(conn, POPULAR_TAGS, {"limit": limit})
