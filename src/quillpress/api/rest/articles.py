"""``/articles``: listing, the feed, CRUD and favorites."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from quillpress.api.rest import envelopes
from quillpress.api.rest.bodies import CreateArticleBody, UpdateArticleBody
from quillpress.api.rest.deps import CacheDep, CurrentPrincipal, CurrentViewer, Db, Pagination
from quillpress.api.rest.responses import JsonResponse
from quillpress.domain.commands import ArticleFilter
from quillpress.domain.validation import parse
from quillpress.services import articles as article_service

router = APIRouter(prefix="/articles", tags=["Articles"])

FilterValue = Annotated[str | None, Query(max_length=200)]


@router.get("")
async def list_articles(
    viewer: CurrentViewer,
    db: Db,
    cache: CacheDep,
    page: Pagination,
    tag: FilterValue = None,
    author: FilterValue = None,
    favorited: FilterValue = None,
) -> JsonResponse:
    filters = parse(ArticleFilter, {"tag": tag, "author": author, "favorited": favorited})
    views = await article_service.list_articles(db, viewer, filters, page, cache=cache)
    return JsonResponse(envelopes.articles(views))


@router.get("/feed")
async def feed(viewer: CurrentPrincipal, db: Db, cache: CacheDep, page: Pagination) -> JsonResponse:
    return JsonResponse(
        envelopes.articles(await article_service.feed(db, viewer, page, cache=cache))
    )


@router.post("", status_code=201)
async def create_article(body: CreateArticleBody, viewer: CurrentPrincipal, db: Db) -> JsonResponse:
    view = await article_service.create_article(db, viewer, body.article)
    return JsonResponse(envelopes.article(view), status_code=201)


@router.get("/{slug}")
async def get_article(slug: str, viewer: CurrentViewer, db: Db, cache: CacheDep) -> JsonResponse:
    view = await article_service.get_article(db, viewer, slug, cache=cache)
    return JsonResponse(envelopes.article(view))


@router.put("/{slug}")
async def update_article(
    slug: str, body: UpdateArticleBody, viewer: CurrentPrincipal, db: Db
) -> JsonResponse:
    view = await article_service.update_article(db, viewer, slug, body.article)
    return JsonResponse(envelopes.article(view))


@router.delete("/{slug}", status_code=204)
async def delete_article(slug: str, viewer: CurrentPrincipal, db: Db) -> Response:
    await article_service.delete_article(db, viewer, slug)
    return Response(status_code=204)


@router.post("/{slug}/favorite")
async def favorite(slug: str, viewer: CurrentPrincipal, db: Db) -> JsonResponse:
    return JsonResponse(envelopes.article(await article_service.favorite(db, viewer, slug)))


@router.delete("/{slug}/favorite")
async def unfavorite(slug: str, viewer: CurrentPrincipal, db: Db) -> JsonResponse:
    return JsonResponse(envelopes.article(await article_service.unfavorite(db, viewer, slug)))
