"""Article listings: a page, pages for many authors or fans at once, totals, tags.

Hot path. Rows are selected as columns (never ORM instances), and each statement *shape*
(which filters, anonymous or not, cursor or offset…) is built once with bound
parameters and reused, so a request pays neither for building the statement nor for
SQLAlchemy deriving its cache key: only for binding values and reading rows.

Every list costs what its page costs: the page's ids are found through an index first
(:func:`page_ids`), only those rows are decorated, and totals come from counters the
writes maintain (:func:`total_of`), never from counting the table.

Size: every statement shape of the hot list path is built here once, beside the page-then-
decorate helpers they share."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    SQLColumnExpression,
    bindparam,
    exists,
    false,
    func,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased
from sqlalchemy.orm.util import AliasedClass
from sqlalchemy.sql.selectable import Subquery

from quillpress.db import fastpath
from quillpress.db.models import AppUser, Article, ArticleTag, Counter, Favorite, Follow, Tag
from quillpress.domain.commands import Cursor
from quillpress.repositories.counters import ARTICLES
from quillpress.repositories.users import ViewerParam, by_username, following_flag

NEWEST_FIRST = (Article.created_at.desc(), Article.id.desc())
VIEWER = bindparam("viewer_id", type_=Integer)


@dataclass(frozen=True, slots=True)
class Criteria:
    """Which articles a listing matches. Names that match nothing simply yield no rows."""

    tag: str | None = None
    author: str | None = None
    favorited_by: str | None = None
    feed_of: int | None = None  # only authors this user follows

    def params(self) -> dict[str, str | int]:
        return {
            name: value
            for name, value in (
                ("tag", self.tag),
                ("author", self.author),
                ("favorited_by", self.favorited_by),
                ("feed_of", self.feed_of),
            )
            if value is not None
        }

    @property
    def shape(self) -> frozenset[str]:
        return frozenset(self.params())


def conditions(
    shape: frozenset[str], article: type[Article] | AliasedClass[Article] = Article
) -> list[ColumnElement[bool]]:
    """WHERE clauses for the filters in ``shape``, over ``article`` (the table or an alias)."""
    found: list[ColumnElement[bool]] = []
    if "tag" in shape:
        tagged = select(ArticleTag.article_id).join(Tag, Tag.id == ArticleTag.tag_id)
        found.append(article.id.in_(tagged.where(Tag.name == bindparam("tag"))))
    if "author" in shape:
        author = select(AppUser.id).where(by_username(bindparam("author"))).scalar_subquery()
        found.append(article.author_id == author)
    if "favorited_by" in shape:
        fan = select(AppUser.id).where(by_username(bindparam("favorited_by"))).scalar_subquery()
        found.append(article.id.in_(select(Favorite.article_id).where(Favorite.user_id == fan)))
    if "feed_of" in shape:
        followed = select(Follow.followed_id).where(Follow.follower_id == bindparam("feed_of"))
        found.append(article.author_id.in_(followed))
    return found


def favorited_flag(viewer: ViewerParam) -> ColumnElement[bool]:
    """``EXISTS(viewer favorited this article)``; constant false for the anonymous viewer."""
    if viewer is None:
        return false()
    return (
        exists()
        .where(Favorite.article_id == Article.id, Favorite.user_id == viewer)
        .correlate(Article)
    )


class ArticleRow(NamedTuple):
    """An article as :func:`article_columns` selects it, in that order: built by position
    (``ArticleRow(*row)``) from the fast path's records and SQLAlchemy's rows alike."""

    id: int
    slug: str
    title: str
    description: str
    created_at: datetime
    updated_at: datetime
    author_id: int
    username: str
    bio: str | None
    image: str | None
    favorites_count: int
    favorited: int
    """A flag: ``False``/``True`` on PostgreSQL, ``0``/``1`` on SQLite (read it with ``bool``)."""
    following: int
    """Whether the viewer follows the author, as :attr:`favorited` is read."""
    body: str | None = None
    """Only when selected ``with_body``."""


ARTICLE_WIDTH = len(ArticleRow._fields) - 1
"""Columns of an article selected without its body: a listing's extra columns follow."""


