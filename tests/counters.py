"""Every maintained counter compared with a real count of the rows it stands for."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
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


DAILY_SOURCES = {
    "users": "SELECT created_at FROM app_user",
    "articles": "SELECT created_at FROM article",
    "comments": "SELECT created_at FROM comment",
    "sign_ins": "SELECT at FROM audit_event WHERE action = 'user.login'",
    "lockouts": "SELECT at FROM audit_event WHERE action = 'rate.lockout'",
    "live_sessions": "SELECT created_at FROM user_session WHERE revoked_at IS NULL",
}
"""What each ``daily_count`` kind counts (migration 0010), by its rows' timestamps."""


def _utc_day(value: datetime | str) -> date:
    if isinstance(value, str):  # raw SQLite text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:  # SQLite: naive, and UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).date()


async def wrong_daily_counts(conn: AsyncConnection) -> list[Any]:
    """``(kind, day, kept, real)`` for every day ``daily_count`` gets wrong, counted here
    in Python from the rows' UTC days (not with the migration's SQL, so the two can
    disagree); empty when every one is exact. Rows kept at zero are not wrong."""
    real: Counter[tuple[str, date]] = Counter()
    for kind, sql in DAILY_SOURCES.items():
        for (at,) in await conn.execute(text(sql)):
            real[(kind, _utc_day(at))] += 1
    kept_rows = await conn.execute(text("SELECT kind, day, count FROM daily_count"))
    kept = {
        (kind, day if isinstance(day, date) else date.fromisoformat(day)): count
        for kind, day, count in kept_rows
    }
    keys = sorted(set(real) | set(kept))
    return [
        (kind, day, kept.get((kind, day), 0), real[(kind, day)])
        for kind, day in keys
        if kept.get((kind, day), 0) != real[(kind, day)]
    ]
