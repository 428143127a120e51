"""Full-text search: a page of matches, ranked, counted and highlighted; suggestions.

The index is migration 0008's (``article_search`` on PostgreSQL, ``article_fts`` on SQLite),
kept in step by triggers, so a write is searchable when it commits. The query comes in
parsed (``domain.search``) and goes out in each database's syntax (``search_syntax``).

**PostgreSQL, one statement per page.** The matches are found once, through the GIN
index, as a materialized CTE of ``(id, created_at)``: a narrow table whose vectors live out
of line, so finding 50,000 matches reads their index entries and a few thousand small heap
pages, never a vector. The exact total is counted from it. Ranking is what costs (each
ranked match's vector is read and decompressed), so it is bounded: the newest
:data:`CANDIDATES` matches are ranked (``ts_rank``, weights A 1.0, B 0.4, C 0.2, D 0.1), and
any further matches follow them newest first. A query matching fewer articles than that,
which is every query but a common word's, is ordered purely by relevance, then recency.
Only the page's rows are decorated (author, counts, tags, viewer flags) and highlighted
(``ts_headline`` over the title and a window of :data:`SNIPPET_WINDOW` characters around
the match in the body's first :data:`SNIPPET_SOURCE`, with sentinel markers that
``domain.highlight`` turns into escaped HTML).

**SQLite, three statements.** FTS5 with ``bm25`` (the same weights, times ten) ranks every
match (SQLite is the small embedded default); tags come in a second statement as for
every list, the highlights in a third, for the page's rows only (FTS5's ``highlight`` and
``snippet`` only run inside a full-text query).

Every statement shape (filters, signed in or not, with bodies or not) is built once and
reused with bound parameters, as ``listings`` does.

Size: the PostgreSQL and SQLite statements sit side by side, so a change to one is made to
both."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    DateTime,
    Float,
    Integer,
    Text,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    null,
    select,
    table,
    text,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import CTE, Subquery

from quillpress.db import fastpath
from quillpress.db.models import Article
from quillpress.domain import highlight
from quillpress.domain.search import SearchQuery
from quillpress.repositories import search_syntax
from quillpress.repositories.listings import (
    ARTICLE_WIDTH,
    VIEWER,
    ArticleRow,
    Criteria,
    article_columns,
    conditions,
    tags_column,
    tags_of,
)

log = logging.getLogger("quillpress.search")

CANDIDATES = 1_000
"""PostgreSQL ranks at most this many matches, the newest; the rest follow newest first."""
SNIPPET_SOURCE = 10_240
"""Snippets are cut from the first this many characters of a body (migration 0008 splits
SQLite's indexed body at the same place)."""
SNIPPET_WORDS = 24
SNIPPET_WINDOW = 384
"""``ts_headline`` reads this many characters of a body, not :data:`SNIPPET_SOURCE`: its
cost is parsing and stemming what it is given (0.42 ms for a 3 KB body, 0.095 ms for 768
characters, 0.05 ms for 384), and a passage of :data:`SNIPPET_WORDS` words is about 150."""
SNIPPET_BEFORE = 160
"""How far before the match the window starts: room for the passage to reach back when the
match is near the end of the body (``ts_headline`` then ends the passage on it)."""
# A lexeme of the query's text form ('cach' & !'python'), not a negated one; '' is a quote.
LEXEME = "(?<!!)'((?:[^']|'')+)'"

_MARKS = f'StartSel="{highlight.START}", StopSel="{highlight.STOP}"'
TITLE_OPTIONS = f"HighlightAll=true, {_MARKS}"
# One passage (the fragment mode cut short bodies mid-sentence), from the first match on.
SNIPPET_OPTIONS = f"MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, {_MARKS}"

SEARCH = table(
    "article_search",
    column("article_id", Integer),
    column("created_at", DateTime(timezone=True)),
    column("document"),
)
CONFIG = table("search_config", column("language"))
FTS = table("article_fts", column("rowid", Integer))
FTS_NAME: Any = literal_column("article_fts")
FTS_WEIGHTS = (10.0, 4.0, 4.0, 2.0, 1.0, 1.0)  # title, tags, author, description, body (2)
FTS_TITLE, FTS_BODY_LEAD = 0, 4


@dataclass(frozen=True, slots=True)
class Found:
    """A page of matches: rows as ``listings`` returns them, with each one's rank, tags,
    the total, and each row's highlights (sentinel-marked text, ``domain.highlight``)."""

    rows: Sequence[ArticleRow]
    ranks: dict[int, float]
    tags: dict[int, list[str]]
    total: int
    titles: dict[int, str]
    snippets: dict[int, str]


async def search_page(
    conn: AsyncConnection,
    query: SearchQuery,
    criteria: Criteria,
    *,
    viewer_id: int | None,
    limit: int,
    offset: int,
    with_body: bool = False,
) -> Found:
    """``limit`` matches of ``query`` (and ``criteria``) after the first ``offset``."""
    params: dict[str, object] = {**criteria.params(), "limit": limit, "offset": offset}
    if viewer_id is not None:
        params["viewer_id"] = viewer_id
    width = ARTICLE_WIDTH + with_body
    if conn.dialect.name == "postgresql":
        stmt = _postgres_page(criteria.shape, viewer=viewer_id is not None, with_body=with_body)
        params.update(q=search_syntax.postgres(query), candidates=CANDIDATES)
        records = await fastpath.rows(conn, stmt, params)
        # after the article: rank, tags, total, marked title, marked snippet
        rank, tags, total_at, title, snippet = range(width, width + 5)
        if records:
            total = int(records[0][total_at])
        else:  # no row to carry it: none at all, or a page past the last match
            total = 0 if offset == 0 else await _postgres_count(conn, query, criteria)
        return Found(
            rows=[ArticleRow(*record[:width]) for record in records],
            ranks={record[0]: float(record[rank]) for record in records},
            tags=await tags_of(conn, records, tags),
            total=total,
            titles={record[0]: record[title] for record in records},
            snippets={record[0]: record[snippet] for record in records},
        )
    match = search_syntax.fts5(query)
    stmt = _sqlite_page(criteria.shape, viewer=viewer_id is not None, with_body=with_body)
    records = await fastpath.rows(conn, stmt, {**params, "match": match})
    rank, total_at = width, width + 1  # after the article
    rows = [ArticleRow(*record[:width]) for record in records]
    ids = [row.id for row in rows]
    titles, snippets = await _sqlite_highlights(conn, match, ids)
    total = int(records[0][total_at]) if records else 0
    if not records and offset > 0:
        counted = await conn.execute(_sqlite_count(criteria.shape), {**params, "match": match})
        total = int(counted.scalar_one())
    return Found(
        rows=rows,
        ranks={record[0]: float(record[rank]) for record in records},
        tags=await tags_of(conn, records, None),
        total=total,
        titles=titles,
        snippets=snippets,
    )


# --- PostgreSQL ---------------------------------------------------------------------------


def _query_cte() -> CTE:
    """The parsed query and the language, once per statement. A query that cannot use the
    index (only negations, ``!a | b``…) becomes the empty query, which matches nothing."""
    # The language as a scalar subquery, not a join: the planner then knows this is one
    # row (search_config has no statistics of its own), where a join's default estimate
    # of thousands once made every search cost enough for JIT compilation (0.8 s).
    config = select(select(CONFIG.c.language).scalar_subquery().label("language")).subquery()
    parsed = select(
        config.c.language,
        func.websearch_to_tsquery(config.c.language, bindparam("q", type_=Text)).label("raw"),
    ).subquery("parsed")
    query = case(
        (func.querytree(parsed.c.raw) == "T", literal_column("''::tsquery")),
        else_=parsed.c.raw,
    )
    return select(parsed.c.language, query.label("query"), _lexemes(parsed)).cte("search_query")


def _lexemes(parsed: Subquery) -> Any:
    """The query's (not negated) lexemes as an array, where the snippet window looks for
    them in the body (``_snippet``)."""
    matched = func.regexp_matches(cast(parsed.c.raw, Text), LEXEME, "g", type_=ARRAY(Text))[1]
    lexeme = func.replace(matched, "''", "'")
    return func.array(select(lexeme).correlate(parsed).scalar_subquery()).label("lexemes")


def _body_lead() -> Any:
    """The body's first :data:`SNIPPET_SOURCE` characters, read once per row (``OFFSET 0``
    keeps the planner from inlining it): :func:`_snippet` uses them four times, and each
    use of ``article.body`` itself fetches it from TOAST again (a 3 KB body is out of line)."""
    return (
        select(func.left(Article.body, SNIPPET_SOURCE).label("lead"))
        .correlate(Article)
        .offset(0)
        .lateral("body_lead")
    )


def _snippet(query: CTE, lead: Any) -> Any:
    """The marked snippet, cut by ``ts_headline`` from a window of :data:`SNIPPET_WINDOW`
    characters rather than the body's first :data:`SNIPPET_SOURCE`.

    The window starts :data:`SNIPPET_BEFORE` characters before the place in the first
    10 KB where every lexeme of the query has appeared (``strpos`` of the stem in the
    lowercased text: a stem is a prefix of its words, ``cach`` of *caching*), moved back
    when that would run past the end. For a word or a phrase the passage is then the one
    the whole 10 KB gives (the first match on); for several words it is the first cover
    of them from there. Where the window's passage has no mark (a stem that is not a
    prefix, ``happi`` of *happy*; a match only in the title), the whole 10 KB is read as
    before, unless the window already was the whole body."""
    lexeme = func.unnest(query.c.lexemes).column_valued("lexeme")
    found = func.nullif(func.strpos(func.lower(lead), lexeme), 0)
    at = select(func.max(found)).scalar_subquery()
    start = func.greatest(
        func.least(func.coalesce(at, 1) - SNIPPET_BEFORE, func.length(lead) - SNIPPET_WINDOW + 1),
        1,
    )
    window = func.search_text(func.substr(lead, start, SNIPPET_WINDOW))
    passage = func.ts_headline(query.c.language, window, query.c.query, SNIPPET_OPTIONS)
    # The window's passage when it marks a match (or the window is the whole body), as a
    # regular expression keeps it (NULL otherwise); only then the whole 10 KB.
    keep = case(
        (func.length(lead) <= SNIPPET_WINDOW, literal("^.*$")),
        else_=literal(f"^.*{highlight.START}.*$"),
    )
    whole = func.ts_headline(
        query.c.language, func.search_text(lead), query.c.query, SNIPPET_OPTIONS
    )
    return func.coalesce(func.substring(passage, keep), whole)


def _matches(shape: frozenset[str], query: CTE) -> CTE:
    """Every match's ``(id, created_at)``, computed once (``MATERIALIZED``): through the GIN
    index, then the filters (an article's author needs its row)."""
    found = select(SEARCH.c.article_id.label("id"), SEARCH.c.created_at).select_from(SEARCH)
    found = found.join(query, true()).where(SEARCH.c.document.op("@@")(query.c.query))
    if shape:
        found = found.join(Article, Article.id == SEARCH.c.article_id).where(*conditions(shape))
    return found.cte("matches").prefix_with("MATERIALIZED")


def _ranked_page(matches: CTE, query: CTE) -> Subquery:
    """The page's ``(id, created_at, rank, bucket)``: the newest ``:candidates`` matches
    ranked (bucket 0), then the older matches newest first (bucket 1, unranked). Each part
    is cut to what the page can reach before the two are merged."""
    newest = (
        select(matches.c.id, matches.c.created_at)
        .order_by(matches.c.created_at.desc(), matches.c.id.desc())
        .limit(bindparam("candidates", type_=Integer))
        .subquery("candidates")
    )
    ranked_document = SEARCH.alias("ranked_document")
    rank = func.ts_rank(ranked_document.c.document, query.c.query)
    reach = bindparam("limit", type_=Integer) + bindparam("offset", type_=Integer)
    ranked = (
        select(newest.c.id, newest.c.created_at, rank.label("rank"), literal(0).label("bucket"))
        .select_from(newest)
        .join(ranked_document, ranked_document.c.article_id == newest.c.id)
        .join(query, true())
        .order_by(rank.desc(), newest.c.created_at.desc(), newest.c.id.desc())
        .limit(reach)
        .subquery("ranked")
    )
    older = (
        select(
            matches.c.id,
            matches.c.created_at,
            null().cast(Float).label("rank"),
            literal(1).label("bucket"),
        )
        .order_by(matches.c.created_at.desc(), matches.c.id.desc())
        .limit(func.greatest(reach - bindparam("candidates", type_=Integer), 0))
        .offset(bindparam("candidates", type_=Integer))
        .subquery("older")
    )
    merged = union_all(select(ranked), select(older)).subquery("merged")
    return (
        select(merged)
        .order_by(
            merged.c.bucket,
            merged.c.rank.desc().nulls_last(),
            merged.c.created_at.desc(),
            merged.c.id.desc(),
        )
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("page")
    )


@lru_cache(maxsize=64)
def _postgres_page(shape: frozenset[str], *, viewer: bool, with_body: bool) -> Any:
    query = _query_cte()
    matches = _matches(shape, query)
    page = _ranked_page(matches, query)
    later_rank = (
        select(func.ts_rank(SEARCH.c.document, query.c.query))
        .where(SEARCH.c.article_id == Article.id)
        .scalar_subquery()
    )
    title = func.ts_headline(
        query.c.language, func.search_text(Article.title), query.c.query, TITLE_OPTIONS
    )
    body_lead = _body_lead()
    snippet = _snippet(query, body_lead.c.lead)
    return (
        article_columns(VIEWER if viewer else None, with_body=with_body)
        .join(page, page.c.id == Article.id)
        .join(query, true())
        .join(body_lead, true())
        .add_columns(
            func.coalesce(page.c.rank, later_rank).label("rank"),
            tags_column(),
            select(func.count()).select_from(matches).scalar_subquery().label("total"),
            title.label("marked_title"),
            snippet.label("marked_snippet"),
        )
        .order_by(
            page.c.bucket,
            page.c.rank.desc().nulls_last(),
            page.c.created_at.desc(),
            page.c.id.desc(),
        )
    )


@lru_cache(maxsize=16)
def _postgres_count_statement(shape: frozenset[str]) -> Any:
    query = _query_cte()
    return select(func.count()).select_from(_matches(shape, query))


async def _postgres_count(conn: AsyncConnection, query: SearchQuery, criteria: Criteria) -> int:
    """The total for a page past the last match (the page statement had no row to carry it)."""
    params = {**criteria.params(), "q": search_syntax.postgres(query)}
    result = await conn.execute(_postgres_count_statement(criteria.shape), params)
    return int(result.scalar_one())


# --- SQLite -------------------------------------------------------------------------------


def _fts_match() -> Any:
    return FTS_NAME.op("MATCH")(bindparam("match", type_=Text))


@lru_cache(maxsize=16)
def _sqlite_count(shape: frozenset[str]) -> Any:
    matched = select(FTS.c.rowid).where(_fts_match())
    if not shape:
        return select(func.count()).select_from(matched.subquery())
    counted = aliased(Article)
    return (
        select(func.count())
        .select_from(counted)
        .where(counted.id.in_(matched), *conditions(shape, counted))
        .correlate(None)  # the page's own FROM has app_user, which must not leak in here
    )


@lru_cache(maxsize=64)
def _sqlite_page(shape: frozenset[str], *, viewer: bool, with_body: bool) -> Any:
    score = func.bm25(FTS_NAME, *FTS_WEIGHTS)
    matches = (
        select(FTS.c.rowid.label("id"), score.label("score"))
        .where(_fts_match())
        .subquery("matches")
    )
    total = _sqlite_count(shape).scalar_subquery()
    return (
        article_columns(VIEWER if viewer else None, with_body=with_body)
        .join(matches, matches.c.id == Article.id)
        .where(*conditions(shape))
        .add_columns((-matches.c.score).label("rank"), total.label("total"))
        .order_by(matches.c.score, Article.created_at.desc(), Article.id.desc())
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )


HIGHLIGHTS = (
    select(
        FTS.c.rowid.label("id"),
        func.highlight(FTS_NAME, FTS_TITLE, highlight.START, highlight.STOP).label("title"),
        func.snippet(
            FTS_NAME, FTS_BODY_LEAD, highlight.START, highlight.STOP, "…", SNIPPET_WORDS
        ).label("snippet"),
    )
    .where(_fts_match())
    .where(FTS.c.rowid.in_(bindparam("ids", expanding=True)))
)


async def _sqlite_highlights(
    conn: AsyncConnection, match: str, ids: Collection[int]
) -> tuple[dict[int, str], dict[int, str]]:
    if not ids:
        return {}, {}
    rows = (await conn.execute(HIGHLIGHTS, {"match": match, "ids": list(ids)})).all()
    return {row.id: row.title for row in rows}, {row.id: row.snippet for row in rows}


# --- suggestions (PostgreSQL with pg_trgm) ------------------------------------------------

SIMILARITY = 0.25
"""How alike (trigram similarity) a suggested word must be to the word typed: a swapped
pair of letters in a six-letter word (``pyhton``) scores 0.27."""

SUGGESTIONS = text(
    """
    SELECT t.term, (
        SELECT c.word FROM (
            (SELECT word FROM search_word ORDER BY word <-> lower(t.term) LIMIT 8)
            UNION
            (SELECT name FROM tag WHERE articles_count > 0
             ORDER BY name <-> lower(t.term) LIMIT 4)
        ) AS c (word)
        WHERE similarity(c.word, lower(t.term)) >= :similarity AND c.word <> lower(t.term)
          AND EXISTS (SELECT 1 FROM article_search AS s
                      WHERE s.document @@ plainto_tsquery(cfg.language, c.word))
        ORDER BY similarity(c.word, lower(t.term)) DESC, c.word
        LIMIT 1
    ) AS suggestion
    FROM unnest(CAST(:terms AS text[])) AS t (term) CROSS JOIN search_config AS cfg
    WHERE numnode(plainto_tsquery(cfg.language, t.term)) > 0
      AND NOT EXISTS (SELECT 1 FROM article_search AS s
                      WHERE s.document @@ plainto_tsquery(cfg.language, t.term))
    """
)

TRIGRAMS = text("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')")


async def suggestions_available(conn: AsyncConnection) -> bool:
    """Whether this database can suggest (PostgreSQL with ``pg_trgm`` installed)."""
    if conn.dialect.name != "postgresql":
        return False
    return bool((await conn.execute(TRIGRAMS)).scalar_one())


async def suggest(conn: AsyncConnection, words: Sequence[str]) -> dict[str, str]:
    """For each of ``words`` that no article contains, the most alike title word or tag
    that some article does contain (words with none are left out)."""
    if not words:
        return {}
    result = await conn.execute(SUGGESTIONS, {"terms": list(words), "similarity": SIMILARITY})
    return {term: word for term, word in result if word is not None}
