"""Full-text search: an index of every article, kept in step by triggers, backfilled.

PostgreSQL: ``article_search`` holds one weighted ``tsvector`` per article (title A, tags
and the author's username B, description C, body D) with a GIN index, and the article's
``created_at`` (the candidate order of a search, see ``repositories.search``). It is a
narrow table of its own rather than a column of ``article``: the vectors are pushed out of
line (``toast_tuple_target = 128``), so counting and ordering matches reads a few pages,
and the article rows every list reads do not grow. Triggers keep it in step: on
``article`` (insert; a changed title, description or body), on ``article_tag`` (per
statement: the tags an article gained or lost) and on ``app_user`` (a rename re-indexes
the author's articles in the rename's transaction); a deleted article's row cascades.
``search_config`` holds the text search configuration (the language) the vectors are
built with, which queries read too, so the two cannot disagree.

``search_word`` collects the words of titles (suggestions: "did you mean"), and, when the
``pg_trgm`` extension can be created (trusted since PostgreSQL 13: a database owner may),
a trigram GiST index serves nearest-word lookups on it. Without the extension search works
and suggestions are off (one log line at run time, never an error).

SQLite: ``article_fts``, an FTS5 table (porter stemmer over unicode61, diacritics kept as
PostgreSQL's ``english`` keeps them) with the same fields; the body is split into its first
10,240 characters (the part snippets are cut from) and the rest, both weighted as body.
Triggers on the same three tables keep it in step. A later migration that *recreates*
``article``, ``article_tag`` or ``app_user`` (Alembic batch mode) drops their triggers
with the old table and must create them again.

Both: the text the index reads has the highlight sentinels (``domain.highlight``, U+E000
and U+E001) removed, so no article can forge a ``<mark>``.

The SQL is frozen here (a migration is history). The downgrade drops all of it and leaves
``pg_trgm`` installed (something else may use it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 10:00:00
"""

# ruff: noqa: S608  (statements assembled from this file's own constants, no input)
from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

log = logging.getLogger("quillpress.search")

LANGUAGE = "english"

