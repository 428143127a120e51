"""Articles: listing, the feed, reading, writing, deleting and favoriting.

Size: the article use cases share their authorization, read-back and event helpers; one
module per use case would spread one rule set over seven files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from quillpress.db.database import Connection, Transaction, opened
from quillpress.domain.auth import (
    Principal,
    Viewer,
    can_delete_article,
    can_edit_article,
    ensure,
    viewer_id,
)
from quillpress.domain.clients import ClientInfo
from quillpress.domain.clock import utcnow
from quillpress.domain.commands import ArticleFilter, CreateArticle, Group, Page, UpdateArticle
from quillpress.domain.errors import Conflict, NotFound
from quillpress.domain.events import (
    ArticleCreated,
    ArticleDeleted,
    ArticleUpdated,
    FavoriteAdded,
    FavoriteRemoved,
)
from quillpress.domain.idempotency import CREATE_ARTICLE, Created, IdempotencyKey
from quillpress.domain.views import ArticleView, Paged
from quillpress.infra import cache_keys
from quillpress.infra.resources import Store
from quillpress.repositories import articles as article_repo
from quillpress.repositories import batches, listings
from quillpress.repositories.articles import ArticleRef, EditableArticle
from quillpress.repositories.listings import ArticleRow, Criteria
from quillpress.services import assemble, audit, read_tags, slugs
from quillpress.services import idempotency as idempotent

TAGS_LIMIT = 500


@dataclass(frozen=True, slots=True)
class PageFields:
    """What a caller will read of a listing, so nothing else is queried: REST lists never
    carry bodies and always count; a GraphQL query may ask for either or neither."""

    with_body: bool = False
    with_total: bool = True


LIST_ITEMS = PageFields()


async def _page(
    db: Store,
    criteria: Criteria,
    viewer: Viewer,
    page: Page,
    wanted: PageFields,
    filters: ArticleFilter | None = None,
) -> Paged[ArticleView]:
    """A whole page in one to three statements; one more row than asked says if more follow."""
    page = page.listing()
    async with opened(db).read() as conn:
        if filters is not None:
            await read_tags.list_scope(conn, filters)
        listing = await listings.list_page(
            conn,
            criteria,
            viewer_id=viewer_id(viewer),
            limit=page.limit + 1,
            offset=page.offset,
            after=page.after,
            with_body=wanted.with_body,
            with_total=wanted.with_total,
        )
    rows = listing.rows[: page.limit]
    views = assemble.article_views_from(rows, listing.tags, with_body=wanted.with_body)
    read_tags.articles(views)
    return Paged(items=views, total=listing.total, has_next=len(listing.rows) > page.limit)


async def list_articles(
    db: Store,
    viewer: Viewer,
    filters: ArticleFilter,
    page: Page,
    wanted: PageFields = LIST_ITEMS,
) -> Paged[ArticleView]:
    criteria = Criteria(tag=filters.tag, author=filters.author, favorited_by=filters.favorited)
    return await _page(db, criteria, viewer, page, wanted, filters)


async def feed(
    db: Store,
    principal: Principal,
    page: Page,
    wanted: PageFields = LIST_ITEMS,
) -> Paged[ArticleView]:
    return await _page(db, Criteria(feed_of=principal.user_id), principal, page, wanted)


async def articles_per_group(
    db: Store,
    viewer: Viewer,
    group: Group,
    group_ids: Sequence[int],
    page: Page,
    wanted: PageFields,
) -> dict[int, Paged[ArticleView]]:
    """Pages for many authors (or many users' favorites) at once: the batch behind
    GraphQL's ``Profile.articles`` / ``Profile.favorites``. Three statements in all."""
    async with opened(db).read() as conn:
        rows = await batches.list_per_group(
            conn,
            group,
            group_ids,
            viewer_id=viewer_id(viewer),
            limit=page.limit + 1,
            after=page.after,
            with_body=wanted.with_body,
        )
        articles = [row.article for row in rows]
        views = await assemble.article_views(conn, articles, with_body=wanted.with_body)
        totals = {}
        if wanted.with_total:
            totals = await batches.count_per_group(conn, group, group_ids)
    scope = cache_keys.author_scope if group == "author" else cache_keys.favorites_scope
    read_tags.note(*map(scope, group_ids))
    read_tags.articles(views)
    grouped: dict[int, list[ArticleView]] = {group_id: [] for group_id in group_ids}
    for row, view in zip(rows, views, strict=True):
        grouped[row.group_id].append(view)
    return {
        group_id: Paged(
            items=items[: page.limit], total=totals.get(group_id), has_next=len(items) > page.limit
        )
        for group_id, items in grouped.items()
    }


async def _single(conn: Connection, row: ArticleRow | None) -> ArticleView:
    if row is None:
        raise NotFound("article")
    return (await assemble.article_views(conn, [row], with_body=True))[0]


async def _read_back(tx: Transaction, article_id: int, principal: Principal) -> ArticleView:
    """A write's result, read inside its transaction, just before the commit: once the
    commit returns, the answer is ready. (Read on a new connection after it, a database
    lost in between turned a committed write into a 503, and the client's retry into a
    duplicate.) The same statements as a read, on the transaction's connection."""
    row = await article_repo.get_by_id(tx.conn, article_id, viewer_id=principal.user_id)
    return await _single(tx.conn, row)


async def get_article(db: Store, viewer: Viewer, slug: str) -> ArticleView:
    async with opened(db).read() as conn:
        found = await article_repo.get_by_slug(conn, slug, viewer_id=viewer_id(viewer))
    if found is None:
        read_tags.note(cache_keys.slug(slug))  # until an article takes the slug
        raise NotFound("article")
    row, tags = found
    view = assemble.article_view(row, tags, with_body=True)
    read_tags.articles([view])
    return view


async def create_article(
    db: Store,
    principal: Principal,
    command: CreateArticle,
    *,
    idempotency: IdempotencyKey | None = None,
) -> Created[ArticleView]:
    """A new article. With an ``idempotency`` key, a retry of the same request answers the
    article the first one created (``replayed``) instead of creating another."""
    async with opened(db).write() as tx:
        claimed, first = await idempotent.claim(
            tx,
            principal,
            idempotency,
            CREATE_ARTICLE,
            lambda: command.model_dump(mode="json", by_alias=True),
        )
        if first is None:
            article_id = await _insert_article(tx, principal, command)
            await idempotent.remember(tx, claimed, article_id)
        else:
            article_id = first
        view = await _read_back(tx, article_id, principal)
    return Created(view, replayed=first is not None)


async def _insert_article(tx: Transaction, principal: Principal, command: CreateArticle) -> int:
    base = slugs.slug_base(command.title)
    taken = await article_repo.slugs_starting_with(tx.conn, base)
    now = utcnow()
    for slug in slugs.candidates(base, taken):
        article_id = await article_repo.insert_article(
            tx.conn,
            slug=slug,
            title=command.title,
            description=command.description,
            body=command.body,
            author_id=principal.user_id,
            now=now,
        )
        if article_id is not None:
            break
    else:  # pragma: no cover - six concurrent writers taking the same slug
        raise Conflict.taken("slug")
    await article_repo.replace_tags(tx.conn, article_id, command.tag_list, created_at=now)
    tx.record(
        ArticleCreated(
            article_id=article_id,
            author_id=principal.user_id,
            slug=slug,
            tags=tuple(command.tag_list),
        )
    )
    return article_id


class AuthorRule(Protocol):
    """A ``domain.auth`` rule on what the principal may do to an author's article."""

    def __call__(self, principal: Principal, *, author_id: int) -> bool: ...


async def _authorize(
    conn: Connection, slug: str, allowed: AuthorRule, principal: Principal
) -> ArticleRef:
    ref = await article_repo.get_ref(conn, slug, lock=True)
    if ref is None:
        raise NotFound("article")
    ensure(allowed(principal, author_id=ref.author_id), resource="article")
    return ref


async def update_article(
    db: Store, principal: Principal, slug: str, command: UpdateArticle
) -> ArticleView:
    """Partial update. A changed title regenerates the slug; other edits keep it. An edit
    that repeats the current values changes nothing (no ``updated_at`` bump, no event)."""
    given = command.model_fields_set
    async with opened(db).write() as tx:
        ref = await article_repo.get_editable(tx.conn, slug)
        if ref is None:
            raise NotFound("article")
        ensure(can_edit_article(principal, author_id=ref.author_id), resource="article")
        values: dict[str, object] = {
            field: getattr(command, field)
            for field in given & {"title", "description", "body"}
            if getattr(command, field) != getattr(ref, field)
        }
        previous_tags = await article_repo.tag_names(tx.conn, ref.id)
        tags = previous_tags
        if command.tag_list is not None and set(command.tag_list) != set(previous_tags):
            tags = tuple(command.tag_list)
        if values or tags != previous_tags:
            kept_slug = await _write_edit(tx, ref, values, command.title)
            if tags != previous_tags:
                await article_repo.replace_tags(tx.conn, ref.id, tags, created_at=ref.created_at)
            tx.record(
                ArticleUpdated(
                    article_id=ref.id,
                    author_id=ref.author_id,
                    slug=kept_slug,
                    previous_slug=ref.slug,
                    tags=tags,
                    previous_tags=previous_tags,
                )
            )
        return await _read_back(tx, ref.id, principal)


async def _write_edit(
    tx: Transaction, ref: EditableArticle, values: dict[str, object], title: str | None
) -> str:
    """Store the changed fields (and a new slug if the title changed); the slug it kept."""
    values = {**values, "updated_at": utcnow()}
    new_slugs = [ref.slug]
    if "title" in values and title is not None:
        base = slugs.slug_base(title)
        if not slugs.belongs_to(ref.slug, base):
            taken = await article_repo.slugs_starting_with(tx.conn, base) - {ref.slug}
            new_slugs = list(slugs.candidates(base, taken))
    for new_slug in new_slugs:
        if new_slug != ref.slug:
            values["slug"] = new_slug
        if await article_repo.update_article(tx.conn, ref.id, values):
            kept: str = new_slug
            return kept
    raise Conflict.taken("slug")  # pragma: no cover - six concurrent writers, one slug


async def delete_article(db: Store, principal: Principal, slug: str, *, client: ClientInfo) -> None:
    """An admin deleting someone else's article leaves an audit row in the same write."""
    async with opened(db).write() as tx:
        ref = await _authorize(tx.conn, slug, can_delete_article, principal)
        await remove_article(tx, ref, principal, client=client)


async def remove_article(
    tx: Transaction,
    ref: ArticleRef,
    principal: Principal,
    *,
    client: ClientInfo,
    reason: str | None = None,
) -> None:
    """Delete an authorized (and locked) article in the caller's transaction: its
    dependents, the audit row when it was not the author's own act or was a moderation
    (``reason``), and ``ArticleDeleted``, whose after-commit purge takes it out of every
    cached list at once."""
    gone = await article_repo.dependents(tx.conn, ref.id)
    await article_repo.delete_article(tx.conn, ref.id, author_id=ref.author_id, gone=gone)
    await audit.record_removal(
        tx.conn,
        action=audit.ADMIN_ARTICLE_DELETE,
        client=client,
        principal_id=principal.user_id,
        author_id=ref.author_id,
        target=f"article:{ref.slug}",
        detail={"comments": len(gone.comment_ids)},
        reason=reason,
    )
    tx.record(
        ArticleDeleted(
            article_id=ref.id,
            author_id=ref.author_id,
            slug=ref.slug,
            tags=gone.tags,
            favorited_by=gone.favorited_by,
            comment_ids=gone.comment_ids,
        )
    )


async def _set_favorite(db: Store, principal: Principal, slug: str, *, on: bool) -> ArticleView:
    """Idempotent: favoriting twice, or unfavoriting what was never favorited, is a no-op
    (and records no event)."""
    async with opened(db).write() as tx:
        ref = await article_repo.get_ref(tx.conn, slug, lock=True)
        if ref is None:
            raise NotFound("article")
        pair = {"user_id": principal.user_id, "article_id": ref.id}
        if on and await article_repo.favorite(tx.conn, **pair, now=utcnow()):
            tx.record(FavoriteAdded(**pair))
        if not on and await article_repo.unfavorite(tx.conn, **pair):
            tx.record(FavoriteRemoved(**pair))
        return await _read_back(tx, ref.id, principal)


async def favorite(db: Store, principal: Principal, slug: str) -> ArticleView:
    return await _set_favorite(db, principal, slug, on=True)


async def unfavorite(db: Store, principal: Principal, slug: str) -> ArticleView:
    return await _set_favorite(db, principal, slug, on=False)


async def list_tags(db: Store) -> list[str]:
    read_tags.note(cache_keys.TAGS)
    async with opened(db).read() as conn:
        return await article_repo.popular_tags(conn, limit=TAGS_LIMIT)
