"""Maintained totals: how many articles in all, per tag, per author, per user's favorites,
and each article's favorites. Lists read them instead of counting rows.

Every write that adds or removes an article, a tag link or a favorite changes these in its
own transaction with atomic ``SET n = n + delta`` (never read-modify-write), so concurrent
writers cannot lose an update and a rollback takes the change back with the rows.

Lock order, to keep concurrent writers free of deadlocks on PostgreSQL: the article row
first (the use case locks it before anything else: ``articles.get_ref(lock=True)``; a new
article is nobody else's yet), then the global row, then user rows, then tag rows. Each of
those is one ``UPDATE … WHERE id IN`` (rows lock in the index's id order) and every use
case touches one article only.

Rows changed behind the use cases' back (raw SQL, a deleted account's cascades) are not
counted: :func:`recount` recomputes everything from the rows."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import ScalarSelect, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute

from quillpress.db.base import Base
from quillpress.db.models import AppUser, Article, ArticleTag, Counter, Favorite, Tag

ARTICLES = "articles"
"""The ``counter`` row holding the number of articles."""


async def _bump(
    conn: AsyncConnection,
    model: type[AppUser | Article | Tag],
    changes: Mapping[str, Mapping[int, int]],
) -> None:
    """Add ``changes[column][row id]`` to each column of each row, in one statement."""
    changes = {
        name: {row_id: delta for row_id, delta in deltas.items() if delta}
        for name, deltas in changes.items()
    }
    ids = sorted({row_id for deltas in changes.values() for row_id in deltas})
    if not ids:
        return
    values = {
        name: getattr(model, name) + case(deltas, value=model.id, else_=0)
        for name, deltas in changes.items()
        if deltas
    }
    await conn.execute(update(model).where(model.id.in_(ids)).values(values))


async def _bump_articles(conn: AsyncConnection, delta: int) -> None:
    """An upsert, so the row may be missing (an emptied table counts as zero)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Counter).values(name=ARTICLES, value=delta)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Counter.name], set_={"value": Counter.value + stmt.excluded.value}
    )
    await conn.execute(stmt)


async def article_added(conn: AsyncConnection, *, author_id: int) -> None:
    """A new article (its tags are counted by :func:`tags_changed`)."""
    await _bump_articles(conn, 1)
    await _bump(conn, AppUser, {"articles_count": {author_id: 1}})


async def tags_changed(
    conn: AsyncConnection, *, added: Collection[int], removed: Collection[int]
) -> None:
    """An article gained the tags ``added`` and lost ``removed`` (tag ids)."""
    deltas = dict.fromkeys(added, 1) | dict.fromkeys(removed, -1)
    await _bump(conn, Tag, {"articles_count": deltas})


async def article_removed(
    conn: AsyncConnection, *, author_id: int, tag_ids: Collection[int], fan_ids: Collection[int]
) -> None:
    """An article is gone, and with it (``ON DELETE CASCADE``) its tag links and favorites."""
    await _bump_articles(conn, -1)
    await _bump(
        conn,
        AppUser,
        {
            "articles_count": {author_id: -1},
            "favorites_count": dict.fromkeys(fan_ids, -1),
        },
    )
    await tags_changed(conn, added=(), removed=tag_ids)


async def favorite_changed(
    conn: AsyncConnection, *, article_id: int, user_id: int, delta: int
) -> None:
    """``user_id`` favorited (``delta=1``) or unfavorited (``-1``) ``article_id``."""
    await _bump(conn, Article, {"favorites_count": {article_id: delta}})
    await _bump(conn, AppUser, {"favorites_count": {user_id: delta}})


def _count(
    model: type[Base], column: InstrumentedAttribute[int], owner: InstrumentedAttribute[int]
) -> ScalarSelect[int]:
    return select(func.count()).select_from(model).where(column == owner).scalar_subquery()


async def recount(conn: AsyncConnection) -> None:
    """Recompute every counter from the rows: after bulk inserts (the seeder) or writes
    made outside the use cases. Costs a pass over the tables; never on a request path."""
    await conn.execute(
        update(Tag).values(articles_count=_count(ArticleTag, ArticleTag.tag_id, Tag.id))
    )
    await conn.execute(
        update(AppUser).values(
            articles_count=_count(Article, Article.author_id, AppUser.id),
            favorites_count=_count(Favorite, Favorite.user_id, AppUser.id),
        )
    )
    await conn.execute(
        update(Article).values(favorites_count=_count(Favorite, Favorite.article_id, Article.id))
    )
    total = (await conn.execute(select(func.count()).select_from(Article))).scalar_one()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Counter).values(name=ARTICLES, value=total)
    stmt = stmt.on_conflict_do_update(index_elements=[Counter.name], set_={"value": total})
    await conn.execute(stmt)
