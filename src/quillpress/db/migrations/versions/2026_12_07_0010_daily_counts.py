"""Daily counts for the admin overview, kept by triggers, backfilled.

``daily_count(kind, day, count)``: for each UTC day, how many rows of a kind exist that
were created that day. Kinds: ``users``, ``articles``, ``comments`` (rows of those
tables by ``created_at``), ``sign_ins`` and ``lockouts`` (``audit_event`` rows with the
actions ``user.login`` and ``rate.lockout``, by ``at``) and ``live_sessions``
(``user_session`` rows not revoked, by ``created_at``). A kind's total over every day is
the table's total, so the overview reads its counts and its 30-day series from at most a
few thousand narrow rows instead of counting a million index entries per request.

Triggers keep it right for every writer, the use cases, ``quillpress seed``, raw SQL and
the cascades of a deleted account alike: an insert adds one to its row's day, a delete
takes one away (a deleted article no longer counts on the day it was written, as a
``GROUP BY`` over the table would say), a session's revocation takes it out of
``live_sessions``. Each writes with an atomic upsert (``count = count + delta``), so
concurrent writers cannot lose an update and a rollback takes the change back. Rows that
reach zero stay (a zero is a zero).

PostgreSQL: per statement with transition tables for the three content tables and the
audit log (a bulk ``INSERT … VALUES`` or ``COPY`` pays one grouped upsert, not one per
row; days in order, so two writers lock them in the same order); per row for sessions
(the update trigger needs the old and new ``revoked_at`` together). A loader that turns
triggers off (``session_replication_role = replica``, as ``bench/bulk.py`` does) must
rebuild the counts itself. SQLite: per row.

``created_at`` never changes (the design notes), so no update trigger follows it.

The SQL is frozen here (a migration is history). The downgrade drops all of it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 10:00:00
"""

# ruff: noqa: S608  (statements assembled from this file's own constants, no input)
from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

CONTENT = {"app_user": "users", "article": "articles", "comment": "comments"}
"""Tables counted by ``created_at``, and their kind."""
AUDIT_KINDS = {"user.login": "sign_ins", "rate.lockout": "lockouts"}
ACTIONS = ", ".join(f"'{action}'" for action in AUDIT_KINDS)
AUDIT_KIND = (
    "CASE {a}.action "
    + " ".join(f"WHEN '{action}' THEN '{kind}'" for action, kind in AUDIT_KINDS.items())
    + " END"
)

UPSERT = "ON CONFLICT (kind, day) DO UPDATE SET count = daily_count.count + excluded.count"

PG_DAY = "(({}) AT TIME ZONE 'UTC')::date"
POSTGRES_TABLE = """CREATE TABLE daily_count (
    kind varchar(16) NOT NULL,
    day date NOT NULL,
    count bigint NOT NULL,
    CONSTRAINT pk_daily_count PRIMARY KEY (kind, day)
)"""

POSTGRES = [
    POSTGRES_TABLE,
    # TG_ARGV[0]: the kind. One function for the inserted (NEW TABLE) and the deleted
    # (OLD TABLE) rows: both triggers name their transition table ``changed``.
    f"""CREATE FUNCTION daily_count_on_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO daily_count (kind, day, count)
        SELECT TG_ARGV[0], {PG_DAY.format("created_at")},
               CASE WHEN TG_OP = 'INSERT' THEN count(*) ELSE -count(*) END
        FROM changed GROUP BY 2 ORDER BY 2
        {UPSERT};
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION daily_count_on_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO daily_count (kind, day, count)
        SELECT {AUDIT_KIND.format(a="changed")}, {PG_DAY.format("at")},
               CASE WHEN TG_OP = 'INSERT' THEN count(*) ELSE -count(*) END
        FROM changed WHERE action IN ({ACTIONS}) GROUP BY 1, 2 ORDER BY 1, 2
        {UPSERT};
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION daily_count_on_session() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        row_day date;
        delta integer;
    BEGIN
        IF TG_OP = 'DELETE' THEN
            row_day := {PG_DAY.format("OLD.created_at")};
            delta := -1;
        ELSE
            row_day := {PG_DAY.format("NEW.created_at")};
            delta := CASE WHEN NEW.revoked_at IS NULL THEN 1 ELSE -1 END;
        END IF;
        INSERT INTO daily_count (kind, day, count) VALUES ('live_sessions', row_day, delta)
        {UPSERT};
        RETURN NULL;
    END $$""",
    *(
        statement
        for table, kind in CONTENT.items()
        for statement in (
            f"""CREATE TRIGGER daily_count_insert AFTER INSERT ON {table}
            REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
            EXECUTE FUNCTION daily_count_on_rows('{kind}')""",
            f"""CREATE TRIGGER daily_count_delete AFTER DELETE ON {table}
            REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
            EXECUTE FUNCTION daily_count_on_rows('{kind}')""",
        )
    ),
    """CREATE TRIGGER daily_count_insert AFTER INSERT ON audit_event
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION daily_count_on_audit()""",
    """CREATE TRIGGER daily_count_delete AFTER DELETE ON audit_event
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION daily_count_on_audit()""",
    """CREATE TRIGGER daily_count_insert AFTER INSERT ON user_session
    FOR EACH ROW WHEN (NEW.revoked_at IS NULL) EXECUTE FUNCTION daily_count_on_session()""",
    """CREATE TRIGGER daily_count_delete AFTER DELETE ON user_session
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL) EXECUTE FUNCTION daily_count_on_session()""",
    """CREATE TRIGGER daily_count_revoke AFTER UPDATE OF revoked_at ON user_session
    FOR EACH ROW WHEN ((OLD.revoked_at IS NULL) <> (NEW.revoked_at IS NULL))
    EXECUTE FUNCTION daily_count_on_session()""",
]

