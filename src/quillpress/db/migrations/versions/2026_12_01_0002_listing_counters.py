"""Listing counters: totals the writes maintain, so no list counts its table.

``tag.articles_count``, ``app_user.articles_count`` / ``favorites_count``,
``article.favorites_count`` and the ``counter`` table's ``articles`` row, backfilled
from the existing rows; an index serving ``GET /api/tags`` (most used first, by name).
``article_tag.article_created_at`` (a copy of the article's immutable ``created_at``) and
an index on ``(tag_id, article_created_at, article_id)`` that pages a tag's articles
newest first, replacing ``(tag_id, article_id)``.

The backfill is frozen SQL here rather than a call to ``repositories.counters.recount``:
a migration is history and must keep meaning what it meant when later code changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import warnings

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


CREATED_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    _copy_created_at_to_article_tag()
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


def _copy_created_at_to_article_tag() -> None:
    op.drop_index("ix_article_tag_tag_id_article_id", table_name="article_tag")
    with op.batch_alter_table("article_tag", recreate="never") as batch:
        batch.add_column(sa.Column("article_created_at", CREATED_AT, nullable=True))
    op.execute(
        "UPDATE article_tag SET article_created_at = "
        "(SELECT created_at FROM article WHERE article.id = article_tag.article_id)"
    )
    # On SQLite this recreates article_tag: safe, as no table refers to it. Reflecting it
    # reflects app_user too, whose expression indexes SQLAlchemy skips (and says so).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        with op.batch_alter_table("article_tag") as batch:
            batch.alter_column("article_created_at", existing_type=CREATED_AT, nullable=False)
    op.create_index(
        "ix_article_tag_tag_id_created_at_id",
        "article_tag",
        ["tag_id", "article_created_at", "article_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_article_tag_tag_id_created_at_id", table_name="article_tag")
    with op.batch_alter_table("article_tag", recreate="never") as batch:
        batch.drop_column("article_created_at")
    op.create_index(
        "ix_article_tag_tag_id_article_id", "article_tag", ["tag_id", "article_id"], unique=False
    )
    op.drop_index("ix_tag_articles_count_name", table_name="tag")
    op.drop_table("counter")
    for table, columns in COUNTERS.items():
        # Never recreate these tables on SQLite: dropping the old copy of ``article`` or
        # ``app_user`` with foreign keys on would cascade-delete every favorite, comment
        # and tag link. SQLite ≥ 3.35 drops an unindexed column in place.
        with op.batch_alter_table(table, recreate="never") as batch:
            for column in columns:
                batch.drop_column(column)
