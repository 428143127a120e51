"""The admin API's GraphQL twins: ``adminUsers``, ``adminUser``, ``auditEvents``
(connections paged by ``first``/``after``, the same cursors as articles') and
``adminUpdateUser``; a user's sessions, every comment and the moderation deletes are
``api.graphql.moderation``. Each resolver converts its arguments, calls one use case (which
authorizes) and returns its view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
)

from quillpress.api.graphql.context import Info
from quillpress.api.graphql.execution import plain
from quillpress.api.graphql.types import Boolean, Int, String, _list, page_arguments, page_from
from quillpress.domain import cursors
from quillpress.domain.commands import AdminUpdateUser, AuditFilter, UserSearch
from quillpress.domain.validation import parse
from quillpress.domain.views import (
    AdminCommentView,
    AdminUserView,
    AuditEventView,
    Paged,
    isoformat,
)
from quillpress.services import admin as admin_service


@dataclass(frozen=True, slots=True)
class AdminEdge:
    cursor: str
    node: AdminUserView | AuditEventView | AdminCommentView


def _edges(page: Paged[Any], _info: Info) -> list[AdminEdge]:
    return [
        AdminEdge(cursor=cursors.position(view.created_at, view.id), node=view)
        for view in page.items
    ]


def _end_cursor(page: Paged[Any], _info: Info) -> str | None:
    last = page.items[-1] if page.items else None
    return cursors.position(last.created_at, last.id) if last is not None else None


AdminPageInfoType = GraphQLObjectType(
    "AdminPageInfo",
    {
        "hasNextPage": GraphQLField(Boolean, resolve=plain(lambda p, _i: p.has_next)),
        "endCursor": GraphQLField(GraphQLString, resolve=_end_cursor),
    },
)


def connection(name: str, node: GraphQLObjectType) -> GraphQLObjectType:
    edge = GraphQLObjectType(
        f"{name}Edge", {"cursor": GraphQLField(String), "node": GraphQLField(GraphQLNonNull(node))}
    )
    return GraphQLObjectType(
        f"{name}Connection",
        {
            "edges": GraphQLField(_list(edge), resolve=_edges),
            "nodes": GraphQLField(_list(node), resolve=lambda p, _i: p.items),
            "pageInfo": GraphQLField(GraphQLNonNull(AdminPageInfoType), resolve=lambda p, _i: p),
            "totalCount": GraphQLField(
                Int,
                description="Every match, not just this page.",
                resolve=plain(lambda p, _i: p.total),
            ),
        },
    )


AdminUserType = GraphQLObjectType(
    "AdminUser",
    {
        "username": GraphQLField(String),
        "email": GraphQLField(String),
        "role": GraphQLField(String, description="`admin` or `user`."),
        "banned": GraphQLField(Boolean, description="Cannot sign in; their content stays."),
        "createdAt": GraphQLField(String, resolve=plain(lambda u, _i: isoformat(u.created_at))),
        "lastLoginAt": GraphQLField(
            GraphQLString,
            description="The last successful login, or null.",
            resolve=plain(lambda u, _i: isoformat(u.last_login_at) if u.last_login_at else None),
        ),
        "bio": GraphQLField(GraphQLString),
        "image": GraphQLField(GraphQLString, description="Avatar URL, or null."),
        "banReason": GraphQLField(
            GraphQLString,
            description="Why the ban in force was given, or null.",
            resolve=plain(lambda u, _i: u.ban_reason),
        ),
    },
)

AuditEventType = GraphQLObjectType(
    "AuditEvent",
    {
        "id": GraphQLField(Int),
        "at": GraphQLField(String, resolve=plain(lambda e, _i: isoformat(e.at))),
        "actor": GraphQLField(GraphQLString, description="Username at the time, or null."),
        "action": GraphQLField(String, description="Dotted name, e.g. `user.login_failed`."),
        "target": GraphQLField(GraphQLString),
        "ip": GraphQLField(GraphQLString, description="Peer address of the connection."),
        "userAgent": GraphQLField(GraphQLString, resolve=plain(lambda e, _i: e.user_agent)),
        "requestId": GraphQLField(GraphQLString, resolve=plain(lambda e, _i: e.request_id)),
        "outcome": GraphQLField(String, description="`success` or `failure`."),
        "reason": GraphQLField(
            GraphQLString, description="The moderator's reason (a ban, a delete), or null."
        ),
    },
)

AdminUserConnectionType = connection("AdminUser", AdminUserType)
AuditEventConnectionType = connection("AuditEvent", AuditEventType)


async def _admin_users(
    _root: None,
    info: Info,
    query: str | None = None,
    role: str | None = None,
    banned: bool | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Paged[AdminUserView]:
    ctx = info.context
    search = parse(UserSearch, {"query": query, "role": role, "banned": banned})
    return await admin_service.list_users(
        ctx.db, ctx.principal(), search, page_from(info, first, after)
    )


async def _admin_user(_root: None, info: Info, username: str) -> AdminUserView:
    ctx = info.context
    return await admin_service.get_user(ctx.db, ctx.principal(), username)


async def _audit_events(
    _root: None,
    info: Info,
    actor: str | None = None,
    target: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Paged[AuditEventView]:
    ctx = info.context
    filters = parse(
        AuditFilter,
        {"actor": actor, "target": target, "action": action, "since": since, "until": until},
    )
    return await admin_service.list_audit(
        ctx.db, ctx.principal(), filters, page_from(info, first, after)
    )


async def _admin_update_user(
    _root: None, info: Info, username: str, **changes: Any
) -> AdminUserView:
    """Only the arguments given change (an explicit null is invalid, as in REST)."""
    ctx = info.context
    command = parse(AdminUpdateUser, changes)
    return await admin_service.update_user(
        ctx.db, ctx.principal(), username, command, client=ctx.client
    )


QUERIES = {
    "adminUsers": GraphQLField(
        GraphQLNonNull(AdminUserConnectionType),
        args={
            "query": GraphQLArgument(
                GraphQLString, description="Part of a username or email (case-insensitive)."
            ),
            "role": GraphQLArgument(GraphQLString, description="Only `admin` or only `user`."),
            "banned": GraphQLArgument(
                GraphQLBoolean, description="Only banned users (true) or only the others."
            ),
            **page_arguments("Page size"),
        },
        description="Users, newest first (admins only: others get FORBIDDEN).",
        resolve=_admin_users,
    ),
    "adminUser": GraphQLField(
        GraphQLNonNull(AdminUserType),
        args={"username": GraphQLArgument(GraphQLNonNull(GraphQLString))},
        description="One user, with profile and ban (admins only; unknown: NOT_FOUND).",
        resolve=_admin_user,
    ),
    "auditEvents": GraphQLField(
        GraphQLNonNull(AuditEventConnectionType),
        args={
            "actor": GraphQLArgument(GraphQLString, description="Username of the actor."),
            "target": GraphQLArgument(
                GraphQLString,
                description="What was acted on: a username means `user:<name>`; with a "
                "colon, the whole target (`article:my-slug`).",
            ),
            "action": GraphQLArgument(GraphQLString, description="Exact action name."),
            "since": GraphQLArgument(
                GraphQLString, description="ISO-8601 date and time: events at or after it."
            ),
            "until": GraphQLArgument(
                GraphQLString,
                description="ISO-8601 date and time: events before it (a bare date: through "
                "that day).",
            ),
            **page_arguments("Page size"),
        },
        description="Security events, newest first (admins only).",
        resolve=_audit_events,
    ),
}

MUTATIONS = {
    "adminUpdateUser": GraphQLField(
        GraphQLNonNull(AdminUserType),
        args={
            "username": GraphQLArgument(GraphQLNonNull(GraphQLString)),
            "role": GraphQLArgument(GraphQLString, description="`admin` or `user`."),
            "banned": GraphQLArgument(
                GraphQLBoolean, description="A ban ends every session of the user."
            ),
            "banReason": GraphQLArgument(
                GraphQLString,
                description="Why (up to 500 characters): with a ban, or alone to reword the "
                "ban in force.",
            ),
        },
        description="Change a user's role or ban (admins only); only the arguments given "
        "change. Removing the last admin is a CONFLICT.",
        resolve=_admin_update_user,
    ),
}