POSTGRES = [
    """CREATE TABLE search_config (
        id integer PRIMARY KEY CONSTRAINT ck_search_config_single_row CHECK (id = 1),
        language regconfig NOT NULL
    )""",
    f"INSERT INTO search_config (id, language) VALUES (1, '{LANGUAGE}')",
    """CREATE TABLE article_search (
        article_id bigint NOT NULL,
        created_at timestamp with time zone NOT NULL,
        document tsvector NOT NULL,
        CONSTRAINT pk_article_search PRIMARY KEY (article_id),
        CONSTRAINT fk_article_search_article_id_article FOREIGN KEY (article_id)
            REFERENCES article (id) ON DELETE CASCADE
    ) WITH (toast_tuple_target = 128)""",
    """CREATE TABLE search_word (
        word text NOT NULL,
        CONSTRAINT pk_search_word PRIMARY KEY (word)
    )""",
    # Text as the index and the headlines read it: no highlight sentinels, and angle
    # brackets as two other private-use characters, separators like them (PostgreSQL's
    # parser would skip what looks like markup, and the inside of a <script>; a headline
    # shows them again, escaped: domain.highlight).
    """CREATE FUNCTION search_text(p_text text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT translate(p_text, U&'<>\\E000\\E001', U&'\\E002\\E003')
    $$""",
    # The indexed text of one article, weighted: title A, tags and author B,
    # description C, body D. The language comes in as a one-row scalar subquery, not a
    # join with search_config: that table has no statistics, and the planner's default
    # guess of 2,260 rows made each call costly enough to JIT-compile (0.3 s a call).
    """CREATE FUNCTION article_search_document(p_article_id bigint) RETURNS tsvector
    LANGUAGE sql STABLE AS $$
        SELECT setweight(to_tsvector(c.language, search_text(a.title)), 'A')
            || setweight(to_tsvector(c.language, coalesce((
                    SELECT string_agg(t.name, ' ' ORDER BY at.position)
                    FROM article_tag AS at JOIN tag AS t ON t.id = at.tag_id
                    WHERE at.article_id = a.id), '') || ' ' || u.username), 'B')
            || setweight(to_tsvector(c.language, search_text(a.description)), 'C')
            || setweight(to_tsvector(c.language, search_text(a.body)), 'D')
        FROM article AS a JOIN app_user AS u ON u.id = a.author_id
        CROSS JOIN (SELECT (SELECT language FROM search_config) AS language) AS c
        WHERE a.id = p_article_id
    $$""",
    # The words of a title a suggestion may offer (letters or digits, not only digits).
    """CREATE FUNCTION search_title_words(p_title text) RETURNS SETOF text
    LANGUAGE sql STABLE AS $$
        SELECT DISTINCT w FROM regexp_split_to_table(lower(p_title), '[^[:alnum:]]+') AS w
        WHERE length(w) BETWEEN 3 AND 40 AND w !~ '^[0-9]+$'
    $$""",
    """CREATE FUNCTION article_search_on_article() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO article_search (article_id, created_at, document)
            VALUES (NEW.id, NEW.created_at, article_search_document(NEW.id));
            INSERT INTO search_word (word)
            SELECT w FROM search_title_words(NEW.title) AS w ON CONFLICT DO NOTHING;
        ELSE
            UPDATE article_search SET document = article_search_document(NEW.id)
            WHERE article_id = NEW.id;
            IF NEW.title IS DISTINCT FROM OLD.title THEN
                INSERT INTO search_word (word)
                SELECT w FROM search_title_words(NEW.title) AS w ON CONFLICT DO NOTHING;
            END IF;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER article_search_insert AFTER INSERT ON article
    FOR EACH ROW EXECUTE FUNCTION article_search_on_article()""",
    """CREATE TRIGGER article_search_update AFTER UPDATE OF title, description, body ON article
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title
        OR OLD.description IS DISTINCT FROM NEW.description
        OR OLD.body IS DISTINCT FROM NEW.body)
    EXECUTE FUNCTION article_search_on_article()""",
    # Per statement: an article's tags are replaced by one DELETE and one INSERT. A
    # cascade from a deleted article finds no article left to re-index.
    """CREATE FUNCTION article_search_on_tags() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE article_search AS s SET document = article_search_document(s.article_id)
        WHERE s.article_id IN (SELECT DISTINCT article_id FROM changed)
          AND EXISTS (SELECT 1 FROM article AS a WHERE a.id = s.article_id);
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER article_search_tags_insert AFTER INSERT ON article_tag
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION article_search_on_tags()""",
    """CREATE TRIGGER article_search_tags_delete AFTER DELETE ON article_tag
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION article_search_on_tags()""",
    """CREATE FUNCTION article_search_on_rename() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE article_search AS s SET document = article_search_document(s.article_id)
        FROM article AS a WHERE a.id = s.article_id AND a.author_id = NEW.id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER article_search_rename AFTER UPDATE OF username ON app_user
    FOR EACH ROW WHEN (OLD.username IS DISTINCT FROM NEW.username)
    EXECUTE FUNCTION article_search_on_rename()""",
    # Backfill, then the index (faster than maintaining it row by row).
    """INSERT INTO article_search (article_id, created_at, document)
    SELECT id, created_at, article_search_document(id) FROM article""",
    """INSERT INTO search_word (word)
    SELECT DISTINCT w FROM article, search_title_words(article.title) AS w""",
    "CREATE INDEX ix_article_search_document ON article_search USING gin (document)",
]

POSTGRES_TRIGRAMS = [
    "CREATE INDEX ix_search_word_trgm ON search_word USING gist (word gist_trgm_ops)",
]

POSTGRES_DOWN = [
    "DROP TRIGGER article_search_rename ON app_user",
    "DROP TRIGGER article_search_tags_delete ON article_tag",
    "DROP TRIGGER article_search_tags_insert ON article_tag",
    "DROP TRIGGER article_search_update ON article",
    "DROP TRIGGER article_search_insert ON article",
    "DROP FUNCTION article_search_on_rename()",
    "DROP FUNCTION article_search_on_tags()",
    "DROP FUNCTION article_search_on_article()",
    "DROP FUNCTION search_title_words(text)",
    "DROP FUNCTION article_search_document(bigint)",
    "DROP FUNCTION search_text(text)",
    "DROP TABLE search_word",
    "DROP TABLE article_search",
    "DROP TABLE search_config",
]

