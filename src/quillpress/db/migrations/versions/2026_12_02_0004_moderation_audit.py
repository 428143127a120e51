"""Moderation and the audit log: ``app_user.banned`` and ``last_login_at``, an index
paging users newest first (the admin list), and the ``audit_event`` table with indexes
for the admin filters (newest first; by actor; by action).

``audit_event.actor_id`` is set to null when the account is deleted (the row is kept);
``actor`` is a snapshot of the username at the time, so the record still says who it was.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

IdType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("app_user", recreate="never") as batch:
        batch.add_column(
            sa.Column("banned", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("last_login_at", Timestamp, nullable=True))
    op.create_index("ix_app_user_created_at_id", "app_user", ["created_at", "id"])
    op.create_table(
        "audit_event",
        sa.Column("id", IdType, nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("actor_id", IdType, nullable=True),
        sa.Column("actor", sa.String(40), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(300), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(512), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('success', 'failure')", name=op.f("ck_audit_event_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["app_user.id"],
            name="fk_audit_event_actor_id_app_user",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audit_event"),
    )
    op.create_index("ix_audit_event_at_id", "audit_event", ["at", "id"])
    op.create_index("ix_audit_event_actor_lower_at", "audit_event", [sa.text("lower(actor)"), "at"])
    op.create_index("ix_audit_event_action_at", "audit_event", ["action", "at"])
    op.create_index("ix_audit_event_actor_id", "audit_event", ["actor_id"])


def downgrade() -> None:
    op.drop_table("audit_event")
    op.drop_index("ix_app_user_created_at_id", table_name="app_user")
    # Never recreate ``app_user`` on SQLite: dropping the old copy with foreign keys on
    # would cascade-delete every article, comment and session. SQLite ≥ 3.35 drops an
    # unindexed column in place.
    with op.batch_alter_table("app_user", recreate="never") as batch:
        batch.drop_column("last_login_at")
        batch.drop_column("banned")
