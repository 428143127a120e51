"""What the soak checks on the primary when the load is over: every maintained counter
equals a real count of its rows (the same comparison as tests/counters.py, over every
row), and no row points at a row that does not exist."""

from __future__ import annotations

import asyncpg

COUNTERS = {
    "articles in all": """SELECT count(*) FROM counter
        WHERE name = 'articles' AND value <> (SELECT count(*) FROM article)""",
    "tag.articles_count": """SELECT count(*) FROM tag
        WHERE articles_count <> (SELECT count(*) FROM article_tag WHERE tag_id = tag.id)""",
    "app_user.articles_count": """SELECT count(*) FROM app_user
        WHERE articles_count <> (SELECT count(*) FROM article WHERE author_id = app_user.id)""",
    "app_user.favorites_count": """SELECT count(*) FROM app_user
        WHERE favorites_count <> (SELECT count(*) FROM favorite WHERE user_id = app_user.id)""",
    "article.favorites_count": """SELECT count(*) FROM article
        WHERE favorites_count <> (SELECT count(*) FROM favorite WHERE article_id = article.id)""",
    "article_tag.article_created_at": """SELECT count(*) FROM article_tag
        JOIN article ON article.id = article_tag.article_id
        WHERE article_tag.article_created_at <> article.created_at""",
}

# (table, column, referenced table): the foreign keys should make every count 0; the
# check is that nothing (a missed cascade, a write outside a transaction) got past them.
REFERENCES = [
    ("favorite", "article_id", "article"),
    ("favorite", "user_id", "app_user"),
    ("comment", "article_id", "article"),
    ("comment", "author_id", "app_user"),
    ("article_tag", "article_id", "article"),
    ("article_tag", "tag_id", "tag"),
    ("article", "author_id", "app_user"),
    ("follow", "follower_id", "app_user"),
    ("follow", "followed_id", "app_user"),
    ("user_session", "user_id", "app_user"),
]


def orphan_query(table: str, column: str, target: str) -> str:
    return (
        f"SELECT count(*) FROM {table} WHERE NOT EXISTS "  # noqa: S608 (fixed names)
        f"(SELECT 1 FROM {target} WHERE {target}.id = {table}.{column})"
    )


async def data_problems(primary_url: str) -> list[str]:
    """Every disagreement found, as ``name: N rows``; empty when the data is sound."""
    conn = await asyncpg.connect(primary_url)
    try:
        columns = {
            (row["table_name"], row["column_name"])
            for row in await conn.fetch(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public'"
            )
        }
        problems = []
        for name, sql in COUNTERS.items():
            wrong = int(await conn.fetchval(sql))
            if wrong:
                problems.append(f"{name}: {wrong} rows differ from the real count")
        for table, column, target in REFERENCES:
            if (table, column) not in columns:
                problems.append(f"{table}.{column}: no such column (the check is out of date)")
                continue
            orphans = int(await conn.fetchval(orphan_query(table, column, target)))
            if orphans:
                problems.append(f"{table}.{column}: {orphans} rows point at no {target}")
        return problems
    finally:
        await conn.close()