def article_columns(viewer: ViewerParam, *, with_body: bool) -> Select[Any]:
    """An article with its author, favorite count and the viewer's flags, as one SELECT
    whose columns are :class:`ArticleRow`'s. ``viewer`` is a user id, a bound parameter,
    or ``None`` for anonymous."""
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
        Article.favorites_count,
        favorited_flag(viewer).label("favorited"),
        following_flag(viewer, Article.author_id).label("following"),
    ]
    if with_body:
        columns.append(Article.body)
    return select(*columns).join(AppUser, AppUser.id == Article.author_id)


def tags_column() -> Any:
    """PostgreSQL only: the article's tags, in order, as an array in the row itself.

    ``ARRAY(SELECT (SELECT name FROM tag WHERE id = tag_id) … ORDER BY position)``: each
    name one primary-key lookup. The join it replaces (``array_agg`` over ``article_tag``
    joined to ``tag``) was planned as a hash join that read the whole tag table for every
    article (``EXPLAIN ANALYZE`` of a 20-article page, 300 tags: 0.92 ms, now 0.32 ms)."""
    name = select(Tag.name).where(Tag.id == ArticleTag.tag_id).scalar_subquery()
    names = (
        select(name)
        .where(ArticleTag.article_id == Article.id)
        .order_by(ArticleTag.position)
        .correlate(Article)
        .scalar_subquery()
    )
    return func.array(names).label("tags")


def _maintained_total(shape: frozenset[str]) -> Any | None:
    """The total of a one-filter listing, read from the counters the writes maintain
    (``repositories.counters``): one row, or one indexed row per followed author."""
    if not shape:
        return select(Counter.value).where(Counter.name == ARTICLES)
    if shape == {"tag"}:
        return select(Tag.articles_count).where(Tag.name == bindparam("tag"))
    if shape == {"author"}:
        return select(AppUser.articles_count).where(by_username(bindparam("author")))
    if shape == {"favorited_by"}:
        return select(AppUser.favorites_count).where(by_username(bindparam("favorited_by")))
    if shape == {"feed_of"}:
        return (
            select(func.sum(AppUser.articles_count))
            .join(Follow, Follow.followed_id == AppUser.id)
            .where(Follow.follower_id == bindparam("feed_of"))
        )
    return None


def total_of(shape: frozenset[str]) -> Any:
    """Every match, as an uncorrelated scalar subquery (0 for a name that matches nothing).

    Filters combined (``?tag=…&author=…``) have no counter of their own and are counted.
    Every such combination includes ``author`` or ``favorited``, so the count is bounded
    by one author's articles or one user's favorites, read through their indexes."""
    maintained = _maintained_total(shape)
    if maintained is None:
        counted = aliased(Article)
        maintained = select(func.count()).select_from(counted).where(*conditions(shape, counted))
    # correlate(None): the listing's own FROM has app_user, which must not leak in here.
    return func.coalesce(maintained.correlate(None).scalar_subquery(), 0)


def older_than_cursor(
    created_at: SQLColumnExpression[datetime] = Article.created_at,
    ident: SQLColumnExpression[int] = Article.id,
) -> ColumnElement[bool]:
    """``(created_at, id) < cursor`` as a row comparison: an index range on
    ``(created_at, id)`` on both backends, so a deep cursor costs what a first page does."""
    after_created_at = bindparam("after_created_at", type_=Article.created_at.type)
    after_id = bindparam("after_id", type_=Integer)
    return tuple_(created_at, ident) < tuple_(after_created_at, after_id)


def page_ids(shape: frozenset[str], *, after: bool) -> Subquery:
    """The page itself, narrow: the ids (and sort key) of the matching articles at
    ``:offset`` (or after the cursor), ``:limit`` of them, read off an index in order.
    Only these rows are decorated afterwards, so a skipped row costs an index entry, not
    its tags and counts. A tag alone pages through ``article_tag``'s own
    ``(tag_id, article_created_at, article_id)`` index; other filters through
    ``article``'s ``(created_at, id)`` and ``(author_id, created_at, id)``."""
    if shape == {"tag"}:
        tag_id = select(Tag.id).where(Tag.name == bindparam("tag")).scalar_subquery()
        created_at, ident = ArticleTag.article_created_at, ArticleTag.article_id
        stmt = select(ident.label("id"), created_at.label("created_at"))
        stmt = stmt.where(ArticleTag.tag_id == tag_id)
    else:
        created_at, ident = Article.created_at, Article.id
        stmt = select(ident, created_at).where(*conditions(shape))
    if after:
        stmt = stmt.where(older_than_cursor(created_at, ident))
    return (
        stmt.order_by(created_at.desc(), ident.desc())
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("page")
    )


