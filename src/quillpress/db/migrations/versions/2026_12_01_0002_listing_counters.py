"""Listing counters: totals the writes maintain, so no list counts its table.

``tag.articles_count``, ``app_user.articles_count`` / ``favorites_count``,
``article.favorites_count`` and the ``counter`` table's ``articles`` row, backfilled
from the existing rows; an index serving ``GET /api/tags`` (most used first, by name).

The backfill is frozen SQL here rather than a call to ``repositories.counters.recount``:
a migration is history and must keep meaning what it meant when later code changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COUNTERS = {
    "app_user": ("articles_count", "favorites_count"),
    "article": ("favorites_count",),
    "tag": ("articles_count",),
}

BACKFILL = [
    "UPDATE tag SET articles_count = "
    "(SELECT count(*) FROM article_tag WHERE article_tag.tag_id = tag.id)",
    "UPDATE app_user SET "
    "articles_count = (SELECT count(*) FROM article WHERE article.author_id = app_user.id), "
    "favorites_count = (SELECT count(*) FROM favorite WHERE favorite.user_id = app_user.id)",
    "UPDATE article SET favorites_count = "
    "(SELECT count(*) FROM favorite WHERE favorite.article_id = article.id)",
    "INSERT INTO counter (name, value) SELECT 'articles', count(*) FROM article",
]


def upgrade() -> None:
    for table, columns in COUNTERS.items():
        with op.batch_alter_table(table, recreate="never") as batch:
            for column in columns:
                batch.add_column(
                    sa.Column(column, sa.Integer(), server_default="0", nullable=False)
                )
    op.create_table(
        "counter",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counter")),
    )
    for statement in BACKFILL:
        op.execute(statement)
    op.create_index(
        "ix_tag_articles_count_name",
        "tag",
        [sa.literal_column("articles_count DESC"), "name"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_tag_articles_count_name", table_name="tag")
    op.drop_table("counter")
    for table, columns in COUNTERS.items():
        # Never recreate these tables on SQLite: dropping the old copy of ``article`` or
        # ``app_user`` with foreign keys on would cascade-delete every favorite, comment
        # and tag link. SQLite ≥ 3.35 drops an unindexed column in place.
        with op.batch_alter_table(table, recreate="never") as batch:
            for column in columns:
                batch.drop_column(column)
