"""Root query fields: each converts arguments, calls one use case, returns its view.

A missing article or profile reads as ``null`` here (mutations raise NOT_FOUND instead)."""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
)

from quillpress.api.graphql import admin, moderation
from quillpress.api.graphql.context import Info
from quillpress.api.graphql.inputs import ArticleFilterInput
from quillpress.api.graphql.protections import SEARCH_COST
from quillpress.api.graphql.selection import selects
from quillpress.api.graphql.types import (
    ArticleConnectionType,
    ArticleType,
    Connection,
    ProfileType,
    SearchConnection,
    SearchConnectionType,
    UserType,
    _list,
    connection_fields,
    page_arguments,
    page_from,
    renamed,
)
from quillpress.domain.commands import ArticleFilter
from quillpress.domain.errors import Invalid, NotFound
from quillpress.domain.validation import parse
from quillpress.domain.views import ArticleView, ProfileView, UserView
from quillpress.infra.limits import Limiter
from quillpress.services import articles as article_service
from quillpress.services import profiles as profile_service
from quillpress.services import search as search_service
from quillpress.services import users as user_service
from quillpress.services.articles import PageFields


async def _viewer(_root: None, info: Info) -> UserView | None:
    if info.context.viewer is None:
        return None
    return await user_service.current_user(info.context.db, info.context.viewer)


async def _profile(_root: None, info: Info, username: str) -> ProfileView | None:
    try:
        return await profile_service.get_profile(info.context.db, info.context.viewer, username)
    except NotFound:
        return None


async def _article(_root: None, info: Info, slug: str) -> ArticleView | None:
    try:
        return await article_service.get_article(info.context.db, info.context.viewer, slug)
    except NotFound:
        return None


async def _articles(
    _root: None,
    info: Info,
    filter: dict[str, Any] | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Connection:
    given = filter or {}
    filters = parse(
        ArticleFilter,
        {
            "tag": given.get("tag"),
            "author": given.get("author"),
            "favorited": given.get("favoritedBy"),
        },
    )
    page = page_from(info, first, after)
    ctx = info.context
    return Connection(
        await article_service.list_articles(
            ctx.db, ctx.viewer, filters, page, connection_fields(info)
        )
    )


async def _feed(
    _root: None, info: Info, first: int | None = None, after: str | None = None
) -> Connection:
    ctx = info.context
    page = page_from(info, first, after)
    return Connection(
        await article_service.feed(ctx.db, ctx.principal(), page, connection_fields(info))
    )


async def _search(
    _root: None,
    info: Info,
    query: str,
    first: int | None = None,
    after: str | None = None,
    tag: str | None = None,
    author: str | None = None,
) -> SearchConnection:
    ctx = info.context
    filters = parse(ArticleFilter, {"tag": tag, "author": author})
    page = page_from(info, first, after, search=True)
    wanted = PageFields(
        with_body=selects(info, "edges", "node", "body"), with_total=selects(info, "totalCount")
    )
    try:
        found = await search_service.search_articles(
            ctx.db,
            ctx.viewer,
            query,
            filters,
            page,
            wanted,
            language_name=ctx.settings.search_language,
            # GraphQL's searches are bounded by the query's cost (a search weighs
            # SEARCH_COST), not by REST's per-search rule.
            limiter=Limiter.disabled(),
            client=ctx.client,
        )
    except Invalid as error:
        raise renamed(error) from None
    return SearchConnection(found)


async def _tags(_root: None, info: Info) -> list[str]:
    return await article_service.list_tags(info.context.db)


QueryType = GraphQLObjectType(
    "Query",
    {
        "viewer": GraphQLField(
            UserType, description="The signed-in user, or null.", resolve=_viewer
        ),
        "profile": GraphQLField(
            ProfileType,
            args={"username": GraphQLArgument(GraphQLNonNull(GraphQLString))},
            resolve=_profile,
        ),
        "article": GraphQLField(
            ArticleType,
            args={"slug": GraphQLArgument(GraphQLNonNull(GraphQLString))},
            resolve=_article,
        ),
        "articles": GraphQLField(
            GraphQLNonNull(ArticleConnectionType),
            args={"filter": GraphQLArgument(ArticleFilterInput), **page_arguments("Page size")},
            description="Newest first.",
            resolve=_articles,
        ),
        "feed": GraphQLField(
            GraphQLNonNull(ArticleConnectionType),
            args=page_arguments("Page size"),
            description="Articles by the authors the viewer follows, newest first.",
            resolve=_feed,
        ),
        "searchArticles": GraphQLField(
            GraphQLNonNull(SearchConnectionType),
            args={
                "query": GraphQLArgument(
                    GraphQLNonNull(GraphQLString),
                    description='Words (all must match, stemmed), "exact phrases", '
                    "-excluded words, `or` between alternatives; at most 200 characters "
                    "and 20 words. Blank: every article, newest first.",
                ),
                **page_arguments("Page size"),
                "tag": GraphQLArgument(GraphQLString),
                "author": GraphQLArgument(GraphQLString, description="Username of the author."),
            },
            description="Full-text search: most relevant first, then newest (REST: "
            f"`GET /api/articles?q=`). Costs {SEARCH_COST} on top of its selection.",
            resolve=_search,
            extensions={"cost": SEARCH_COST},
        ),
        "tags": GraphQLField(
            _list(GraphQLString), description="Tags in use, most used first.", resolve=_tags
        ),
        **admin.QUERIES,
        **moderation.QUERIES,
    },
)
