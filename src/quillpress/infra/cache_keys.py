"""The cache's key scheme, in one place for the readers and the invalidation subscriber.

A key is ``<namespace>:<id>``; the namespace is everything before the last colon, so a
value that might hold a colon (a tag, a slug from a URL) is percent-quoted. Entities are
keyed by id and composed at read time: a username change purges ``profile:{id}``, not
every page that shows the author. A list page lives in the namespace of its scope (one
filter), so a write retires every page of a scope by bumping the scope's generation.

=====================  =================================================
``article:{id}``       article without body: text, sorted tags, counts, author id
``body:{id}``          its body (lists never need it)
``slug:{slug}``        slug → article id
``profile:{id}``       username, bio, image
``uid:{username}``     lower-cased username → user id (ASCII names only, see below)
``comments:{id}``      an article's comment rows, newest first (authors by id)
``tags:all``           the popular tags
``list:all``           scope of the unfiltered list; ``list:tag:{name}``,
                       ``list:author:{user id}``, ``list:fav:{user id}``: one filter
``{scope}:{l}/{o}``    a page of a scope (ids, total, has_next); ``{l}/c{cursor}``
                       for a keyset page
``session:{uid}:{sid}`` a live session's user role (Redis only: see
                       ``services.authentication``); the namespace ``session:{uid}``
                       holds all of a user's sessions, retired together by one bump
=====================  =================================================
"""

from __future__ import annotations

from urllib.parse import quote

from quillpress.domain.commands import Page


def _part(value: str) -> str:
    return quote(value, safe="")


def article(article_id: int) -> str:
    return f"article:{article_id}"


def body(article_id: int) -> str:
    return f"body:{article_id}"


def slug(value: str) -> str:
    return f"slug:{_part(value)}"


def profile(user_id: int) -> str:
    return f"profile:{user_id}"


def uid(username: str) -> str | None:
    """The key of a username lookup, or ``None`` for a name that is not cached.

    Lookups are case-insensitive in SQL, and SQLite's ``lower()`` folds only ASCII while
    PostgreSQL's folds all of Unicode: only for ASCII names do SQL and Python agree on
    which spellings are one name, so only those lookups are cached."""
    folded = username.lower()
    return f"uid:{_part(folded)}" if folded.isascii() else None


def comments(article_id: int) -> str:
    return f"comments:{article_id}"


TAGS = "tags:all"

ALL_ARTICLES = "list:all"


def tag_scope(name: str) -> str:
    return f"list:tag:{_part(name)}"


def author_scope(user_id: int) -> str:
    return f"list:author:{user_id}"


def favorites_scope(user_id: int) -> str:
    return f"list:fav:{user_id}"


def session(user_id: int, session_id: str) -> str:
    return f"{session_namespace(user_id)}:{_part(session_id)}"


def session_namespace(user_id: int) -> str:
    return f"session:{user_id}"


def page_key(scope: str, page: Page) -> str:
    if page.after is None:
        return f"{scope}:{page.limit}/{page.offset}"
    cursor = page.after
    return f"{scope}:{page.limit}/c{_part(cursor.created_at.isoformat())}.{cursor.id}"


def id_of(key: str) -> int:
    """The integer id at the end of an entity key (``article:42`` → 42)."""
    return int(key.rpartition(":")[2])
