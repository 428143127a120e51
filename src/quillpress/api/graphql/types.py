"""Object types, derived from the domain views (never from tables, so nothing like a
password hash can leak). Leaf fields resolve synchronously from the view; only the
open-ended edges (a profile's articles and favorites, an article's comments) are async.

Size: the schema's object types refer to one another (thunks), so they are declared
together, one small block per domain view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLField,
    GraphQLFloat,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
)

from quillpress.api.graphql.context import Info
from quillpress.api.graphql.execution import plain
from quillpress.api.graphql.selection import selects
from quillpress.domain import cursors
from quillpress.domain.commands import Group, Page, make_page
from quillpress.domain.errors import Invalid
from quillpress.domain.views import (
    ArticleView,
    CommentView,
    DeviceSessionView,
    Paged,
    ProfileView,
    SearchResults,
    UserView,
    isoformat,
)
from quillpress.services import sessions as session_service
from quillpress.services.articles import PageFields

String = GraphQLNonNull(GraphQLString)
Int = GraphQLNonNull(GraphQLInt)
Boolean = GraphQLNonNull(GraphQLBoolean)


def _list(of: Any) -> GraphQLNonNull[Any]:
    return GraphQLNonNull(GraphQLList(GraphQLNonNull(of)))


@dataclass(frozen=True, slots=True)
class Connection:
    page: Paged[ArticleView]

    def end_cursor(self) -> str | None:
        items = self.page.items
        return cursors.encode(items[-1]) if items else None


@dataclass(frozen=True, slots=True)
class SearchConnection:
    results: SearchResults

    @property
    def page(self) -> Paged[Any]:
        return self.results.page

    def end_cursor(self) -> str | None:
        return cursors.of_result(self.results, -1) if self.results.page.items else None


@dataclass(frozen=True, slots=True)
class Edge:
    node: ArticleView

    @property
    def cursor(self) -> str:
        """Encoded only when selected: most list queries never read it."""
        return cursors.encode(self.node)


def page_arguments(description: str) -> dict[str, GraphQLArgument]:
    return {
        "first": GraphQLArgument(GraphQLInt, description=f"{description} (default 20)."),
        "after": GraphQLArgument(
            GraphQLString, description="Cursor of the last item already seen."
        ),
    }


ARGUMENT_NAMES = {"limit": "first", "cursor": "after", "q": "query"}
"""The domain's (and REST's) names of inputs → this API's arguments."""


def renamed(error: Invalid) -> Invalid:
    """``error`` with its fields named after this API's arguments."""
    return Invalid({ARGUMENT_NAMES.get(key, key): value for key, value in error.fields.items()})


def page_from(info: Info, first: int | None, after: str | None, *, search: bool = False) -> Page:
    """The domain's page rules, with errors named after this API's argument (``first``).
    ``search``: ``after`` may be a search cursor (the use case checks whose)."""
    settings = info.context.settings
    decode = cursors.decode_any if search else cursors.decode
    try:
        return make_page(
            settings.default_page_size if first is None else first,
            max_limit=settings.max_page_size,
            after=decode(after, field="after"),
        )
    except Invalid as error:
        raise renamed(error) from None


def connection_fields(info: Info) -> PageFields:
    """Ask the database only for what this connection's selection reads."""
    return PageFields(
        with_body=selects(info, "edges", "node", "body") or selects(info, "nodes", "body"),
        with_total=selects(info, "totalCount"),
    )


@plain
def _edges(connection: Connection, _info: Info) -> list[Edge]:
    return [Edge(view) for view in connection.page.items]


@plain
def _end_cursor(connection: Connection | SearchConnection, _info: Info) -> str | None:
    return connection.end_cursor()


PageInfoType = GraphQLObjectType(
    "PageInfo",
    {
        "hasNextPage": GraphQLField(Boolean, resolve=plain(lambda c, _i: c.page.has_next)),
        "endCursor": GraphQLField(GraphQLString, resolve=_end_cursor),
    },
)


