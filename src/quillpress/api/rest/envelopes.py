"""Views to RealWorld JSON: camelCase names, ISO-8601 UTC timestamps, internal ids dropped.

Each wire shape is declared once, as a table (``api.rest.shapes``): the serializers below
and the models the routes document (``response_model=``) are both derived from it.

Size: the tables are the REST contract, read together (the envelopes name the shapes
above them, and the models and serializers below are one line each per table)."""

from __future__ import annotations

import typing
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel

from quillpress.api.rest.shapes import Field, ListOf, Shape, model, serializer
from quillpress.domain.views import (
    AdminCommentView,
    AdminUserView,
    ArticleView,
    AuditEventView,
    CommentView,
    DeviceSessionView,
    Paged,
    ProfileView,
    SearchResults,
    UserView,
)

# --- the shapes -------------------------------------------------------------------------

USER = Shape(
    "User",
    (
        Field("email", str),
        Field(
            "token",
            str,
            "JWT to send as `Authorization: Token <jwt>`.",
            argument="token",
        ),
        Field("username", str),
        Field("bio", str, nullable=True),
        Field("image", str, "Avatar URL, or null.", nullable=True),
        Field(
            "refreshToken",
            str,
            "On login, register and refresh only: an opaque token for "
            "`POST /api/users/refresh` (each one works once; see the documentation, Sessions "
            "and tokens).",
            optional=True,
            argument="refresh_token",
        ),
    ),
)
SESSION = Shape(
    "Session",
    (
        Field("id", str, "Opaque id (also the access token's `sid` claim)."),
        Field("createdAt", datetime, "When the sign-in happened."),
        Field(
            "lastSeenAt",
            datetime,
            "Last authenticated request (recorded at most every 5 minutes).",
        ),
        Field("userAgent", str, nullable=True),
        Field("ip", str, "Peer address of the sign-in's connection.", nullable=True),
        Field("current", bool, "Whether this request authenticated by it."),
    ),
)
PROFILE = Shape(
    "Profile",
    (
        Field("username", str),
        Field("bio", str, nullable=True),
        Field("image", str, nullable=True),
        Field("following", bool, "Whether the authenticated viewer follows them."),
    ),
)
ARTICLE_MATCH = Shape(
    "ArticleMatch",
    (
        Field("title", str, "The title, matched words marked."),
        Field(
            "snippet",
            str,
            "A part of the body (its first 10 KB) around the matched words, marked; its "
            "beginning when only other fields matched.",
        ),
    ),
    "Why a search result matched, as HTML: escaped text, matched words in `<mark>`.",
)
_ARTICLE_FIELDS = (
    Field("slug", str),
    Field("title", str),
    Field("description", str),
    Field("tagList", list[str]),
    Field("createdAt", datetime),
    Field("updatedAt", datetime),
    Field("favorited", bool, "Whether the authenticated viewer favorited it."),
    Field("favoritesCount", int),
    Field("author", PROFILE),
)
ARTICLE_LIST_ITEM = Shape(
    "ArticleListItem",
    (
        *_ARTICLE_FIELDS,
        Field(
            "match",
            ARTICLE_MATCH,
            "With `q` only: why the article matched.",
            optional=True,
            argument="match",
        ),
    ),
    "An article in a list: everything but the body, which lists never carry.",
)
ARTICLE = Shape("Article", (*_ARTICLE_FIELDS, Field("body", str)))
COMMENT = Shape(
    "Comment",
    (
        Field("id", int),
        Field("createdAt", datetime),
        Field("updatedAt", datetime),
        Field("body", str),
        Field("author", PROFILE),
    ),
)
ADMIN_USER = Shape(
    "AdminUser",
    (
        Field("username", str),
        Field("email", str),
        Field("role", typing.Literal["admin", "user"]),
        Field("banned", bool, "A banned user cannot sign in; their content stays."),
        Field("createdAt", datetime),
        Field("lastLoginAt", datetime, "The last successful login, or null.", nullable=True),
        Field("bio", str, nullable=True),
        Field("image", str, "Avatar URL, or null.", nullable=True),
        Field(
            "banReason",
            str,
            "Why the ban in force was given (shown to the user's refused login), or null.",
            nullable=True,
        ),
    ),
)
ADMIN_COMMENT_ARTICLE = Shape(
    "AdminCommentArticle",
    (
        Field("slug", str, attribute="article_slug"),
        Field("title", str, attribute="article_title"),
    ),
    "The article a comment is on.",
)
ADMIN_COMMENT = Shape(
    "AdminComment",
    (
        Field("id", int),
        Field("createdAt", datetime),
        Field("body", str),
        Field("author", str, "The author's username."),
        Field("article", ADMIN_COMMENT_ARTICLE, attribute=""),
    ),
)
AUDIT_EVENT = Shape(
    "AuditEvent",
    (
        Field("id", int),
        Field("at", datetime),
        Field("actor", str, "Username at the time, or null (anonymous).", nullable=True),
        Field(
            "action",
            str,
            "Dotted name, e.g. `user.login_failed` (see the documentation, Moderation and audit).",
        ),
        Field(
            "target",
            str,
            "What it was done to: `user:ann`, `article:slug`…",
            nullable=True,
        ),
        Field("ip", str, "Peer address of the request's connection.", nullable=True),
        Field("userAgent", str, nullable=True),
        Field("requestId", str, "The request's `X-Request-ID`.", nullable=True),
        Field("outcome", typing.Literal["success", "failure"]),
        Field(
            "reason",
            str,
            "The moderator's reason (`admin.ban`, `admin.article_delete`, "
            "`admin.comment_delete`), or null.",
            nullable=True,
        ),
    ),
)

