"""Root mutations: convert input to a domain command, call one use case, return its view."""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLInt,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
)

from quillpress.api.graphql import admin, inputs, moderation
from quillpress.api.graphql.context import Info
from quillpress.api.graphql.types import (
    ArticleType,
    AuthPayloadType,
    Boolean,
    CommentType,
    ProfileType,
    UserType,
)
from quillpress.domain.commands import (
    AddComment,
    CreateArticle,
    LoginUser,
    RegisterUser,
    UpdateArticle,
    UpdateUser,
)
from quillpress.domain.validation import parse
from quillpress.domain.views import ArticleView, CommentView, ProfileView, SessionView, UserView
from quillpress.services import articles as article_service
from quillpress.services import comments as comment_service
from quillpress.services import profiles as profile_service
from quillpress.services import sessions as session_service
from quillpress.services import users as user_service

Input = dict[str, Any]


async def _register(_root: None, info: Info, input: Input) -> SessionView:
    ctx = info.context
    return await user_service.register(
        ctx.db, ctx.security, parse(RegisterUser, input), client=ctx.client, limiter=ctx.limiter
    )


async def _login(_root: None, info: Info, input: Input) -> SessionView:
    ctx = info.context
    return await user_service.login(
        ctx.db, ctx.security, parse(LoginUser, input), client=ctx.client, limiter=ctx.limiter
    )


async def _update_viewer(_root: None, info: Info, input: Input) -> UserView:
    ctx = info.context
    return await user_service.update_user(
        ctx.db, ctx.security, ctx.principal(), parse(UpdateUser, input), client=ctx.client
    )


async def _refresh(_root: None, info: Info, refreshToken: str) -> SessionView:
    ctx = info.context
    return await user_service.refresh(ctx.db, ctx.security, refreshToken, client=ctx.client)


async def _logout(_root: None, info: Info) -> bool:
    ctx = info.context
    await session_service.logout(ctx.db, ctx.principal(), client=ctx.client)
    return True


async def _logout_all(_root: None, info: Info) -> bool:
    ctx = info.context
    await session_service.logout_all(ctx.db, ctx.principal(), client=ctx.client)
    return True


async def _revoke_session(_root: None, info: Info, id: str) -> bool:
    ctx = info.context
    await session_service.revoke_session(ctx.db, ctx.principal(), id, client=ctx.client)
    return True


async def _follow(_root: None, info: Info, username: str) -> ProfileView:
    return await profile_service.follow(info.context.db, info.context.principal(), username)


async def _unfollow(_root: None, info: Info, username: str) -> ProfileView:
    return await profile_service.unfollow(info.context.db, info.context.principal(), username)


async def _create_article(_root: None, info: Info, input: Input) -> ArticleView:
    ctx = info.context
    command = parse(CreateArticle, input)
    created = await article_service.create_article(
        ctx.db, ctx.principal(), command, idempotency=ctx.idempotency()
    )
    return ctx.created(created)


async def _update_article(_root: None, info: Info, slug: str, input: Input) -> ArticleView:
    command = parse(UpdateArticle, input)
    return await article_service.update_article(
        info.context.db, info.context.principal(), slug, command
    )


async def _delete_article(_root: None, info: Info, slug: str) -> bool:
    ctx = info.context
    await article_service.delete_article(ctx.db, ctx.principal(), slug, client=ctx.client)
    return True


async def _favorite(_root: None, info: Info, slug: str) -> ArticleView:
    return await article_service.favorite(info.context.db, info.context.principal(), slug)


async def _unfavorite(_root: None, info: Info, slug: str) -> ArticleView:
    return await article_service.unfavorite(info.context.db, info.context.principal(), slug)


async def _add_comment(_root: None, info: Info, slug: str, input: Input) -> CommentView:
    ctx = info.context
    command = parse(AddComment, input)
    created = await comment_service.add_comment(
        ctx.db, ctx.principal(), slug, command, idempotency=ctx.idempotency()
    )
    return ctx.created(created)


async def _delete_comment(_root: None, info: Info, slug: str, id: int) -> bool:
    ctx = info.context
    await comment_service.delete_comment(ctx.db, ctx.principal(), slug, id, client=ctx.client)
    return True


def _required(kind: Any) -> GraphQLArgument:
    return GraphQLArgument(GraphQLNonNull(kind))


SLUG = {"slug": _required(GraphQLString)}
USERNAME = {"username": _required(GraphQLString)}

MutationType = GraphQLObjectType(
    "Mutation",
    {
        "register": GraphQLField(
            GraphQLNonNull(AuthPayloadType),
            args={"input": _required(inputs.RegisterInput)},
            resolve=_register,
        ),
        "login": GraphQLField(
            GraphQLNonNull(AuthPayloadType),
            args={"input": _required(inputs.LoginInput)},
            resolve=_login,
        ),
        "updateViewer": GraphQLField(
            GraphQLNonNull(UserType),
            args={"input": _required(inputs.UpdateViewerInput)},
            resolve=_update_viewer,
        ),
        "refresh": GraphQLField(
            GraphQLNonNull(AuthPayloadType),
            args={"refreshToken": _required(GraphQLString)},
            description="Spend a refresh token for a new token and refresh token.",
            resolve=_refresh,
        ),
        "logout": GraphQLField(Boolean, description="End the current session.", resolve=_logout),
        "logoutAll": GraphQLField(
            Boolean, description="End every session of the viewer.", resolve=_logout_all
        ),
        "revokeSession": GraphQLField(
            Boolean,
            args={"id": _required(GraphQLString)},
            description="End one of the viewer's sessions (another's or unknown: NOT_FOUND).",
            resolve=_revoke_session,
        ),
        "follow": GraphQLField(GraphQLNonNull(ProfileType), args=USERNAME, resolve=_follow),
        "unfollow": GraphQLField(GraphQLNonNull(ProfileType), args=USERNAME, resolve=_unfollow),
        "createArticle": GraphQLField(
            GraphQLNonNull(ArticleType),
            args={"input": _required(inputs.CreateArticleInput)},
            resolve=_create_article,
        ),
        "updateArticle": GraphQLField(
            GraphQLNonNull(ArticleType),
            args={**SLUG, "input": _required(inputs.UpdateArticleInput)},
            resolve=_update_article,
        ),
        "deleteArticle": GraphQLField(Boolean, args=SLUG, resolve=_delete_article),
        "favorite": GraphQLField(GraphQLNonNull(ArticleType), args=SLUG, resolve=_favorite),
        "unfavorite": GraphQLField(GraphQLNonNull(ArticleType), args=SLUG, resolve=_unfavorite),
        "addComment": GraphQLField(
            GraphQLNonNull(CommentType),
            args={**SLUG, "input": _required(inputs.AddCommentInput)},
            resolve=_add_comment,
        ),
        "deleteComment": GraphQLField(
            Boolean, args={**SLUG, "id": _required(GraphQLInt)}, resolve=_delete_comment
        ),
        **admin.MUTATIONS,
        **moderation.MUTATIONS,
    },
)
