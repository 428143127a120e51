"""The read use cases with the cache on: viewer-independent facts from the cache, the
viewer's flags from one statement, composed into the very views the uncached path builds.

A page is read in layers, each a batched cache fetch whose misses are one batched load
from the primary database: the page's ids and total (per filter scope) → the articles
(text, sorted tags, counts) → their authors' profiles → the viewer's ``favorited`` and
``following`` (one statement, only when signed in). An anonymous hit runs no SQL at all.
The feed's page of ids is the viewer's own, so it is read from the database (bounded by
indexes); its articles still come from the cache.

Invalidation lives in ``infra.invalidation``; the key scheme in ``infra.cache_keys``.
``tests/cache/test_cached_views.py`` pins these views to the uncached path's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.db.database import Database
from quillpress.domain.auth import Principal, Viewer
from quillpress.domain.commands import ArticleFilter, Page
from quillpress.domain.errors import NotFound
from quillpress.domain.views import ArticleView, CommentView, Paged, ProfileView
from quillpress.infra import cache_keys
from quillpress.infra.cache import Cache
from quillpress.repositories import articles as article_repo
from quillpress.repositories import entities, listings
from quillpress.repositories import users as user_repo
from quillpress.repositories.entities import ViewerFlags
from quillpress.repositories.listings import Criteria

CACHE_OFF = Cache(None)
"""The default of every read use case: no cache, today's uncached statements."""

Json = dict[str, Any]


# --- the page of ids ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IdPage:
    ids: list[int]
    total: int
    has_next: bool


async def page_of_ids(conn: AsyncConnection, criteria: Criteria, page: Page) -> IdPage:
    """One page of matching ids with the total, off an index (one more id than asked
    says whether more follow); no article is decorated here."""
    ids, total = await listings.ids_page(
        conn, criteria, limit=page.limit + 1, offset=page.offset, after=page.after
    )
    return IdPage(ids=ids[: page.limit], total=total, has_next=len(ids) > page.limit)


EMPTY = IdPage(ids=[], total=0, has_next=False)

CriteriaFor = Callable[[AsyncConnection], Awaitable[Criteria | None]]


async def _cached_page(
    db: Database, cache: Cache, scope: str, page: Page, criteria_for: CriteriaFor
) -> IdPage:
    key = cache_keys.page_key(scope, page)

    async def load(_missing: list[str]) -> dict[str, bytes | None]:
        async with db.read() as conn:
            criteria = await criteria_for(conn)
            found = EMPTY if criteria is None else await page_of_ids(conn, criteria, page)
        payload = {"ids": found.ids, "total": found.total, "has_next": found.has_next}
        return {key: orjson.dumps(payload)}

    raw = (await cache.fetch([key], load))[key]
    assert raw is not None  # a page always exists, if only empty
    stored = orjson.loads(raw)
    return IdPage(ids=stored["ids"], total=stored["total"], has_next=stored["has_next"])


def _fixed(criteria: Criteria) -> CriteriaFor:
    async def criteria_for(_conn: AsyncConnection) -> Criteria:
        return criteria

    return criteria_for


def _by_user(user_id: int, make: Callable[[str], Criteria]) -> CriteriaFor:
    """Criteria naming the user by their *current* username, read in the load itself:
    a rename committed after this read bumps the scope, so its fill is dropped."""

    async def criteria_for(conn: AsyncConnection) -> Criteria | None:
        username = await entities.username_by_id(conn, user_id)
        return None if username is None else make(username)

    return criteria_for


# --- entities -------------------------------------------------------------------------


async def _by_id(
    cache: Cache,
    ids: Iterable[int],
    key: Callable[[int], str],
    load_many: Callable[[list[int]], Awaitable[dict[int, Any]]],
) -> dict[int, Any]:
    """Decoded entities per id (ids that do not exist are left out), misses loaded in one batch."""
    keys = {item: key(item) for item in dict.fromkeys(ids)}

    async def load(missing: list[str]) -> dict[str, bytes | None]:
        loaded = await load_many([cache_keys.id_of(k) for k in missing])
        return {
            k: None if (value := loaded.get(cache_keys.id_of(k))) is None else orjson.dumps(value)
            for k in missing
        }

    found = await cache.fetch(list(keys.values()), load)
    return {
        item: orjson.loads(raw) for item, k in keys.items() if (raw := found.get(k)) is not None
    }


async def _articles(db: Database, cache: Cache, ids: Iterable[int]) -> dict[int, Json]:
    async def load_many(wanted: list[int]) -> dict[int, Any]:
        async with db.read() as conn:
            rows = await entities.articles_by_ids(conn, wanted)
            tags = await listings.tags_many(conn, [row.id for row in rows])
        return {
            row.id: {
                "id": row.id,
                "slug": row.slug,
                "title": row.title,
                "description": row.description,
                "tags": sorted(tags[row.id]),
                "created_at": row.created_at,
                "updated_at": row.updated_at,
                "author_id": row.author_id,
                "favorites_count": int(row.favorites_count),
            }
            for row in rows
        }

    return await _by_id(cache, ids, cache_keys.article, load_many)


