"""What each read depends on, noted for the response cache (``infra.read_tags``).

The read use cases call these as they build views; outside a request the response cache
may store, each is one context-variable lookup. Tags are ``infra.cache_keys``'s, the
vocabulary ``infra.invalidation`` purges."""

from __future__ import annotations

from collections.abc import Iterable

from quillpress.db.database import Connection
from quillpress.domain.commands import ArticleFilter
from quillpress.domain.views import ArticleView, CommentView, ProfileView
from quillpress.infra import cache_keys as k
from quillpress.infra.read_tags import note, note_all, recording, slots
from quillpress.repositories import users as user_repo

__all__ = ["articles", "comments", "list_scope", "note", "profiles", "search_scope"]


def articles(views: Iterable[ArticleView]) -> None:
    """Each article shown, and its author (and the ids behind their viewer flags)."""
    views = list(views)
    note_all(tag for view in views for tag in (k.article(view.id), k.profile(view.author.id)))
    slots(favorited=[view.id for view in views], following=[view.author.id for view in views])


def profiles(views: Iterable[ProfileView]) -> None:
    views = list(views)
    note_all(k.profile(view.id) for view in views)
    slots(following=[view.id for view in views])


def comments(article_id: int, views: Iterable[CommentView]) -> None:
    """An article's comments (and the article's existence), with their authors."""
    views = list(views)
    note(k.comments(article_id), k.article(article_id))
    note_all(k.profile(view.author.id) for view in views)
    slots(following=[view.author.id for view in views])


async def list_scope(conn: Connection, filters: ArticleFilter) -> None:
    """Which writes change the membership of a filtered list. A filter by username needs
    the user's id (one statement, only while a cacheable answer is being recorded); a name
    that matches nobody is noted as such, so the user's registration retires the page."""
    if not recording():
        return
    if filters.tag is None and filters.author is None and filters.favorited is None:
        note(k.ALL_ARTICLES)
    await _filter_scopes(conn, filters)


async def search_scope(conn: Connection, filters: ArticleFilter) -> None:
    """Search results change with any article write (``k.SEARCH``), and a filtered search
    also with what changes its filter's list (favorites, a name that finds nobody yet)."""
    if not recording():
        return
    note(k.SEARCH)
    await _filter_scopes(conn, filters)


async def _filter_scopes(conn: Connection, filters: ArticleFilter) -> None:
    if filters.tag is not None:
        note(k.tag_scope(filters.tag))
    for name, scope in ((filters.author, k.author_scope), (filters.favorited, k.favorites_scope)):
        if name is not None:
            user_id = await user_repo.get_id_by_username(conn, name)
            note(k.uid(name) if user_id is None else scope(user_id))