POSTGRES_DOWN = [
    *(
        f"DROP TRIGGER daily_count_{event} ON {table}"
        for table in (*CONTENT, "audit_event")
        for event in ("insert", "delete")
    ),
    "DROP TRIGGER daily_count_insert ON user_session",
    "DROP TRIGGER daily_count_delete ON user_session",
    "DROP TRIGGER daily_count_revoke ON user_session",
    "DROP FUNCTION daily_count_on_session()",
    "DROP FUNCTION daily_count_on_audit()",
    "DROP FUNCTION daily_count_on_rows()",
    "DROP TABLE daily_count",
]

SQLITE_TABLE = """CREATE TABLE daily_count (
    kind VARCHAR(16) NOT NULL,
    day DATE NOT NULL,
    count BIGINT NOT NULL,
    CONSTRAINT pk_daily_count PRIMARY KEY (kind, day)
)"""


def _sqlite_bump(kind: str, day: str, delta: str) -> str:
    return f"INSERT INTO daily_count (kind, day, count) VALUES ({kind}, date({day}), {delta}) " + (
        "ON CONFLICT (kind, day) DO UPDATE SET count = count + excluded.count;"
    )


REVOKED_DELTA = "CASE WHEN new.revoked_at IS NULL THEN 1 ELSE -1 END"

SQLITE = [
    SQLITE_TABLE,
    *(
        statement
        for table, kind in CONTENT.items()
        for statement in (
            f"""CREATE TRIGGER daily_count_{table}_insert AFTER INSERT ON {table} BEGIN
            {_sqlite_bump(f"'{kind}'", "new.created_at", "1")}
            END""",
            f"""CREATE TRIGGER daily_count_{table}_delete AFTER DELETE ON {table} BEGIN
            {_sqlite_bump(f"'{kind}'", "old.created_at", "-1")}
            END""",
        )
    ),
    f"""CREATE TRIGGER daily_count_audit_event_insert AFTER INSERT ON audit_event
    WHEN new.action IN ({ACTIONS}) BEGIN
    {_sqlite_bump(AUDIT_KIND.format(a="new"), "new.at", "1")}
    END""",
    f"""CREATE TRIGGER daily_count_audit_event_delete AFTER DELETE ON audit_event
    WHEN old.action IN ({ACTIONS}) BEGIN
    {_sqlite_bump(AUDIT_KIND.format(a="old"), "old.at", "-1")}
    END""",
    f"""CREATE TRIGGER daily_count_user_session_insert AFTER INSERT ON user_session
    WHEN new.revoked_at IS NULL BEGIN
    {_sqlite_bump("'live_sessions'", "new.created_at", "1")}
    END""",
    f"""CREATE TRIGGER daily_count_user_session_delete AFTER DELETE ON user_session
    WHEN old.revoked_at IS NULL BEGIN
    {_sqlite_bump("'live_sessions'", "old.created_at", "-1")}
    END""",
    f"""CREATE TRIGGER daily_count_user_session_revoke AFTER UPDATE OF revoked_at ON user_session
    WHEN (old.revoked_at IS NULL) <> (new.revoked_at IS NULL) BEGIN
    {_sqlite_bump("'live_sessions'", "new.created_at", REVOKED_DELTA)}
    END""",
]

SQLITE_DOWN = [
    *(
        f"DROP TRIGGER daily_count_{table}_{event}"
        for table in (*CONTENT, "audit_event", "user_session")
        for event in ("insert", "delete")
    ),
    "DROP TRIGGER daily_count_user_session_revoke",
    "DROP TABLE daily_count",
]


def _backfill(day: str) -> str:
    """Every kind from the rows, as the triggers would have counted them one by one."""
    parts = [
        f"SELECT '{kind}' AS kind, {day.format('created_at')} AS day FROM {table}"
        for table, kind in CONTENT.items()
    ]
    parts.append(
        f"SELECT {AUDIT_KIND.format(a='audit_event')}, {day.format('at')} FROM audit_event "
        f"WHERE action IN ({ACTIONS})"
    )
    parts.append(
        f"SELECT 'live_sessions', {day.format('created_at')} FROM user_session "
        "WHERE revoked_at IS NULL"
    )
    return (
        "INSERT INTO daily_count (kind, day, count) SELECT kind, day, count(*) FROM ("
        + " UNION ALL ".join(parts)
        + ") AS created GROUP BY kind, day"
    )


def _run(statements: list[str]) -> None:
    bind = op.get_bind()
    for statement in statements:
        bind.exec_driver_sql(statement)


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        _run([*POSTGRES, _backfill(PG_DAY)])
    else:
        _run([*SQLITE, _backfill("date({})")])


def downgrade() -> None:
    _run(POSTGRES_DOWN if op.get_context().dialect.name == "postgresql" else SQLITE_DOWN)