@lru_cache(maxsize=256)
def _page_statement(
    shape: frozenset[str],
    *,
    viewer: bool,
    after: bool,
    with_body: bool,
    with_total: bool,
    with_tags: bool,
) -> Any:
    """The page of ids joined to the article columns (the decoration), plus tags and the
    total when asked: two separable parts, composed into one round trip."""
    page = page_ids(shape, after=after)
    stmt = article_columns(VIEWER if viewer else None, with_body=with_body)
    stmt = stmt.join(page, page.c.id == Article.id)
    if with_tags:
        stmt = stmt.add_columns(tags_column())
    if with_total:
        stmt = stmt.add_columns(total_of(shape).label("total"))
    return stmt.order_by(page.c.created_at.desc(), page.c.id.desc())


@dataclass(frozen=True, slots=True)
class Listing:
    rows: Sequence[ArticleRow]
    tags: dict[int, list[str]]
    total: int | None


async def list_page(
    conn: AsyncConnection,
    criteria: Criteria,
    *,
    viewer_id: int | None,
    limit: int,
    offset: int = 0,
    after: Cursor | None = None,
    with_body: bool = False,
    with_total: bool = True,
) -> Listing:
    """A page with its tags and (optionally) the total number of matches.

    One statement on PostgreSQL (tags aggregated into the row, the total read from the
    counters as an uncorrelated subquery); SQLite, which has no ordered array aggregate,
    reads tags in a second statement. ``tests/rest/test_listing_paths.py`` pins both to
    the same result. The total costs a statement of its own only for a page past the end."""
    on_postgres = conn.dialect.name == "postgresql"
    stmt = _page_statement(
        criteria.shape,
        viewer=viewer_id is not None,
        after=after is not None,
        with_body=with_body,
        with_total=with_total,
        with_tags=on_postgres,
    )
    params: dict[str, object] = {**criteria.params(), "limit": limit, "offset": offset}
    if viewer_id is not None:
        params["viewer_id"] = viewer_id
    if after is not None:
        params.update(after_created_at=after.created_at, after_id=after.id)
    records = await fastpath.rows(conn, stmt, params)
    width = ARTICLE_WIDTH + with_body  # then the tags (PostgreSQL), then the total
    rows = [ArticleRow(*record[:width]) for record in records]
    tags = await tags_of(conn, records, width if on_postgres else None)
    total: int | None = None
    if with_total:
        if records:
            total = int(records[0][-1])
        elif offset == 0 and after is None:
            total = 0
        else:
            total = await count(conn, criteria)
    return Listing(rows=rows, tags=tags, total=total)


@lru_cache(maxsize=32)
def _count_statement(shape: frozenset[str]) -> Any:
    return select(total_of(shape))


async def count(conn: AsyncConnection, criteria: Criteria) -> int:
    """Every match of ``criteria``, from the maintained counters (see :func:`total_of`)."""
    result = await conn.execute(_count_statement(criteria.shape), criteria.params())
    return int(result.scalar_one())


TAGS_OF = (
    select(ArticleTag.article_id, Tag.name)
    .join(Tag, Tag.id == ArticleTag.tag_id)
    .where(ArticleTag.article_id.in_(bindparam("ids", expanding=True)))
    .order_by(ArticleTag.article_id, ArticleTag.position)
)


async def tags_of(
    conn: AsyncConnection, records: Sequence[Sequence[Any]], column: int | None
) -> dict[int, list[str]]:
    """Each record's article's tags (the article id first in the record): read from
    ``column`` where the statement carried them (:func:`tags_column`, PostgreSQL), else in
    one batched statement (:func:`tags_many`)."""
    if column is not None:
        return {record[0]: list(record[column] or ()) for record in records}
    return await tags_many(conn, [record[0] for record in records])


async def tags_many(conn: AsyncConnection, article_ids: Collection[int]) -> dict[int, list[str]]:
    """Each article's tags in the author's order, for many articles in one statement."""
    tags: dict[int, list[str]] = {article_id: [] for article_id in article_ids}
    if not article_ids:
        return tags
    for article_id, name in await conn.execute(TAGS_OF, {"ids": list(article_ids)}):
        tags[article_id].append(name)
    return tags
