"""Server-side sessions: ``user_session``, one row per sign-in, named by the access
token's ``sid`` claim; rows cascade with their user.

Tokens issued before this revision carry no ``sid`` and are refused after the upgrade:
signing in again is the price of revocation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 22:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

IdType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", IdType, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("last_seen_at", Timestamp, nullable=False),
        sa.Column("user_agent", sa.String(512), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("revoked_at", Timestamp, nullable=True),
        sa.Column("refresh_hash", sa.String(64), nullable=True),
        sa.Column("previous_refresh_hash", sa.String(64), nullable=True),
        sa.Column("rotated_at", Timestamp, nullable=True),
        sa.Column("refreshed_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name="fk_user_session_user_id_app_user",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_user_session"),
    )
    op.create_index("ix_user_session_user_id_created_at", "user_session", ["user_id", "created_at"])
    op.create_index("uq_user_session_refresh_hash", "user_session", ["refresh_hash"], unique=True)
    op.create_index(
        "ix_user_session_previous_refresh_hash", "user_session", ["previous_refresh_hash"]
    )


def downgrade() -> None:
    op.drop_table("user_session")
