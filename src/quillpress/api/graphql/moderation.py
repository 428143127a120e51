"""The moderation twins in GraphQL: ``adminUserSessions``, ``adminComments`` (a connection
paged by ``first``/``after``), ``adminRevokeUserSession``, ``adminRevokeUserSessions``,
``adminDeleteArticle`` and ``adminDeleteComment``. Each resolver converts its arguments,
calls one use case (which authorizes) and returns its view."""

from __future__ import annotations

from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
)

from quillpress.api.graphql.admin import connection
from quillpress.api.graphql.context import Info
from quillpress.api.graphql.execution import plain
from quillpress.api.graphql.types import (
    Boolean,
    Int,
    SessionType,
    String,
    page_arguments,
    page_from,
)
from quillpress.domain.commands import AdminCommentFilter
from quillpress.domain.validation import parse
from quillpress.domain.views import AdminCommentView, DeviceSessionView, Paged, isoformat
from quillpress.services import admin_content, admin_sessions

AdminCommentArticleType = GraphQLObjectType(
    "AdminCommentArticle",
    {
        "slug": GraphQLField(String, resolve=plain(lambda c, _i: c.article_slug)),
        "title": GraphQLField(String, resolve=plain(lambda c, _i: c.article_title)),
    },
    description="The article a comment is on.",
)

AdminCommentType = GraphQLObjectType(
    "AdminComment",
    {
        "id": GraphQLField(Int),
        "createdAt": GraphQLField(String, resolve=plain(lambda c, _i: isoformat(c.created_at))),
        "body": GraphQLField(String),
        "author": GraphQLField(String, description="The author's username."),
        "article": GraphQLField(GraphQLNonNull(AdminCommentArticleType), resolve=lambda c, _i: c),
    },
)

AdminCommentConnectionType = connection("AdminComment", AdminCommentType)


async def _user_sessions(_root: None, info: Info, username: str) -> list[DeviceSessionView]:
    ctx = info.context
    return await admin_sessions.list_user_sessions(ctx.db, ctx.principal(), username)


async def _comments(
    _root: None,
    info: Info,
    article: str | None = None,
    author: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Paged[AdminCommentView]:
    ctx = info.context
    filters = parse(AdminCommentFilter, {"article": article, "author": author})
    return await admin_content.list_comments(
        ctx.db, ctx.principal(), filters, page_from(info, first, after)
    )


async def _revoke_session(_root: None, info: Info, username: str, id: str) -> bool:
    ctx = info.context
    await admin_sessions.revoke_user_session(
        ctx.db, ctx.principal(), username, id, client=ctx.client
    )
    return True


async def _revoke_sessions(_root: None, info: Info, username: str) -> bool:
    ctx = info.context
    await admin_sessions.revoke_user_sessions(ctx.db, ctx.principal(), username, client=ctx.client)
    return True


async def _delete_article(_root: None, info: Info, slug: str, reason: str) -> bool:
    ctx = info.context
    await admin_content.delete_article(
        ctx.db, ctx.principal(), slug, reason=reason, client=ctx.client
    )
    return True


async def _delete_comment(_root: None, info: Info, id: int, reason: str) -> bool:
    ctx = info.context
    await admin_content.delete_comment(
        ctx.db, ctx.principal(), id, reason=reason, client=ctx.client
    )
    return True


USERNAME = {"username": GraphQLArgument(GraphQLNonNull(GraphQLString))}
REASON = {
    "reason": GraphQLArgument(
        GraphQLNonNull(GraphQLString),
        description="Why (1 to 500 characters): kept in the audit log.",
    )
}

QUERIES = {
    "adminUserSessions": GraphQLField(
        GraphQLNonNull(GraphQLList(GraphQLNonNull(SessionType))),
        args=USERNAME,
        description="A user's live sessions, newest first (admins only; `current` is "
        "always false).",
        resolve=_user_sessions,
    ),
    "adminComments": GraphQLField(
        GraphQLNonNull(AdminCommentConnectionType),
        args={
            "article": GraphQLArgument(GraphQLString, description="Only on this article (slug)."),
            "author": GraphQLArgument(
                GraphQLString, description="Only by this user (case-insensitive)."
            ),
            **page_arguments("Page size"),
        },
        description="Every comment of the site, newest first (admins only).",
        resolve=_comments,
    ),
}

MUTATIONS = {
    "adminRevokeUserSession": GraphQLField(
        Boolean,
        args={**USERNAME, "id": GraphQLArgument(GraphQLNonNull(GraphQLString))},
        description="End one of a user's sessions (admins only; not theirs or ended: NOT_FOUND).",
        resolve=_revoke_session,
    ),
    "adminRevokeUserSessions": GraphQLField(
        Boolean,
        args=USERNAME,
        description="End every session of a user (admins only).",
        resolve=_revoke_sessions,
    ),
    "adminDeleteArticle": GraphQLField(
        Boolean,
        args={"slug": GraphQLArgument(GraphQLNonNull(GraphQLString)), **REASON},
        description="Delete any article, the reason kept in the audit log (admins only).",
        resolve=_delete_article,
    ),
    "adminDeleteComment": GraphQLField(
        Boolean,
        args={"id": GraphQLArgument(GraphQLNonNull(GraphQLInt)), **REASON},
        description="Delete any comment, the reason kept in the audit log (admins only).",
        resolve=_delete_comment,
    ),
}
