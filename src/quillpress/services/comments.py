"""Comments on articles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quillpress.db.database import Transaction, opened
from quillpress.domain.auth import Principal, Viewer, can_delete_comment, ensure, viewer_id
from quillpress.domain.clients import ClientInfo
from quillpress.domain.clock import utcnow
from quillpress.domain.commands import AddComment
from quillpress.domain.errors import NotFound
from quillpress.domain.events import CommentAdded, CommentDeleted
from quillpress.domain.idempotency import ADD_COMMENT, Created, IdempotencyKey
from quillpress.domain.views import CommentView
from quillpress.infra.resources import Store
from quillpress.repositories import articles as article_repo
from quillpress.repositories import comments as comment_repo
from quillpress.services import audit, read_tags
from quillpress.services import idempotency as idempotent
from quillpress.services.assemble import comment_view


async def list_comments(db: Store, viewer: Viewer, slug: str) -> list[CommentView]:
    async with opened(db).read() as conn:
        ref = await article_repo.get_ref(conn, slug)
        if ref is None:
            raise NotFound("article")
        rows = await comment_repo.list_for_article(conn, ref.id, viewer_id=viewer_id(viewer))
    views = [comment_view(row) for row in rows]
    read_tags.comments(ref.id, views)
    return views


async def comments_per_article(
    db: Store, viewer: Viewer, article_ids: Sequence[int]
) -> dict[int, list[CommentView]]:
    """Comments of many articles in one statement: the batch behind ``Article.comments``."""
    async with opened(db).read() as conn:
        rows = await comment_repo.list_for_articles(conn, article_ids, viewer_id=viewer_id(viewer))
    grouped: dict[int, list[CommentView]] = {article_id: [] for article_id in article_ids}
    for row in rows:
        grouped[row.article_id].append(comment_view(row))
    for article_id, views in grouped.items():
        read_tags.comments(article_id, views)
    return grouped


async def add_comment(
    db: Store,
    principal: Principal,
    slug: str,
    command: AddComment,
    *,
    idempotency: IdempotencyKey | None = None,
) -> Created[CommentView]:
    """A new comment. With an ``idempotency`` key, a retry of the same request answers the
    comment the first one added (``replayed``) instead of adding another."""
    async with opened(db).write() as tx:
        claimed, first = await idempotent.claim(
            tx,
            principal,
            idempotency,
            ADD_COMMENT,
            lambda: {"slug": slug, "comment": command.model_dump(mode="json", by_alias=True)},
        )
        if first is None:
            comment_id = await _insert_comment(tx, principal, slug, command)
            await idempotent.remember(tx, claimed, comment_id)
        else:
            comment_id = first
        # Read back inside the transaction: once the commit returns the answer is ready
        # (a database lost after it must not turn the committed comment into a 503).
        row = await comment_repo.get(tx.conn, comment_id, viewer_id=principal.user_id)
    if row is None:  # a replayed key whose comment was deleted since
        raise NotFound("comment")
    return Created(comment_view(row), replayed=first is not None)


async def _insert_comment(
    tx: Transaction, principal: Principal, slug: str, command: AddComment
) -> int:
    ref = await article_repo.get_ref(tx.conn, slug)
    if ref is None:
        raise NotFound("article")
    comment_id = await comment_repo.insert_comment(
        tx.conn, article_id=ref.id, author_id=principal.user_id, body=command.body, now=utcnow()
    )
    tx.record(CommentAdded(comment_id=comment_id, article_id=ref.id, author_id=principal.user_id))
    return comment_id


async def delete_comment(
    db: Store,
    principal: Principal,
    slug: str,
    comment_id: int,
    *,
    client: ClientInfo,
) -> None:
    """A comment id under another article's slug is "not found", never deleted. An admin
    deleting someone else's comment leaves an audit row in the same write."""
    async with opened(db).write() as tx:
        ref = await article_repo.get_ref(tx.conn, slug)
        if ref is None:
            raise NotFound("article")
        row = await comment_repo.get(tx.conn, comment_id, viewer_id=None)
        if row is None or row.article_id != ref.id:
            raise NotFound("comment")
        ensure(can_delete_comment(principal, author_id=row.author_id), resource="comment")
        await remove_comment(
            tx, Removal(comment_id, ref.id, ref.slug, row.author_id), principal, client=client
        )


@dataclass(frozen=True, slots=True)
class Removal:
    """The comment an authorized delete removes, and where it was posted."""

    comment_id: int
    article_id: int
    slug: str
    author_id: int


async def remove_comment(
    tx: Transaction,
    removal: Removal,
    principal: Principal,
    *,
    client: ClientInfo,
    reason: str | None = None,
) -> None:
    """Delete an authorized comment in the caller's transaction: the audit row when it was
    not the author's own act or was a moderation (``reason``), and ``CommentDeleted``,
    whose after-commit purge takes it out of every cached answer."""
    await comment_repo.delete_comment(tx.conn, removal.comment_id)
    await audit.record_removal(
        tx.conn,
        action=audit.ADMIN_COMMENT_DELETE,
        client=client,
        principal_id=principal.user_id,
        author_id=removal.author_id,
        target=f"comment:{removal.comment_id}",
        detail={"article": removal.slug},
        reason=reason,
    )
    tx.record(
        CommentDeleted(
            comment_id=removal.comment_id,
            article_id=removal.article_id,
            author_id=removal.author_id,
        )
    )