async def _bodies(db: Database, cache: Cache, ids: Iterable[int]) -> dict[int, str]:
    async def load_many(wanted: list[int]) -> dict[int, Any]:
        async with db.read() as conn:
            return await entities.bodies_by_ids(conn, wanted)

    return await _by_id(cache, ids, cache_keys.body, load_many)


async def _profiles(db: Database, cache: Cache, ids: Iterable[int]) -> dict[int, Json]:
    async def load_many(wanted: list[int]) -> dict[int, Any]:
        async with db.read() as conn:
            rows = await entities.profiles_by_ids(conn, wanted)
        return {
            row.id: {"id": row.id, "username": row.username, "bio": row.bio, "image": row.image}
            for row in rows
        }

    return await _by_id(cache, ids, cache_keys.profile, load_many)


async def _comment_rows(db: Database, cache: Cache, ids: Iterable[int]) -> dict[int, list[Json]]:
    async def load_many(wanted: list[int]) -> dict[int, Any]:
        grouped: dict[int, list[Json]] = {article_id: [] for article_id in wanted}
        async with db.read() as conn:
            rows = await entities.comments_of_articles(conn, wanted)
        for row in rows:
            grouped[row.article_id].append(
                {
                    "id": row.id,
                    "body": row.body,
                    "created_at": row.created_at,
                    "updated_at": row.updated_at,
                    "author_id": row.author_id,
                }
            )
        return grouped

    return await _by_id(cache, ids, cache_keys.comments, load_many)


async def _lookup(
    cache: Cache, key: str | None, load_one: Callable[[], Awaitable[int | None]]
) -> int | None:
    """A natural key (slug, username) → id; ``key`` ``None`` means "not cacheable"."""
    if key is None:
        return await load_one()

    async def load(missing: list[str]) -> dict[str, bytes | None]:
        found = await load_one()
        return {key: None if found is None else str(found).encode()}

    raw = (await cache.fetch([key], load))[key]
    return None if raw is None else int(raw)


async def _article_id(db: Database, cache: Cache, slug: str) -> int | None:
    async def load_one() -> int | None:
        async with db.read() as conn:
            return await entities.article_id_by_slug(conn, slug)

    return await _lookup(cache, cache_keys.slug(slug), load_one)


async def _user_id(db: Database, cache: Cache, username: str) -> int | None:
    async def load_one() -> int | None:
        async with db.read() as conn:
            return await user_repo.get_id_by_username(conn, username)

    return await _lookup(cache, cache_keys.uid(username), load_one)


async def _flags(
    db: Database,
    viewer: Viewer,
    *,
    article_ids: Collection[int] = (),
    author_ids: Collection[int] = (),
) -> ViewerFlags:
    if viewer is None or not (article_ids or author_ids):
        return ViewerFlags(frozenset(), frozenset())
    async with db.read() as conn:
        return await entities.viewer_flags(
            conn, viewer.user_id, article_ids=article_ids, author_ids=author_ids
        )


# --- composing views ------------------------------------------------------------------


def _profile_view(profile: Json, flags: ViewerFlags) -> ProfileView:
    return ProfileView(
        id=profile["id"],
        username=profile["username"],
        bio=profile["bio"],
        image=profile["image"],
        following=profile["id"] in flags.following,
    )


def _article_view(article: Json, author: Json, flags: ViewerFlags, body: str | None) -> ArticleView:
    return ArticleView(
        id=article["id"],
        slug=article["slug"],
        title=article["title"],
        description=article["description"],
        body=body,
        tag_list=article["tags"],
        created_at=datetime.fromisoformat(article["created_at"]),
        updated_at=datetime.fromisoformat(article["updated_at"]),
        favorited=article["id"] in flags.favorited,
        favorites_count=article["favorites_count"],
        author=_profile_view(author, flags),
    )


async def _article_views(
    db: Database, cache: Cache, viewer: Viewer, ids: list[int], *, with_body: bool
) -> list[ArticleView]:
    """Views for ``ids`` in order; an id deleted since its page was read is left out."""
    found = await _articles(db, cache, ids)
    articles = [found[article_id] for article_id in ids if article_id in found]
    present = [article["id"] for article in articles]
    bodies = await _bodies(db, cache, present) if with_body else {}
    authors = await _profiles(db, cache, (article["author_id"] for article in articles))
    flags = await _flags(db, viewer, article_ids=present, author_ids=list(authors))
    return [
        _article_view(
            article,
            authors[article["author_id"]],
            flags,
            bodies.get(article["id"]) if with_body else None,
        )
        for article in articles
        if article["author_id"] in authors and (not with_body or article["id"] in bodies)
    ]


