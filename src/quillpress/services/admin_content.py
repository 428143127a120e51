"""The moderators' content use cases: every comment of the site newest first, and the
deletes of an article or a comment with a reason.

A moderation delete is the ordinary delete (``services.articles.remove_article``,
``services.comments.remove_comment``): the same cascade, the same after-commit events
purging the cache (a deleted article is gone from ``GET /api/articles`` at once), and an
audit row in the same transaction, here always written and carrying the reason. Admins
only, whoever wrote the content; the reason (1 to 500 characters) is checked before anything
is read."""

from __future__ import annotations

from quillpress.db.database import opened
from quillpress.domain.auth import Principal
from quillpress.domain.clients import ClientInfo
from quillpress.domain.commands import AdminCommentFilter, ModerationReason, Page
from quillpress.domain.errors import NotFound
from quillpress.domain.validation import parse
from quillpress.domain.views import AdminCommentView, Paged
from quillpress.infra.resources import Store
from quillpress.repositories import articles as article_repo
from quillpress.repositories import moderation as moderation_repo
from quillpress.repositories.moderation import ModeratedComment
from quillpress.services.admin import authorize
from quillpress.services.articles import remove_article
from quillpress.services.comments import Removal, remove_comment


def _view(row: ModeratedComment) -> AdminCommentView:
    return AdminCommentView(
        id=row.id,
        body=row.body,
        created_at=row.created_at,
        author=row.author,
        article_slug=row.article_slug,
        article_title=row.article_title,
    )


async def list_comments(
    db: Store, principal: Principal, filters: AdminCommentFilter, page: Page
) -> Paged[AdminCommentView]:
    """Newest first; two statements (the page and the total) whatever the page size."""
    authorize(principal)
    page = page.listing()
    async with opened(db).read() as conn:
        rows, total = await moderation_repo.list_comments(conn, filters, page)
    items = [_view(row) for row in rows[: page.limit]]
    return Paged(items=items, total=total, has_next=len(rows) > page.limit)


async def get_comment(db: Store, principal: Principal, comment_id: int) -> AdminCommentView:
    """One comment with its author and article: what a moderator reads before deleting it
    (the console's confirmation page). One statement."""
    authorize(principal)
    async with opened(db).read() as conn:
        row = await moderation_repo.get_comment(conn, comment_id)
    if row is None:
        raise NotFound("comment")
    return _view(row)


def _reason(reason: str) -> str:
    return parse(ModerationReason, {"reason": reason}).reason


async def delete_article(
    db: Store, principal: Principal, slug: str, *, reason: str, client: ClientInfo
) -> None:
    authorize(principal)
    why = _reason(reason)
    async with opened(db).write() as tx:
        ref = await article_repo.get_ref(tx.conn, slug, lock=True)
        if ref is None:
            raise NotFound("article")
        await remove_article(tx, ref, principal, client=client, reason=why)


async def delete_comment(
    db: Store, principal: Principal, comment_id: int, *, reason: str, client: ClientInfo
) -> None:
    authorize(principal)
    why = _reason(reason)
    async with opened(db).write() as tx:
        row = await moderation_repo.get_comment(tx.conn, comment_id)
        if row is None:
            raise NotFound("comment")
        removal = Removal(row.id, row.article_id, row.article_slug, row.author_id)
        await remove_comment(tx, removal, principal, client=client, reason=why)