# --- the envelopes: the response bodies, named as in the RealWorld spec ------------------
# (``attribute=""``: the envelope wraps the view, or the list of views, itself)

USER_RESPONSE = Shape("UserResponse", (Field("user", USER, attribute=""),))
SESSIONS_RESPONSE = Shape("SessionsResponse", (Field("sessions", ListOf(SESSION), attribute=""),))
PROFILE_RESPONSE = Shape("ProfileResponse", (Field("profile", PROFILE, attribute=""),))
SINGLE_ARTICLE_RESPONSE = Shape("SingleArticleResponse", (Field("article", ARTICLE, attribute=""),))
MULTIPLE_ARTICLES_RESPONSE = Shape(
    "MultipleArticlesResponse",
    (
        Field("articles", ListOf(ARTICLE_LIST_ITEM), attribute="items"),
        Field(
            "articlesCount",
            int,
            "All articles matching the filters, not the page.",
            attribute="total",
        ),
        Field(
            "suggestion",
            str,
            "With `q` only: a corrected query when nothing matched (words from titles and "
            "tags, on PostgreSQL with `pg_trgm`), else null.",
            optional=True,
            argument="suggestion",
        ),
    ),
)
SINGLE_COMMENT_RESPONSE = Shape("SingleCommentResponse", (Field("comment", COMMENT, attribute=""),))
MULTIPLE_COMMENTS_RESPONSE = Shape(
    "MultipleCommentsResponse", (Field("comments", ListOf(COMMENT), attribute=""),)
)
TAGS_RESPONSE = Shape("TagsResponse", (Field("tags", list[str], attribute=""),))
ADMIN_USER_RESPONSE = Shape("AdminUserResponse", (Field("user", ADMIN_USER, attribute=""),))
ADMIN_USERS_RESPONSE = Shape(
    "AdminUsersResponse",
    (
        Field("users", ListOf(ADMIN_USER), attribute="items"),
        Field("usersCount", int, "All users matching the query, not the page.", attribute="total"),
    ),
)
ADMIN_COMMENTS_RESPONSE = Shape(
    "AdminCommentsResponse",
    (
        Field("comments", ListOf(ADMIN_COMMENT), attribute="items"),
        Field(
            "commentsCount",
            int,
            "All comments matching the filters, not the page.",
            attribute="total",
        ),
    ),
)
AUDIT_EVENTS_RESPONSE = Shape(
    "AuditEventsResponse",
    (
        Field("events", ListOf(AUDIT_EVENT), attribute="items"),
        Field(
            "eventsCount",
            int,
            "All events matching the filters, not the page.",
            attribute="total",
        ),
    ),
)

