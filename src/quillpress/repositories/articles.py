"""Articles, their tags and favorites.

Listing reads select columns (never ORM instances): the page with its author, favorite
count and the viewer's flags in one statement, tags in a second, the total in a third."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, exists, false, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.db.models import AppUser, Article, ArticleTag, Favorite, Follow, Tag
from quillpress.repositories._sql import insert_ignoring_duplicates, violated_constraint
from quillpress.repositories.users import by_username, following_flag


@dataclass(frozen=True, slots=True)
class Criteria:
    """Which articles a listing matches. Names that match nothing simply yield no rows."""

    tag: str | None = None
    author: str | None = None
    favorited_by: str | None = None
    feed_of: int | None = None  # only authors this user follows

    def conditions(self) -> list[Any]:
        found: list[Any] = []
        if self.tag is not None:
            found.append(
                Article.id.in_(
                    select(ArticleTag.article_id)
                    .join(Tag, Tag.id == ArticleTag.tag_id)
                    .where(Tag.name == self.tag)
                )
            )
        if self.author is not None:
            found.append(
                Article.author_id
                == select(AppUser.id).where(by_username(self.author)).scalar_subquery()
            )
        if self.favorited_by is not None:
            fan = select(AppUser.id).where(by_username(self.favorited_by)).scalar_subquery()
            found.append(Article.id.in_(select(Favorite.article_id).where(Favorite.user_id == fan)))
        if self.feed_of is not None:
            found.append(
                Article.author_id.in_(
                    select(Follow.followed_id).where(Follow.follower_id == self.feed_of)
                )
            )
        return found


@dataclass(frozen=True, slots=True)
class Cursor:
    """A keyset position: rows strictly older than (created_at, id)."""

    created_at: datetime
    id: int


def _favorited_flag(viewer_id: int | None) -> Any:
    if viewer_id is None:
        return false()
    return exists().where(Favorite.article_id == Article.id, Favorite.user_id == viewer_id)


def favorites_count_column() -> Any:
    return (
        select(func.count())
        .where(Favorite.article_id == Article.id)
        .correlate(Article)
        .scalar_subquery()
        .label("favorites_count")
    )


def _listing(viewer_id: int | None, *, with_body: bool) -> Any:
    columns = [
        Article.id,
        Article.slug,
        Article.title,
        Article.description,
        Article.created_at,
        Article.updated_at,
        Article.author_id,
        AppUser.username,
        AppUser.bio,
        AppUser.image,
        favorites_count_column(),
        _favorited_flag(viewer_id).label("favorited"),
        following_flag(viewer_id, Article.author_id).label("following"),
    ]
    if with_body:
        columns.append(Article.body)
    return select(*columns).join(AppUser, AppUser.id == Article.author_id)


NEWEST_FIRST = (Article.created_at.desc(), Article.id.desc())


def _older_than(cursor: Cursor) -> Any:
    return or_(
        Article.created_at < cursor.created_at,
        and_(Article.created_at == cursor.created_at, Article.id < cursor.id),
    )


async def list_page(
    conn: AsyncConnection,
    criteria: Criteria,
    *,
    viewer_id: int | None,
    limit: int,
    offset: int = 0,
    after: Cursor | None = None,
) -> Sequence[Row[Any]]:
    stmt = _listing(viewer_id, with_body=False).where(*criteria.conditions())
    if after is not None:
        stmt = stmt.where(_older_than(after))
    stmt = stmt.order_by(*NEWEST_FIRST).limit(limit).offset(offset)
    return (await conn.execute(stmt)).all()


async def count(conn: AsyncConnection, criteria: Criteria) -> int:
    stmt = select(func.count()).select_from(Article).where(*criteria.conditions())
    return int((await conn.execute(stmt)).scalar_one())


async def get_by_slug(
    conn: AsyncConnection, slug: str, *, viewer_id: int | None
) -> Row[Any] | None:
    stmt = _listing(viewer_id, with_body=True).where(Article.slug == slug)
    return (await conn.execute(stmt)).first()


async def get_by_id(
    conn: AsyncConnection, article_id: int, *, viewer_id: int | None
) -> Row[Any] | None:
    stmt = _listing(viewer_id, with_body=True).where(Article.id == article_id)
    return (await conn.execute(stmt)).first()


async def get_ref(conn: AsyncConnection, slug: str) -> Row[Any] | None:
    """Just enough of an article to authorize a write: id, author and current slug."""
    stmt = select(Article.id, Article.author_id, Article.slug).where(Article.slug == slug)
    return (await conn.execute(stmt)).first()


async def tags_many(conn: AsyncConnection, article_ids: Collection[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {article_id: [] for article_id in article_ids}
    if not article_ids:
        return tags
    stmt = (
        select(ArticleTag.article_id, Tag.name)
        .join(Tag, Tag.id == ArticleTag.tag_id)
        .where(ArticleTag.article_id.in_(list(article_ids)))
        .order_by(ArticleTag.article_id, ArticleTag.position)
    )
    for article_id, name in await conn.execute(stmt):
        tags[article_id].append(name)
    return tags


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
    ids = dict(
        (await conn.execute(select(Tag.name, Tag.id).where(Tag.name.in_(list(names))))).all()
    )
    await conn.execute(
        insert(ArticleTag),
        [
            {"article_id": article_id, "tag_id": ids[name], "position": position}
            for position, name in enumerate(names)
        ],
    )


async def favorite(conn: AsyncConnection, *, user_id: int, article_id: int, now: datetime) -> None:
    await conn.execute(
        insert_ignoring_duplicates(conn, Favorite.__table__).values(  # type: ignore[arg-type]
            user_id=user_id, article_id=article_id, created_at=now
        )
    )


async def unfavorite(conn: AsyncConnection, *, user_id: int, article_id: int) -> None:
    await conn.execute(
        delete(Favorite).where(Favorite.user_id == user_id, Favorite.article_id == article_id)
    )


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
