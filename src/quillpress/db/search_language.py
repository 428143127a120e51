"""The search index's language (``QUILLPRESS_SEARCH_LANGUAGE``), applied after migrating.

Migration 0008 builds the index in ``english``; the language lives in the database
(``search_config``) because the triggers and the queries must both use the one the index
was built with. ``serve`` and ``quillpress db upgrade`` call :func:`apply` after
migrating: when the setting names another language, the index is rebuilt in it, in one
transaction that also bumps the cache epoch (every cached search was answered in the old
one). The same language again costs one read.

PostgreSQL: any text search configuration the server has (``\\dF`` lists them: ``english``,
``german``, ``simple``…); a name it does not know is a configuration error. SQLite stems
English only (FTS5's porter tokenizer); any other language is indexed without stemming
(``unicode61``), so the FTS5 table is recreated with that tokenizer and filled again."""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from quillpress.config import ConfigurationError
from quillpress.db import cache_epoch

POSTGRES_REINDEX = [
    "UPDATE search_config SET language = CAST(:language AS regconfig)",
    "UPDATE article_search SET document = article_search_document(article_id)",
]

# The FTS5 table and its fill as migration 0008 makes them (the triggers keep naming the
# table, so recreating it under the same name keeps them working).
FTS_COLUMNS = "title, tags, author, description, body_lead, body_rest"
SQLITE_FILL = """
    INSERT INTO article_fts (rowid, title, tags, author, description, body_lead, body_rest)
    SELECT a.id,
        replace(replace(a.title, char(57344), ''), char(57345), ''),
        coalesce((SELECT group_concat(t.name, ' ') FROM article_tag AS at
                  JOIN tag AS t ON t.id = at.tag_id WHERE at.article_id = a.id), ''),
        (SELECT username FROM app_user WHERE id = a.author_id),
        a.description,
        replace(replace(substr(a.body, 1, 10240), char(57344), ''), char(57345), ''),
        substr(a.body, 10241)
    FROM article AS a
"""


def sqlite_tokenizer(language: str) -> str:
    """FTS5 stems English only; any other language is indexed without stemming."""
    if language == "english":
        return "porter unicode61 remove_diacritics 0"
    return "unicode61 remove_diacritics 0"


async def current(conn: AsyncConnection) -> str | None:
    """The index's language, or ``None`` before migration 0008."""
    if not await conn.run_sync(lambda sync: inspect(sync).has_table("search_config")):
        return None
    found = await conn.execute(text("SELECT CAST(language AS text) FROM search_config"))
    return found.scalar()


async def apply(engine: AsyncEngine, language: str) -> bool:
    """Rebuild the index in ``language`` if it was built in another; whether it did."""
    async with engine.connect() as conn:
        await conn.execution_options(quillpress_write=True)
        async with conn.begin():
            before = await current(conn)
            if before is None or before == language:
                return False
            if conn.dialect.name == "postgresql":
                await _postgres(conn, language)
            else:
                await _sqlite(conn, language)
            await cache_epoch.bump(conn)
    return True


async def _postgres(conn: AsyncConnection, language: str) -> None:
    known = await conn.execute(
        text("SELECT 1 FROM pg_ts_config WHERE cfgname = :language"), {"language": language}
    )
    if known.scalar() is None:
        raise ConfigurationError(
            f"QUILLPRESS_SEARCH_LANGUAGE={language!r}: PostgreSQL has no text search "
            "configuration of that name (psql's \\dF lists them: english, german, simple…)"
        )
    for statement in POSTGRES_REINDEX:
        await conn.execute(text(statement), {"language": language})


async def _sqlite(conn: AsyncConnection, language: str) -> None:
    await conn.exec_driver_sql("DROP TABLE article_fts")
    await conn.exec_driver_sql(
        f"CREATE VIRTUAL TABLE article_fts USING fts5({FTS_COLUMNS}, "
        f"tokenize = '{sqlite_tokenizer(language)}')"
    )
    await conn.exec_driver_sql(SQLITE_FILL)
    await conn.execute(
        text("UPDATE search_config SET language = :language"), {"language": language}
    )
