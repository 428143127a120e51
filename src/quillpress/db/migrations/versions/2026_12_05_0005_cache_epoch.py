"""The epoch table: one row holding a random token every instance polls.

``cache_epoch`` has one row (``id = 1``) whose ``token`` is part of every cache key.
Bumping it (a new random token) makes every older cache entry unreachable at once, on
every instance, within the interval they read it at.

Tokens are random, never a counter: a database restored from a backup moves the token
back to one that was current then, and instances compare for inequality, so a restore is
a change too, and a later bump can never repeat a token older entries were keyed with.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 06:45:00
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    table = op.create_table(
        "cache_epoch",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("bumped_at", Timestamp, nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_cache_epoch_single_row")),
        sa.PrimaryKeyConstraint("id", name="pk_cache_epoch"),
    )
    op.bulk_insert(
        table, [{"id": 1, "token": secrets.token_hex(8), "bumped_at": datetime.now(UTC)}]
    )


def downgrade() -> None:
    op.drop_table("cache_epoch")
