"""``/admin/articles`` and ``/admin/comments``: find content and delete it, each
deletion through a confirmation page whose ``Reason`` goes to the audit row.

The article list is the public list use case, newest first, or with a query the search
use case (the same one ``GET /api/articles?q=`` runs, with its limits); the comment list
is the admin API's (``GET /api/admin/comments``). A delete is the admin API's moderation
delete (``DELETE /api/admin/articles/{slug}``, ``…/comments/{id}``): its audit row is in
the same transaction, and its events purge the caches, so the article is gone from the
public API at once."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from quillpress.api.console.access import admin_page, admin_post
from quillpress.api.console.flash import with_notice
from quillpress.api.console.listing import page_of, pager, param
from quillpress.api.console.rendering import ConsoleRoute, redirect, show
from quillpress.domain.commands import AdminCommentFilter, ArticleFilter
from quillpress.domain.errors import Invalid
from quillpress.domain.validation import parse
from quillpress.services import admin_content
from quillpress.services import articles as article_service
from quillpress.services import search as search_service

router = APIRouter(route_class=ConsoleRoute)


@router.get("/articles", include_in_schema=False)
async def articles(request: Request) -> Response:
    visit = await admin_page(request)
    query = param(request, "q")
    filters = parse(
        ArticleFilter, {"author": param(request, "author"), "tag": param(request, "tag")}
    )
    page = page_of(request)
    if query is None:
        found = await article_service.list_articles(visit.db, visit.principal, filters, page)
        listed = found.items
        shown = pager(request, page, found)
    else:
        results = await search_service.search_articles(
            visit.db,
            visit.principal,
            query,
            filters,
            page,
            limiter=visit.found.limiter,
            client=visit.client,
        )
        listed = [hit.article for hit in results.page.items]
        shown = pager(request, page, results.page)
    context = {"articles": listed, "pager": shown, "query": query or "", "filters": filters}
    return show(request, "articles.html", context)


def _article_path(slug: str) -> str:
    return f"/admin/articles/{quote(slug, safe='')}/delete"


@router.get("/articles/{slug}/delete", include_in_schema=False)
async def confirm_article(request: Request, slug: str) -> Response:
    visit = await admin_page(request)
    article = await article_service.get_article(visit.db, visit.principal, slug)
    context = {
        "what": f"the article “{article.title}” by {article.author.username}",
        "heading": "Delete an article",
        "excerpt": article.description,
        "action": _article_path(article.slug),
        "back": "/admin/articles",
    }
    return show(request, "confirm_delete.html", context)


@router.post("/articles/{slug}/delete", include_in_schema=False)
async def delete_article(request: Request, slug: str) -> Response:
    visit, form = await admin_post(request)
    await admin_content.delete_article(
        visit.db, visit.principal, slug, reason=form.text("reason") or "", client=visit.client
    )
    return redirect(with_notice("/admin/articles", "article-deleted"))


@router.get("/comments", include_in_schema=False)
async def comments(request: Request) -> Response:
    visit = await admin_page(request)
    values = {"article": param(request, "article"), "author": param(request, "author")}
    filters = parse(AdminCommentFilter, values)
    page = page_of(request)
    found = await admin_content.list_comments(visit.db, visit.principal, filters, page)
    context = {"comments": found.items, "pager": pager(request, page, found), "filters": filters}
    return show(request, "comments.html", context)


def _comment_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise Invalid({"id": ["must be a comment number"]})
    return int(raw)


@router.get("/comments/{comment_id}/delete", include_in_schema=False)
async def confirm_comment(request: Request, comment_id: str) -> Response:
    visit = await admin_page(request)
    found = await admin_content.get_comment(visit.db, visit.principal, _comment_id(comment_id))
    context = {
        "what": f"the comment by {found.author} on “{found.article_title}”",
        "heading": "Delete a comment",
        "excerpt": found.body,
        "action": f"/admin/comments/{found.id}/delete",
        "back": "/admin/comments",
    }
    return show(request, "confirm_delete.html", context)


@router.post("/comments/{comment_id}/delete", include_in_schema=False)
async def delete_comment(request: Request, comment_id: str) -> Response:
    visit, form = await admin_post(request)
    await admin_content.delete_comment(
        visit.db,
        visit.principal,
        _comment_id(comment_id),
        reason=form.text("reason") or "",
        client=visit.client,
    )
    return redirect(with_notice("/admin/comments", "comment-deleted"))
