"""Every maintained counter compared with a real count of the rows it stands for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

COUNTED = """
SELECT 'tag' AS scope, name AS owner, articles_count AS kept,
       (SELECT count(*) FROM article_tag WHERE article_tag.tag_id = tag.id) AS real
FROM tag
UNION ALL
SELECT 'author', username, articles_count,
       (SELECT count(*) FROM article WHERE article.author_id = app_user.id)
FROM app_user
UNION ALL
SELECT 'fan', username, favorites_count,
       (SELECT count(*) FROM favorite WHERE favorite.user_id = app_user.id)
FROM app_user
UNION ALL
SELECT 'article', slug, favorites_count,
       (SELECT count(*) FROM favorite WHERE favorite.article_id = article.id)
FROM article
UNION ALL
SELECT 'all', 'articles', coalesce((SELECT value FROM counter WHERE name = 'articles'), 0),
       (SELECT count(*) FROM article)
UNION ALL
SELECT 'tag created_at', 'mismatches', 0,
       (SELECT count(*) FROM article_tag JOIN article ON article.id = article_tag.article_id
        WHERE article_tag.article_created_at <> article.created_at)
"""


async def wrong_counters(conn: AsyncConnection) -> list[Any]:
    """Counters that differ from the rows; empty when every one is exact."""
    rows = (await conn.execute(text(COUNTED))).all()
    return [tuple(row) for row in rows if row.kept != row.real]


async def counter_rows(conn: AsyncConnection) -> int:
    """How many counters were compared (so a test can tell it compared something)."""
    return len((await conn.execute(text(COUNTED))).all())
