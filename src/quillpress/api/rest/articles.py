"""``/articles``: listing, the feed, CRUD and favorites."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from quillpress.api.idempotency import replay_headers
from quillpress.api.rest import envelopes, links
from quillpress.api.rest.binding import BoundRoute
from quillpress.api.rest.bodies import CreateArticleBody, UpdateArticleBody
from quillpress.api.rest.deps import (
    Client,
    CurrentPrincipal,
    CurrentViewer,
    Db,
    Idempotency,
    LimiterDep,
    Pagination,
    SettingsDep,
)
from quillpress.api.rest.envelopes import MultipleArticlesResponse, SingleArticleResponse
from quillpress.api.rest.error_statuses import errors, replayable
from quillpress.api.rest.responses import JsonResponse
from quillpress.api.rest.traits import cacheable_per_viewer
from quillpress.domain.commands import ArticleFilter
from quillpress.domain.search import MAX_LENGTH
from quillpress.domain.validation import parse
from quillpress.services import articles as article_service
from quillpress.services import search as search_service

router = APIRouter(prefix="/articles", tags=["Articles"], route_class=BoundRoute)

FilterValue = Annotated[str | None, Query(max_length=200)]
SearchText = Annotated[
    str | None,
    Query(
        max_length=MAX_LENGTH,
        description="Full-text search (at most 20 words): words (all must match, stemmed), "
        '`"exact phrases"`, `-excluded` words, `or` between alternatives. Results come most '
        "relevant first, then newest, each with a `match` (title and body snippet as HTML, "
        "matched words in `<mark>`), and the answer has a `suggestion` (a corrected query "
        "when nothing matched, or null). Blank: the plain list. Rate-limited per client "
        "(`QUILLPRESS_RATE_LIMIT_SEARCH`).",
    ),
]


@router.get(
    "",
    response_model=MultipleArticlesResponse,
    operation_id="GetArticles",
    summary="Get recent articles globally",
)
async def list_articles(
    request: Request,
    viewer: CurrentViewer,
    db: Db,
    page: Pagination,
    client: Client,
    limiter: LimiterDep,
    settings: SettingsDep,
    tag: FilterValue = None,
    author: FilterValue = None,
    favorited: FilterValue = None,
    q: SearchText = None,
) -> JsonResponse:
    filters = parse(ArticleFilter, {"tag": tag, "author": author, "favorited": favorited})
    if q is None:
        paged = await article_service.list_articles(db, viewer, filters, page)
        headers = links.next_page(request, paged, page)
        return JsonResponse(envelopes.articles(paged), headers=headers)
    found = await search_service.search_articles(
        db,
        viewer,
        q,
        filters,
        page,
        language_name=settings.search_language,
        limiter=limiter,
        client=client,
    )
    headers = links.next_search_page(request, found, page)
    return JsonResponse(envelopes.search(found), headers=headers)


@router.get(
    "/feed",
    response_model=MultipleArticlesResponse,
    operation_id="GetArticlesFeed",
    summary="Get recent articles from users you follow",
)
@cacheable_per_viewer
async def feed(
    request: Request, viewer: CurrentPrincipal, db: Db, page: Pagination
) -> JsonResponse:
    paged = await article_service.feed(db, viewer, page)
    return JsonResponse(envelopes.articles(paged), headers=links.next_page(request, paged, page))


@router.post(
    "",
    status_code=201,
    response_model=SingleArticleResponse,
    responses=replayable("The article created (or, replayed, the one created before)."),
    operation_id="CreateArticle",
    summary="Create an article",
)
async def create_article(
    body: CreateArticleBody, viewer: CurrentPrincipal, db: Db, idempotency: Idempotency
) -> JsonResponse:
    created = await article_service.create_article(
        db, viewer, body.article, idempotency=idempotency
    )
    return JsonResponse(
        envelopes.article(created.view), status_code=201, headers=replay_headers(created)
    )


@router.get(
    "/{slug}",
    response_model=SingleArticleResponse,
    operation_id="GetArticle",
    summary="Get an article",
)
async def get_article(slug: str, viewer: CurrentViewer, db: Db) -> JsonResponse:
    view = await article_service.get_article(db, viewer, slug)
    return JsonResponse(envelopes.article(view))


@router.put(
    "/{slug}",
    response_model=SingleArticleResponse,
    responses=errors(403, 409),
    operation_id="UpdateArticle",
    summary="Update an article",
)
async def update_article(
    slug: str, body: UpdateArticleBody, viewer: CurrentPrincipal, db: Db
) -> JsonResponse:
    view = await article_service.update_article(db, viewer, slug, body.article)
    return JsonResponse(envelopes.article(view))


@router.delete(
    "/{slug}",
    status_code=204,
    responses=errors(403),
    operation_id="DeleteArticle",
    summary="Delete an article",
)
async def delete_article(slug: str, viewer: CurrentPrincipal, db: Db, client: Client) -> Response:
    await article_service.delete_article(db, viewer, slug, client=client)
    return Response(status_code=204)


@router.post(
    "/{slug}/favorite",
    response_model=SingleArticleResponse,
    tags=["Favorites"],
    operation_id="CreateArticleFavorite",
    summary="Favorite an article",
)
async def favorite(slug: str, viewer: CurrentPrincipal, db: Db) -> JsonResponse:
    return JsonResponse(envelopes.article(await article_service.favorite(db, viewer, slug)))


@router.delete(
    "/{slug}/favorite",
    response_model=SingleArticleResponse,
    tags=["Favorites"],
    operation_id="DeleteArticleFavorite",
    summary="Unfavorite an article",
)
async def unfavorite(slug: str, viewer: CurrentPrincipal, db: Db) -> JsonResponse:
    return JsonResponse(envelopes.article(await article_service.unfavorite(db, viewer, slug)))
