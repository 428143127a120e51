"""Normalised email: ``app_user.email_normalized``, the form every comparison uses.

``email`` stays as the user gave it; ``email_normalized`` is
``quillpress.domain.emails.normalized_email(email)`` (NFKC, trimmed, case folded), unique,
replacing the unique index on ``lower(email)``. Comparing through each database's
``lower()`` let PostgreSQL match ``İ`` to ``i`` while the rate limiter, keyed in Python,
counted every such spelling apart: a locked account could be signed into through a
variant of its address.

The backfill calls the application's own function on purpose (where migration 0002
froze its SQL): the column is only useful if it equals what the code computes for a
login. Should the rule ever change, a new migration recomputes the column.

**Addresses that collide.** Two accounts whose addresses differed under ``lower()`` but
are one address now (``straße@…`` and ``strasse@…``; ``ann@…`` in fullwidth letters and
in plain ones) cannot both hold the normalised value. The migration does not fail on
them: the oldest account (lowest id) keeps it, every other one gets the marker
``COLLIDES:<id>:<normalised>`` (unique per row, and never a real normalised value, which
has no ASCII capital letter), and each group is logged as a WARNING on
``quillpress.migrations`` naming the addresses and ids. A marked account keeps its data
but cannot be found by its address (a login with it reaches the oldest account) until an
operator gives one of the two a distinct address::

    UPDATE app_user SET email = 'new@example.com', email_normalized = 'new@example.com'
    WHERE id = <id>;

(the normalised form of a plain lower-case ASCII address is the address itself).

SQLite cannot add a ``NOT NULL`` column without a default to an existing table (and
rebuilding ``app_user`` would cascade-delete through its foreign keys), so the column is
added with ``DEFAULT ''`` and backfilled; PostgreSQL then drops the default, SQLite keeps
it (every write of the application sets the column).

Downgrade drops the column and restores ``lower(email)``'s unique index, which fails if
accounts registered since then collide under ``lower()``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import logging
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from quillpress.domain.emails import normalized_email

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

log = logging.getLogger("quillpress.migrations")

COLLISION_MARKER = "COLLIDES:{id}:{normalized}"
APP_USER = sa.table("app_user", sa.column("id"), sa.column("email"), sa.column("email_normalized"))


def upgrade() -> None:
    with op.batch_alter_table("app_user", recreate="never") as batch:
        batch.add_column(
            sa.Column("email_normalized", sa.Text(), server_default=sa.text("''"), nullable=False)
        )
    _backfill(op.get_bind())
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("app_user", "email_normalized", server_default=None)
    op.drop_index("uq_app_user_email_lower", table_name="app_user")
    op.create_index("uq_app_user_email_normalized", "app_user", ["email_normalized"], unique=True)


def _backfill(bind: sa.Connection) -> None:
    rows = bind.execute(sa.select(APP_USER.c.id, APP_USER.c.email).order_by(APP_USER.c.id))
    groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
    values = []
    for row_id, email in rows:
        normalized = normalized_email(email)
        group = groups[normalized]
        group.append((row_id, email))
        if len(group) > 1:
            normalized = COLLISION_MARKER.format(id=row_id, normalized=normalized)
        values.append({"row_id": row_id, "value": normalized})
    if values:
        bind.execute(
            sa.update(APP_USER)
            .where(APP_USER.c.id == sa.bindparam("row_id"))
            .values(email_normalized=sa.bindparam("value")),
            values,
        )
    for normalized, group in groups.items():
        if len(group) > 1:
            (kept_id, kept), *others = group
            log.warning(
                "migration 0006: %d accounts share the address %r once normalised: %s "
                "(id %d) keeps it; marked COLLIDES:<id>:…, not found by address until "
                "given another one: %s",
                len(group),
                normalized,
                kept,
                kept_id,
                ", ".join(f"{email} (id {row_id})" for row_id, email in others),
                extra={"normalized": normalized, "kept_id": kept_id, "ids": [i for i, _ in group]},
            )


def downgrade() -> None:
    op.drop_index("uq_app_user_email_normalized", table_name="app_user")
    with op.batch_alter_table("app_user", recreate="never") as batch:
        batch.drop_column("email_normalized")
    op.create_index(
        "uq_app_user_email_lower", "app_user", [sa.literal_column("lower(email)")], unique=True
    )
