"""Idempotency keys: a create's ``Idempotency-Key`` and the row it created.

One row per (user, operation, key), written in the create's own transaction; pruned after
``QUILLPRESS_IDEMPOTENCY_TTL_HOURS``. A new table only: nothing existing changes, and a
downgrade drops it (retries sent after that run again, as before this revision).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
IdType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "idempotency_key",
        sa.Column("id", IdType, nullable=False),
        sa.Column("user_id", IdType, nullable=False),
        sa.Column("operation", sa.String(32), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("result_id", IdType, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name="fk_idempotency_key_user_id_app_user",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_idempotency_key"),
    )
    op.create_index(
        "uq_idempotency_key_user_operation_key",
        "idempotency_key",
        ["user_id", "operation", "key"],
        unique=True,
    )
    op.create_index("ix_idempotency_key_expires_at", "idempotency_key", ["expires_at"])


def downgrade() -> None:
    op.drop_table("idempotency_key")
