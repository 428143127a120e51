"""Migration 0006 (``app_user.email_normalized``) on SQLite and PostgreSQL: every row
backfilled with ``domain.emails.normalized_email``; addresses that are one address once
normalised do not fail the migration: the oldest account keeps the value, the others get
a unique marker, and each group is logged naming the addresses; then the unique index
holds. Down and up again."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from quillpress.db import migrate
from tests.db.migrated import database_at
from tests.limiting import Records

AT = datetime(2026, 1, 1, tzinfo=UTC)

# Distinct under the old unique index on lower(email), on both databases.
ROWS = [
    (1, "strasse@example.com"),
    (2, "Bob@Example.COM"),
    (3, "straße@example.com"),  # strasse@ once normalised: collides with 1
    (4, "\uff41nn@example.com"),  # fullwidth a: the oldest of the ann@ group
    (5, "ann@example.com"),
    (6, "  STRASSE@example.com"),  # a third of 1's group
    (7, "\ufb01ona@example.com"),  # the fi ligature, alone
]
EXPECTED = {
    1: "strasse@example.com",
    2: "bob@example.com",
    3: "COLLIDES:3:strasse@example.com",
    4: "ann@example.com",
    5: "COLLIDES:5:ann@example.com",
    6: "COLLIDES:6:strasse@example.com",
    7: "fiona@example.com",
}


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A database of its own at revision 0005, holding ``ROWS``."""
    async with database_at(request.param, tmp_path, "0005") as created:
        async with created.begin() as conn:
            for row_id, email in ROWS:
                await conn.execute(
                    text(
                        "INSERT INTO app_user (id, username, email, password_hash, created_at, "
                        "updated_at) VALUES (:id, :name, :email, 'x', :at, :at)"
                    ),
                    {"id": row_id, "name": f"user{row_id}", "email": email, "at": AT},
                )
        yield created


async def _rows(engine: AsyncEngine) -> dict[int, tuple[str, str]]:
    async with engine.connect() as conn:
        result = await conn.execute(text("SELECT id, email, email_normalized FROM app_user"))
        return {row.id: (row.email, row.email_normalized) for row in result}


async def _has_column(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        columns = await conn.run_sync(lambda sync: inspect(sync).get_columns("app_user"))
    return "email_normalized" in {column["name"] for column in columns}


async def test_colliding_addresses_are_reported_and_marked_not_a_failure(
    engine: AsyncEngine,
) -> None:
    records = Records()
    logger = logging.getLogger("quillpress.migrations")
    logger.addHandler(records)
    try:
        await migrate.upgrade(engine, "0006")
    finally:
        logger.removeHandler(records)

    rows = await _rows(engine)
    assert {row_id: normalized for row_id, (_, normalized) in rows.items()} == EXPECTED
    assert {row_id: email for row_id, (email, _) in rows.items()} == dict(ROWS)  # as given

    reports = sorted(records.messages(logging.WARNING))
    assert len(reports) == 2, reports
    ann, strasse = reports
    assert "'ann@example.com'" in ann
    assert "\uff41nn@example.com (id 4) keeps it" in ann
    assert "ann@example.com (id 5)" in ann
    assert "'strasse@example.com'" in strasse
    assert "strasse@example.com (id 1) keeps it" in strasse
    assert "straße@example.com (id 3)" in strasse
    assert "STRASSE@example.com (id 6)" in strasse

    with pytest.raises(IntegrityError):  # the unique index holds from now on
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO app_user (username, email, email_normalized, password_hash, "
                    "created_at, updated_at) VALUES ('x', 'ANN@example.com', "
                    "'ann@example.com', 'x', :at, :at)"
                ),
                {"at": AT},
            )


async def test_downgrade_restores_the_lower_email_index_and_upgrade_runs_again(
    engine: AsyncEngine,
) -> None:
    await migrate.upgrade(engine, "0006")
    await migrate.downgrade(engine, "0005")
    assert not await _has_column(engine)
    with pytest.raises(IntegrityError):  # lower(email) is unique again
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO app_user (username, email, password_hash, created_at, "
                    "updated_at) VALUES ('x', 'BOB@example.com', 'x', :at, :at)"
                ),
                {"at": AT},
            )
    await migrate.upgrade(engine, "0006")
    assert {row_id: n for row_id, (_, n) in (await _rows(engine)).items()} == EXPECTED
