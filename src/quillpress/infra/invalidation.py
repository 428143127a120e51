"""Cache invalidation: the tags each committed change purges, run as an after-commit
subscriber. This is the one place that knows what a write touches.

Precise by construction: an entry carries the tags of the articles, profiles and list
scopes it shows (``infra.cache_keys``), so a write purges the few tags it changed and
every entry showing one of them, and only those, is no longer served. The subscriber runs
after the commit and finishes before the write's response (see ``infra.events``), so a
read that follows the response, on any instance sharing the store, sees the write."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from quillpress.domain.events import (
    ArticleCreated,
    ArticleDeleted,
    ArticleUpdated,
    CommentAdded,
    CommentDeleted,
    Event,
    FavoriteAdded,
    FavoriteRemoved,
    FollowAdded,
    FollowRemoved,
    SessionRevoked,
    UserRegistered,
    UserUpdated,
)
from quillpress.infra import cache_keys as k
from quillpress.infra.cache import Cache
from quillpress.infra.events import Subscriber


def _names(*usernames: str) -> set[str]:
    return {tag for tag in (k.uid(name) for name in usernames) if tag is not None}


def _article(article_id: int) -> set[str]:
    # Ids can come back on SQLite (a new row may take the largest deleted rowid), so a
    # new article also retires whatever its id was tagged with.
    return {k.article(article_id), k.comments(article_id)}


def purges(events: Iterable[Event]) -> set[str]:
    """The tags that ``events`` make stale."""
    tags: set[str] = set()
    for event in events:
        match event:
            case ArticleCreated() | ArticleDeleted():
                tags |= {*_article(event.article_id), k.TAGS, k.ALL_ARTICLES, k.slug(event.slug)}
                tags.add(k.SEARCH)
                tags |= {k.author_scope(event.author_id), *map(k.tag_scope, event.tags)}
                if isinstance(event, ArticleDeleted):
                    tags |= {k.favorites_scope(fan) for fan in event.favorited_by}
            case ArticleUpdated():
                tags |= {k.article(event.article_id), k.slug(event.slug), k.SEARCH}
                changed = set(event.tags) ^ set(event.previous_tags)
                if changed:
                    tags |= {k.TAGS, *map(k.tag_scope, changed)}
            case FavoriteAdded() | FavoriteRemoved():
                tags |= {k.article(event.article_id), k.favorites_scope(event.user_id)}
                tags.add(k.viewer_favorites(event.user_id))
            case FollowAdded() | FollowRemoved():
                tags.add(k.viewer_follows(event.follower_id))
            case CommentAdded() | CommentDeleted():
                tags.add(k.comments(event.article_id))
            case UserRegistered():
                tags |= {k.profile(event.user_id), *_names(event.username)}
            case SessionRevoked():
                if event.every_session:
                    tags.add(k.sessions(event.user_id))
                tags |= {k.session(event.user_id, sid) for sid in event.session_ids}
            case UserUpdated():
                # The role, a ban or the password may have changed: every cached
                # session of the user is looked up again.
                tags |= {k.sessions(event.user_id), k.profile(event.user_id)}
                tags |= _names(event.username, event.previous_username)
                if event.username != event.previous_username:
                    # Lists filtered by the old or the new name; searches (authors' names
                    # are indexed).
                    tags |= {k.author_scope(event.user_id), k.favorites_scope(event.user_id)}
                    tags.add(k.SEARCH)
            case _:
                pass
    return tags


def invalidator(cache: Cache) -> Subscriber:
    """The after-commit subscriber that purges ``cache`` (one purge per commit)."""

    async def invalidate_cache(events: Sequence[Event]) -> None:
        await cache.purge(purges(events))

    return invalidate_cache
