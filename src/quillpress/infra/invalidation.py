"""Cache invalidation: what each committed change purges, run as an after-commit subscriber.

Precise by construction: entities are keyed by id, so a write purges the few keys it
touched and bumps only the list scopes whose membership or order it changed. The
subscriber runs after the commit and finishes before the write's response (see
``infra.events``), so a read that follows the response, on any instance sharing the
store, sees the write."""

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
    SessionRevoked,
    UserRegistered,
    UserUpdated,
)
from quillpress.infra import cache_keys as k
from quillpress.infra.cache import Cache
from quillpress.infra.events import Subscriber


def _names(*usernames: str) -> list[str]:
    return [key for key in (k.uid(name) for name in usernames) if key is not None]


def _article(article_id: int) -> list[str]:
    # Ids can come back on SQLite (a new row may take the largest deleted rowid), so a
    # new article also retires whatever its id held, absent entries included.
    return [k.article(article_id), k.body(article_id), k.comments(article_id)]


def purges(events: Iterable[Event]) -> tuple[set[str], set[str]]:
    """The keys and the namespaces that ``events`` make stale."""
    keys: set[str] = set()
    namespaces: set[str] = set()
    for event in events:
        match event:
            case ArticleCreated():
                keys |= {*_article(event.article_id), k.slug(event.slug), k.TAGS}
                namespaces |= {k.ALL_ARTICLES, k.author_scope(event.author_id)}
                namespaces |= {k.tag_scope(tag) for tag in event.tags}
            case ArticleUpdated():
                keys |= {k.article(event.article_id), k.body(event.article_id)}
                keys |= {k.slug(event.slug), k.slug(event.previous_slug)}
                changed = set(event.tags) ^ set(event.previous_tags)
                if changed:
                    keys.add(k.TAGS)
                namespaces |= {k.tag_scope(tag) for tag in changed}
            case ArticleDeleted():
                keys |= {*_article(event.article_id), k.slug(event.slug), k.TAGS}
                namespaces |= {k.ALL_ARTICLES, k.author_scope(event.author_id)}
                namespaces |= {k.tag_scope(tag) for tag in event.tags}
                namespaces |= {k.favorites_scope(fan) for fan in event.favorited_by}
            case FavoriteAdded() | FavoriteRemoved():
                keys.add(k.article(event.article_id))
                namespaces.add(k.favorites_scope(event.user_id))
            case CommentAdded() | CommentDeleted():
                keys.add(k.comments(event.article_id))
            case UserRegistered():
                keys |= {k.profile(event.user_id), *_names(event.username)}
            case SessionRevoked():
                if event.every_session:
                    namespaces.add(k.session_namespace(event.user_id))
                keys |= {k.session(event.user_id, sid) for sid in event.session_ids}
            case UserUpdated():
                # The role (or the password, ending other sessions) may have changed:
                # every cached session of the user is looked up again.
                namespaces.add(k.session_namespace(event.user_id))
                keys |= {k.profile(event.user_id)}
                keys |= {*_names(event.username, event.previous_username)}
                if event.username != event.previous_username:
                    # A list loaded by the old name while the rename committed must not
                    # be kept: bumping the user's scopes drops such a fill.
                    namespaces |= {k.author_scope(event.user_id), k.favorites_scope(event.user_id)}
            case _:  # follows: nothing cached holds them (``following`` is per viewer)
                pass
    return keys, namespaces


def invalidator(cache: Cache) -> Subscriber:
    """The after-commit subscriber that purges ``cache`` (one purge per commit)."""

    async def invalidate_cache(events: Sequence[Event]) -> None:
        keys, namespaces = purges(events)
        await cache.purge(keys=sorted(keys), namespaces=sorted(namespaces))

    return invalidate_cache