# --- the models the routes document (never used to serialize) ---------------------------

_models: dict[str, type[BaseModel]] = {}
UserResponse = model(USER_RESPONSE, _models)
SessionsResponse = model(SESSIONS_RESPONSE, _models)
ProfileResponse = model(PROFILE_RESPONSE, _models)
SingleArticleResponse = model(SINGLE_ARTICLE_RESPONSE, _models)
MultipleArticlesResponse = model(MULTIPLE_ARTICLES_RESPONSE, _models)
SingleCommentResponse = model(SINGLE_COMMENT_RESPONSE, _models)
MultipleCommentsResponse = model(MULTIPLE_COMMENTS_RESPONSE, _models)
TagsResponse = model(TAGS_RESPONSE, _models)
AdminUserResponse = model(ADMIN_USER_RESPONSE, _models)
AdminUsersResponse = model(ADMIN_USERS_RESPONSE, _models)
AdminCommentsResponse = model(ADMIN_COMMENTS_RESPONSE, _models)
AuditEventsResponse = model(AUDIT_EVENTS_RESPONSE, _models)
AdminUser = _models[ADMIN_USER.name]

# --- the serializers --------------------------------------------------------------------
# Bound to typed names here, called directly by the handlers (no wrapper on the hot path).


class _UserSerializer(Protocol):
    def __call__(
        self, view: UserView, token: str, refresh_token: str | None = None, /
    ) -> dict[str, Any]: ...


user: _UserSerializer = serializer(USER_RESPONSE)
"""``refreshToken`` only where a sign-in or a refresh just issued one."""
sessions: Callable[[list[DeviceSessionView]], dict[str, Any]] = serializer(SESSIONS_RESPONSE)
profile: Callable[[ProfileView], dict[str, Any]] = serializer(PROFILE_RESPONSE)
article: Callable[[ArticleView], dict[str, Any]] = serializer(SINGLE_ARTICLE_RESPONSE)
articles: Callable[[Paged[ArticleView]], dict[str, Any]] = serializer(MULTIPLE_ARTICLES_RESPONSE)
_article_item = serializer(ARTICLE_LIST_ITEM)
comment: Callable[[CommentView], dict[str, Any]] = serializer(SINGLE_COMMENT_RESPONSE)
comments: Callable[[list[CommentView]], dict[str, Any]] = serializer(MULTIPLE_COMMENTS_RESPONSE)
tags: Callable[[list[str]], dict[str, Any]] = serializer(TAGS_RESPONSE)
admin_user: Callable[[AdminUserView], dict[str, Any]] = serializer(ADMIN_USER_RESPONSE)
admin_users: Callable[[Paged[AdminUserView]], dict[str, Any]] = serializer(ADMIN_USERS_RESPONSE)
admin_comments: Callable[[Paged[AdminCommentView]], dict[str, Any]] = serializer(
    ADMIN_COMMENTS_RESPONSE
)
audit_events: Callable[[Paged[AuditEventView]], dict[str, Any]] = serializer(AUDIT_EVENTS_RESPONSE)


def search(found: SearchResults) -> dict[str, Any]:
    """Search results: ``MultipleArticlesResponse`` with each item's ``match`` and the
    ``suggestion`` (``null`` when there is none); for a blank query, exactly the plain
    list. Built here rather than by ``articles``: its items are hits, not views."""
    page = found.page
    if not found.searched:
        items = [hit.article for hit in page.items]
        return articles(Paged(items=items, total=page.total, has_next=page.has_next))
    return {
        "articles": [_article_item(hit.article, hit.highlight) for hit in page.items],
        "articlesCount": page.total,
        "suggestion": found.suggestion,
    }