async def _group_page(
    profile: ProfileView,
    info: Info,
    group: Group,
    first: int | None,
    after: str | None,
) -> Connection:
    loader = info.context.loaders.article_pages(
        group, page_from(info, first, after), connection_fields(info)
    )
    return Connection(await loader.load(profile.id))


async def _profile_articles(
    profile: ProfileView,
    info: Info,
    first: int | None = None,
    after: str | None = None,
) -> Connection:
    return await _group_page(profile, info, "author", first, after)


async def _profile_favorites(
    profile: ProfileView,
    info: Info,
    first: int | None = None,
    after: str | None = None,
) -> Connection:
    return await _group_page(profile, info, "favorited_by", first, after)


async def _article_comments(article: ArticleView, info: Info) -> list[CommentView]:
    comments: list[CommentView] = await info.context.loaders.comments.load(article.id)
    return comments


@plain
def _body(article: ArticleView, _info: Info) -> str | None:
    return article.body


ProfileType: GraphQLObjectType = GraphQLObjectType(
    "Profile",
    lambda: {
        "username": GraphQLField(String),
        "bio": GraphQLField(GraphQLString),
        "image": GraphQLField(GraphQLString),
        "following": GraphQLField(Boolean, description="Whether the viewer follows this profile."),
        "articles": GraphQLField(
            GraphQLNonNull(ArticleConnectionType),
            args=page_arguments("Articles written, newest first"),
            resolve=_profile_articles,
        ),
        "favorites": GraphQLField(
            GraphQLNonNull(ArticleConnectionType),
            args=page_arguments("Articles favorited, newest first"),
            resolve=_profile_favorites,
        ),
    },
)

CommentType = GraphQLObjectType(
    "Comment",
    {
        "id": GraphQLField(Int),
        "body": GraphQLField(String),
        "createdAt": GraphQLField(String, resolve=plain(lambda c, _i: isoformat(c.created_at))),
        "updatedAt": GraphQLField(String, resolve=plain(lambda c, _i: isoformat(c.updated_at))),
        "author": GraphQLField(GraphQLNonNull(ProfileType)),
    },
)

ArticleType: GraphQLObjectType = GraphQLObjectType(
    "Article",
    lambda: {
        "slug": GraphQLField(String),
        "title": GraphQLField(String),
        "description": GraphQLField(String),
        "body": GraphQLField(String, resolve=_body),
        "tagList": GraphQLField(_list(GraphQLString), resolve=plain(lambda a, _i: a.tag_list)),
        "createdAt": GraphQLField(String, resolve=plain(lambda a, _i: isoformat(a.created_at))),
        "updatedAt": GraphQLField(String, resolve=plain(lambda a, _i: isoformat(a.updated_at))),
        "favorited": GraphQLField(Boolean, description="Whether the viewer favorited it."),
        "favoritesCount": GraphQLField(Int, resolve=plain(lambda a, _i: a.favorites_count)),
        "author": GraphQLField(GraphQLNonNull(ProfileType)),
        "comments": GraphQLField(
            _list(CommentType), description="Newest first.", resolve=_article_comments
        ),
    },
)

ArticleEdgeType = GraphQLObjectType(
    "ArticleEdge",
    {"cursor": GraphQLField(String), "node": GraphQLField(GraphQLNonNull(ArticleType))},
)

ArticleConnectionType: GraphQLObjectType = GraphQLObjectType(
    "ArticleConnection",
    {
        "edges": GraphQLField(_list(ArticleEdgeType), resolve=_edges),
        "nodes": GraphQLField(_list(ArticleType), resolve=plain(lambda c, _i: c.page.items)),
        "pageInfo": GraphQLField(GraphQLNonNull(PageInfoType), resolve=plain(lambda c, _i: c)),
        "totalCount": GraphQLField(
            Int,
            description="Every match, not just this page.",
            resolve=plain(lambda c, _i: c.page.total),
        ),
    },
)