CLEAN = "replace(replace({}, char(57344), ''), char(57345), '')"  # the sentinels
TAGS_OF = (
    "coalesce((SELECT group_concat(t.name, ' ') FROM article_tag AS at"
    " JOIN tag AS t ON t.id = at.tag_id WHERE at.article_id = {}), '')"
)
SQLITE_ROW = (
    f"{CLEAN.format('{a}.title')}, {TAGS_OF.format('{a}.id')}, "
    "(SELECT username FROM app_user WHERE id = {a}.author_id), {a}.description, "
    f"{CLEAN.format('substr({a}.body, 1, 10240)')}, substr({{a}}.body, 10241)"
)
FTS_COLUMNS = "title, tags, author, description, body_lead, body_rest"

SQLITE = [
    """CREATE TABLE search_config (
        id INTEGER NOT NULL CONSTRAINT ck_search_config_single_row CHECK (id = 1),
        language TEXT NOT NULL,
        CONSTRAINT pk_search_config PRIMARY KEY (id)
    )""",
    f"INSERT INTO search_config (id, language) VALUES (1, '{LANGUAGE}')",
    f"""CREATE VIRTUAL TABLE article_fts USING fts5({FTS_COLUMNS},
        tokenize = 'porter unicode61 remove_diacritics 0')""",
    f"""CREATE TRIGGER article_fts_insert AFTER INSERT ON article BEGIN
        INSERT INTO article_fts (rowid, {FTS_COLUMNS})
        SELECT new.id, {SQLITE_ROW.format(a="new")};
    END""",
    f"""CREATE TRIGGER article_fts_update AFTER UPDATE OF title, description, body ON article
    BEGIN
        UPDATE article_fts SET title = {CLEAN.format("new.title")},
            description = new.description,
            body_lead = {CLEAN.format("substr(new.body, 1, 10240)")},
            body_rest = substr(new.body, 10241)
        WHERE rowid = new.id;
    END""",
    """CREATE TRIGGER article_fts_delete AFTER DELETE ON article BEGIN
        DELETE FROM article_fts WHERE rowid = old.id;
    END""",
    f"""CREATE TRIGGER article_fts_tags_insert AFTER INSERT ON article_tag BEGIN
        UPDATE article_fts SET tags = {TAGS_OF.format("new.article_id")}
        WHERE rowid = new.article_id;
    END""",
    f"""CREATE TRIGGER article_fts_tags_delete AFTER DELETE ON article_tag BEGIN
        UPDATE article_fts SET tags = {TAGS_OF.format("old.article_id")}
        WHERE rowid = old.article_id;
    END""",
    """CREATE TRIGGER article_fts_rename AFTER UPDATE OF username ON app_user
    WHEN old.username IS NOT new.username BEGIN
        UPDATE article_fts SET author = new.username
        WHERE rowid IN (SELECT id FROM article WHERE author_id = new.id);
    END""",
    f"""INSERT INTO article_fts (rowid, {FTS_COLUMNS})
    SELECT a.id, {SQLITE_ROW.format(a="a")} FROM article AS a""",
]

SQLITE_DOWN = [
    "DROP TRIGGER article_fts_rename",
    "DROP TRIGGER article_fts_tags_delete",
    "DROP TRIGGER article_fts_tags_insert",
    "DROP TRIGGER article_fts_delete",
    "DROP TRIGGER article_fts_update",
    "DROP TRIGGER article_fts_insert",
    "DROP TABLE article_fts",
    "DROP TABLE search_config",
]


def _run(statements: list[str]) -> None:
    """As written: the SQL holds colons (``[:alnum:]``) that ``text()`` would bind."""
    bind = op.get_bind()
    for statement in statements:
        bind.exec_driver_sql(statement)


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        _run(SQLITE)
        return
    _run(POSTGRES)
    if _trigrams():
        _run(POSTGRES_TRIGRAMS)


def _trigrams() -> bool:
    """Whether ``pg_trgm`` is (now) installed: created here if it can be, in a savepoint,
    so a refusal (no privilege, not shipped) leaves the migration going."""
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        log.warning("pg_trgm cannot be installed (%s): search suggestions will be off", reason)
        return False
    return True


def downgrade() -> None:
    _run(POSTGRES_DOWN if op.get_context().dialect.name == "postgresql" else SQLITE_DOWN)
