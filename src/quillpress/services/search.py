"""Full-text search: the one use case behind REST ``GET /api/articles?q=`` and GraphQL
``searchArticles``.

A blank query is the plain list (``articles.list_articles``), newest first. Otherwise the
query is parsed (``domain.search``: limits, a 422 keyed ``q``), the cursor must be one this
query minted (a keyset cursor of a list, or another query's, is a 422 keyed ``cursor``),
the client's search is counted (REST passes its limiter; GraphQL counts a search in its
query cost instead), and one page of matches is read with its total and highlights
(``repositories.search``). A query that finds nothing gets a suggestion where the database
can make one (PostgreSQL with ``pg_trgm``); elsewhere the suggestion is ``None``, said once
in the log."""

from __future__ import annotations

import logging
from weakref import WeakKeyDictionary

from quillpress.db.database import Connection, Database, opened
from quillpress.domain import highlight
from quillpress.domain import search as language
from quillpress.domain.auth import Viewer, viewer_id
from quillpress.domain.clients import ClientInfo
from quillpress.domain.commands import ArticleFilter, Page
from quillpress.domain.errors import Invalid
from quillpress.domain.search import SearchQuery
from quillpress.domain.views import Highlight, Paged, SearchHit, SearchResults
from quillpress.infra import cache_keys
from quillpress.infra.limits import Limiter
from quillpress.infra.resources import Store
from quillpress.repositories import search as search_repo
from quillpress.repositories.listings import Criteria
from quillpress.services import articles as article_service
from quillpress.services import assemble, limits, read_tags
from quillpress.services.articles import LIST_ITEMS, PageFields

log = logging.getLogger("quillpress.search")

_suggesting: WeakKeyDictionary[Database, bool] = WeakKeyDictionary()
"""Per database: whether it can suggest (looked up, and logged when not, once)."""


async def search_articles(
    db: Store,
    viewer: Viewer,
    text: str,
    filters: ArticleFilter,
    page: Page,
    wanted: PageFields = LIST_ITEMS,
    *,
    language_name: str = "english",
    limiter: Limiter,
    client: ClientInfo,
) -> SearchResults:
    """Matches of ``text`` (with ``filters``), most relevant first, then newest."""
    if language.is_blank(text):
        listed = await article_service.list_articles(db, viewer, filters, page, wanted)
        hits = [SearchHit(view, rank=None, highlight=None) for view in listed.items]
        return SearchResults(
            Paged(hits, total=listed.total, has_next=listed.has_next),
            suggestion=None,
            query_key=None,
        )
    query = language.parse(text, language=language_name)
    offset = _offset(page, query)
    await limits.search(limiter, viewer, client.ip)
    if query.empty:  # nothing to search for: no statement (cached like any search page)
        read_tags.note(cache_keys.SEARCH)
        return SearchResults(
            Paged([], total=0), suggestion=None, query_key=query.key, offset=offset
        )
    criteria = Criteria(tag=filters.tag, author=filters.author, favorited_by=filters.favorited)
    database = opened(db)
    async with database.read() as conn:
        await read_tags.search_scope(conn, filters)
        found = await search_repo.search_page(
            conn,
            query,
            criteria,
            viewer_id=viewer_id(viewer),
            limit=page.limit + 1,
            offset=offset,
            with_body=wanted.with_body,
        )
        suggestion = await _suggestion(database, conn, query) if found.total == 0 else None
    rows = found.rows[: page.limit]
    views = assemble.article_views_from(rows, found.tags, with_body=wanted.with_body)
    read_tags.articles(views)
    hits = [
        SearchHit(
            view,
            rank=found.ranks[row.id],
            highlight=Highlight(
                # A row deleted between SQLite's statements has no highlight: plain text.
                title=highlight.to_html(found.titles.get(row.id) or view.title),
                snippet=highlight.to_html(found.snippets.get(row.id) or ""),
            ),
        )
        for row, view in zip(rows, views, strict=True)
    ]
    return SearchResults(
        Paged(hits, total=found.total, has_next=len(found.rows) > page.limit),
        suggestion=suggestion,
        query_key=query.key,
        offset=offset,
    )


def _offset(page: Page, query: SearchQuery) -> int:
    """Where the page starts: its offset, or the position its cursor names, which must
    be this query's."""
    if page.after is not None:
        raise Invalid({"cursor": ["belongs to a list, not to a search: send it without q"]})
    if page.search is None:
        return page.offset
    if page.search.key != query.key:
        raise Invalid({"cursor": ["belongs to another search: send it with the q it came with"]})
    return page.search.offset


async def _suggestion(db: Database, conn: Connection, query: SearchQuery) -> str | None:
    """The query with its unmatched words replaced by the most alike words that match."""
    available = _suggesting.get(db)
    if available is None:
        available = _suggesting[db] = await search_repo.suggestions_available(conn)
        if not available:
            log.info(
                "search suggestions are off: they need PostgreSQL with the pg_trgm "
                "extension (CREATE EXTENSION pg_trgm; read again after a restart)"
            )
    if not available:
        return None
    words = list(dict.fromkeys(query.words()))
    replacements = await search_repo.suggest(conn, words)
    if not replacements:
        return None
    return query.replaced(replacements).text()