@plain
def _search_edges(connection: SearchConnection, _info: Info) -> list[SearchEdge]:
    found = connection.results
    return [
        SearchEdge(cursors.of_result(found, index), hit.rank, hit.highlight, hit.article)
        for index, hit in enumerate(found.page.items)
    ]


@dataclass(frozen=True, slots=True)
class SearchEdge:
    cursor: str
    rank: float | None
    highlight: Any
    node: ArticleView


HighlightType = GraphQLObjectType(
    "Highlight",
    {
        "title": GraphQLField(String, description="The title, matched words marked."),
        "snippet": GraphQLField(
            String,
            description="A part of the body (its first 10 KB) around the matched words, "
            "marked; its beginning when only other fields matched.",
        ),
    },
    description="Why an article matched, as HTML: the text escaped, matched words in "
    "`<mark>` (REST: the item's `match`).",
)

SearchEdgeType = GraphQLObjectType(
    "SearchEdge",
    {
        "cursor": GraphQLField(String),
        "rank": GraphQLField(
            GraphQLFloat,
            description="Relevance, higher first; comparable within one result list only. "
            "Null for a blank query (the plain list).",
        ),
        "highlight": GraphQLField(HighlightType, description="Null for a blank query."),
        "node": GraphQLField(GraphQLNonNull(ArticleType)),
    },
)

SearchConnectionType = GraphQLObjectType(
    "SearchConnection",
    {
        "edges": GraphQLField(_list(SearchEdgeType), resolve=_search_edges),
        "pageInfo": GraphQLField(GraphQLNonNull(PageInfoType), resolve=lambda c, _i: c),
        "totalCount": GraphQLField(
            Int,
            description="Every match, not just this page.",
            resolve=plain(lambda c, _i: c.page.total),
        ),
        "suggestion": GraphQLField(
            GraphQLString,
            description="A corrected query when nothing matched (PostgreSQL with pg_trgm), "
            "else null.",
            resolve=plain(lambda c, _i: c.results.suggestion),
        ),
    },
)


@plain
def _own_profile(user: UserView, _info: Info) -> ProfileView:
    return ProfileView(
        id=user.id, username=user.username, bio=user.bio, image=user.image, following=False
    )


SessionType = GraphQLObjectType(
    "Session",
    {
        "id": GraphQLField(String, description="Opaque id (the access token's `sid` claim)."),
        "createdAt": GraphQLField(String, resolve=plain(lambda s, _i: isoformat(s.created_at))),
        "lastSeenAt": GraphQLField(
            String,
            description="Last authenticated request (recorded at most every 5 minutes).",
            resolve=plain(lambda s, _i: isoformat(s.last_seen_at)),
        ),
        "userAgent": GraphQLField(GraphQLString, resolve=plain(lambda s, _i: s.user_agent)),
        "ip": GraphQLField(GraphQLString),
        "current": GraphQLField(Boolean, description="Whether this request authenticated by it."),
    },
)


async def _sessions(_user: UserView, info: Info) -> list[DeviceSessionView]:
    ctx = info.context
    return await session_service.list_sessions(ctx.db, ctx.principal())


UserType = GraphQLObjectType(
    "User",
    {
        "username": GraphQLField(String),
        "email": GraphQLField(String),
        "bio": GraphQLField(GraphQLString),
        "image": GraphQLField(GraphQLString),
        "profile": GraphQLField(GraphQLNonNull(ProfileType), resolve=_own_profile),
        "sessions": GraphQLField(
            GraphQLNonNull(GraphQLList(GraphQLNonNull(SessionType))),
            description="The viewer's live sessions, newest first.",
            resolve=_sessions,
        ),
    },
)

AuthPayloadType = GraphQLObjectType(
    "AuthPayload",
    {
        "token": GraphQLField(String, description="Send as `Authorization: Token <token>`."),
        "refreshToken": GraphQLField(
            GraphQLString,
            description="Spend with `refresh(refreshToken:)` for new tokens; works once.",
            resolve=plain(lambda s, _i: s.refresh_token),
        ),
        "user": GraphQLField(GraphQLNonNull(UserType)),
    },
)
