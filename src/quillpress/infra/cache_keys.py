"""The cache's tag vocabulary, in one place for the read path (which records what a
view depends on) and the invalidation subscriber (which purges what a write touched).

A cached entry carries the tags of everything it shows; a write purges the tags it
changed, and every entry carrying one is no longer served. Values that might hold a
space or an ``=`` (a tag name, a username) are percent-quoted.

=========================  ==============================================================
``article:{id}``           an article's text, body, tags, counts and existence
``profile:{id}``           a user's public profile (username, bio, image)
``uid:{username}``         "no such user", as a lookup by that name saw it
``slug:{slug}``            "no such article", as a lookup by that slug saw it
``comments:{article id}``  an article's comments
``tags:all``               the popular tags
``list:all``               membership and order of the unfiltered list;
                           ``list:tag:{name}``, ``list:author:{user id}``,
                           ``list:fav:{user id}``: of one filter's list
``search:all``             every search's results (any article write, an author's
                           rename: one tag for them all, so a popular query stays a
                           hit between writes)
``viewer:fav:{uid}``       what the user favorited, ``viewer:follow:{uid}`` whom the user
                           follows: a viewer's flags for a cached answer
``session:{uid}``          all of a user's sessions (role, ban, password: UserUpdated);
                           ``session:{uid}:{sid}``: one session (logout, revoke)
=========================  ==============================================================
"""

from __future__ import annotations

from urllib.parse import quote


def _part(value: str) -> str:
    return quote(value, safe="")


def article(article_id: int) -> str:
    return f"article:{article_id}"


def profile(user_id: int) -> str:
    return f"profile:{user_id}"


def uid(username: str) -> str | None:
    """The tag of a username lookup that found nobody, or ``None`` for a name whose
    answer must not be cached. SQL compares names case-insensitively, and SQLite's
    ``lower()`` folds only ASCII while PostgreSQL's folds all of Unicode: only for ASCII
    names do SQL and Python agree on which spellings are one name."""
    folded = username.lower()
    return f"uid:{_part(folded)}" if folded.isascii() else None


def slug(value: str) -> str:
    """ "No article has this slug", as a read by slug saw it."""
    return f"slug:{_part(value)}"


def comments(article_id: int) -> str:
    return f"comments:{article_id}"


TAGS = "tags:all"

ALL_ARTICLES = "list:all"

SEARCH = "search:all"


def tag_scope(name: str) -> str:
    return f"list:tag:{_part(name)}"


def author_scope(user_id: int) -> str:
    return f"list:author:{user_id}"


def favorites_scope(user_id: int) -> str:
    return f"list:fav:{user_id}"


def viewer_favorites(user_id: int) -> str:
    return f"viewer:fav:{user_id}"


def viewer_follows(user_id: int) -> str:
    return f"viewer:follow:{user_id}"


def session(user_id: int, session_id: str) -> str:
    return f"{sessions(user_id)}:{_part(session_id)}"


def account(user_id: int) -> str:
    """The key (not a tag) of a user's account view, as ``GET /api/user`` shows it."""
    return f"account:{user_id}"


def sessions(user_id: int) -> str:
    return f"session:{user_id}"