async def _paged(
    db: Database,
    cache: Cache,
    viewer: Viewer,
    ids: IdPage,
    *,
    with_body: bool,
    with_total: bool,
) -> Paged[ArticleView]:
    items = await _article_views(db, cache, viewer, ids.ids, with_body=with_body)
    return Paged(items=items, total=ids.total if with_total else None, has_next=ids.has_next)


# --- the use cases --------------------------------------------------------------------


async def list_articles(
    db: Database,
    cache: Cache,
    viewer: Viewer,
    filters: ArticleFilter,
    page: Page,
    *,
    with_body: bool,
    with_total: bool,
) -> Paged[ArticleView]:
    criteria = Criteria(tag=filters.tag, author=filters.author, favorited_by=filters.favorited)
    given = len(criteria.shape)
    if given > 1:  # combined filters are rare: their page from the database
        async with db.read() as conn:
            ids = await page_of_ids(conn, criteria, page)
    elif given == 0:
        ids = await _cached_page(db, cache, cache_keys.ALL_ARTICLES, page, _fixed(criteria))
    elif filters.tag is not None:
        scope = cache_keys.tag_scope(filters.tag)
        ids = await _cached_page(db, cache, scope, page, _fixed(criteria))
    else:
        name = filters.author if filters.author is not None else filters.favorited
        assert name is not None
        user_id = await _user_id(db, cache, name)
        if user_id is None:
            ids = EMPTY
        elif filters.author is not None:
            scope = cache_keys.author_scope(user_id)
            ids = await _cached_page(
                db, cache, scope, page, _by_user(user_id, lambda n: Criteria(author=n))
            )
        else:
            scope = cache_keys.favorites_scope(user_id)
            ids = await _cached_page(
                db, cache, scope, page, _by_user(user_id, lambda n: Criteria(favorited_by=n))
            )
    return await _paged(db, cache, viewer, ids, with_body=with_body, with_total=with_total)


async def feed(
    db: Database,
    cache: Cache,
    principal: Principal,
    page: Page,
    *,
    with_body: bool,
    with_total: bool,
) -> Paged[ArticleView]:
    async with db.read() as conn:
        ids = await page_of_ids(conn, Criteria(feed_of=principal.user_id), page)
    return await _paged(db, cache, principal, ids, with_body=with_body, with_total=with_total)


async def get_article(db: Database, cache: Cache, viewer: Viewer, slug: str) -> ArticleView:
    article_id = await _article_id(db, cache, slug)
    if article_id is not None:
        views = await _article_views(db, cache, viewer, [article_id], with_body=True)
        if views and views[0].slug == slug:
            return views[0]
    raise NotFound("article")


async def get_profile(db: Database, cache: Cache, viewer: Viewer, username: str) -> ProfileView:
    user_id = await _user_id(db, cache, username)
    if user_id is not None:
        profile = (await _profiles(db, cache, [user_id])).get(user_id)
        if profile is not None:
            return _profile_view(profile, await _flags(db, viewer, author_ids=[user_id]))
    raise NotFound("profile")


async def comments_per_article(
    db: Database, cache: Cache, viewer: Viewer, article_ids: Collection[int]
) -> dict[int, list[CommentView]]:
    rows = await _comment_rows(db, cache, article_ids)
    authors = await _profiles(
        db, cache, (row["author_id"] for found in rows.values() for row in found)
    )
    flags = await _flags(db, viewer, author_ids=list(authors))
    return {
        article_id: [
            CommentView(
                id=row["id"],
                body=row["body"],
                created_at=datetime.fromisoformat(row["created_at"]),
                updated_at=datetime.fromisoformat(row["updated_at"]),
                author=_profile_view(authors[row["author_id"]], flags),
            )
            for row in rows.get(article_id, [])
            if row["author_id"] in authors
        ]
        for article_id in article_ids
    }


async def list_comments(db: Database, cache: Cache, viewer: Viewer, slug: str) -> list[CommentView]:
    article_id = await _article_id(db, cache, slug)
    if article_id is None:
        raise NotFound("article")
    return (await comments_per_article(db, cache, viewer, [article_id]))[article_id]


async def list_tags(db: Database, cache: Cache, *, limit: int) -> list[str]:
    async def load(_missing: list[str]) -> dict[str, bytes | None]:
        async with db.read() as conn:
            tags = await article_repo.popular_tags(conn, limit=limit)
        return {cache_keys.TAGS: orjson.dumps(tags)}

    raw = (await cache.fetch([cache_keys.TAGS], load))[cache_keys.TAGS]
    assert raw is not None
    tags: list[str] = orjson.loads(raw)
    return tags
