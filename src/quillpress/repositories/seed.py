"""Bulk writes for the demo-data seeder.

Seeding ten thousand articles row by row (or as ORM objects) takes minutes; executemany
in chunks inside the caller's one transaction takes seconds on SQLite. Chunks keep each
statement's parameter list bounded and let the caller report progress between them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import Insert, Table, bindparam, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.db.base import Base
from quillpress.db.models import AppUser, Article, ArticleTag, Comment, Favorite, Follow, Tag
from quillpress.domain.emails import normalized_email
from quillpress.repositories._sql import insert_ignoring_duplicates

CHUNK_SIZE = 1_000

Row = Mapping[str, object]
"""A row to insert: its column values by name."""
OnChunk = Callable[[int], None]
"""Called after each chunk with the number of rows it wrote."""


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)  # a mapped class's own table, never a join
    return table


async def has_users(conn: AsyncConnection) -> bool:
    """Whether any account exists: the seeder only ever fills an empty database."""
    return bool((await conn.execute(select(exists().where(AppUser.id.is_not(None))))).scalar())


async def _insert_chunks(
    conn: AsyncConnection, stmt: Insert, rows: Sequence[Row], on_chunk: OnChunk
) -> None:
    for start in range(0, len(rows), CHUNK_SIZE):
        chunk = rows[start : start + CHUNK_SIZE]
        await conn.execute(stmt, list(chunk))
        on_chunk(len(chunk))


async def _insert_returning_ids(
    conn: AsyncConnection, model: type[AppUser | Article], rows: Sequence[Row], on_chunk: OnChunk
) -> list[int]:
    """Insert ``rows`` and return their new ids in the same order.

    ``sort_by_parameter_order`` makes SQLAlchemy's batched "insertmanyvalues" RETURNING
    line ids up with parameter sets on both SQLite and PostgreSQL, so later rows
    (articles, favorites…) can refer to them without reading anything back."""
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK_SIZE):
        chunk = rows[start : start + CHUNK_SIZE]
        result = await conn.execute(stmt, list(chunk))
        ids.extend(int(row_id) for row_id in result.scalars())
        on_chunk(len(chunk))
    return ids


async def insert_users(conn: AsyncConnection, rows: Sequence[Row], on_chunk: OnChunk) -> list[int]:
    """Each row's ``email_normalized`` is derived here, as ``users.insert_user`` does."""
    rows = [{**row, "email_normalized": normalized_email(str(row["email"]))} for row in rows]
    return await _insert_returning_ids(conn, AppUser, rows, on_chunk)


async def insert_articles(
    conn: AsyncConnection, rows: Sequence[Row], on_chunk: OnChunk
) -> list[int]:
    return await _insert_returning_ids(conn, Article, rows, on_chunk)


async def ensure_tags(
    conn: AsyncConnection, names: Sequence[str], on_chunk: OnChunk
) -> dict[str, int]:
    """Ids for ``names``, creating the missing ones (tags outlive the articles that used
    them, so an otherwise empty database may already hold some)."""
    await _insert_chunks(
        conn,
        insert_ignoring_duplicates(conn, _table(Tag)),
        [{"name": name} for name in names],
        on_chunk,
    )
    ids: dict[str, int] = {}
    for start in range(0, len(names), CHUNK_SIZE):
        chunk = list(names[start : start + CHUNK_SIZE])
        result = await conn.execute(select(Tag.name, Tag.id).where(Tag.name.in_(chunk)))
        ids.update({name: int(tag_id) for name, tag_id in result})
    return ids


# ``article_tag.article_created_at`` copies the article's own, read in the same statement,
# so callers pass just (article_id, tag_id, position). Bind names differ from the column
# names, which SQLAlchemy reserves for the VALUES clause.
ARTICLE_TAG = insert(ArticleTag).values(
    article_id=bindparam("a"),
    tag_id=bindparam("t"),
    position=bindparam("p"),
    article_created_at=select(Article.created_at)
    .where(Article.id == bindparam("a"))
    .scalar_subquery(),
)


async def insert_article_tags(
    conn: AsyncConnection, rows: Sequence[Row], on_chunk: OnChunk
) -> None:
    """``rows`` of ``article_id``, ``tag_id``, ``position``."""
    renamed = [{"a": r["article_id"], "t": r["tag_id"], "p": r["position"]} for r in rows]
    await _insert_chunks(conn, ARTICLE_TAG, renamed, on_chunk)


async def insert_follows(conn: AsyncConnection, rows: Sequence[Row], on_chunk: OnChunk) -> None:
    await _insert_chunks(conn, insert(Follow), rows, on_chunk)


async def insert_favorites(conn: AsyncConnection, rows: Sequence[Row], on_chunk: OnChunk) -> None:
    await _insert_chunks(conn, insert(Favorite), rows, on_chunk)


async def insert_comments(conn: AsyncConnection, rows: Sequence[Row], on_chunk: OnChunk) -> None:
    await _insert_chunks(conn, insert(Comment), rows, on_chunk)
