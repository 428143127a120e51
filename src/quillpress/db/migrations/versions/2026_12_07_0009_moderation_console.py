"""The moderation console's twins: ``app_user.ban_reason`` (why the ban in force was
given: set with the ban, cleared by the unban), an index paging every comment of the
site newest first (the admin comment list), and one finding the audit rows about a
target (case-insensitive, newest first: a user's page in the console).

``ban_reason`` is added in place (``ALTER TABLE … ADD COLUMN`` on both databases):
recreating ``app_user`` on SQLite would drop the search triggers of 0008 with it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("ban_reason", sa.String(500), nullable=True))
    op.create_index("ix_comment_created_at_id", "comment", ["created_at", "id"])
    op.create_index(
        "ix_audit_event_target_lower_at", "audit_event", [sa.text("lower(target)"), "at"]
    )


def downgrade() -> None:
    op.drop_index("ix_audit_event_target_lower_at", table_name="audit_event")
    op.drop_index("ix_comment_created_at_id", table_name="comment")
    # In place (SQLite ≥ 3.35 drops an unindexed column so): never recreate ``app_user``.
    with op.batch_alter_table("app_user", recreate="never") as batch:
        batch.drop_column("ban_reason")
