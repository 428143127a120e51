"""``/admin``: users, roles, bans and the audit log, for admins (the services decide). A
user's sessions, every comment and the moderation deletes are ``api.rest.moderation``.

Every answer is ``Cache-Control: no-store``: personal data, by route trait
(``api.http_caching``)."""

from __future__ import annotations

import typing
from typing import Annotated

from fastapi import APIRouter, Path, Query

from quillpress.api.rest import envelopes
from quillpress.api.rest.binding import BoundRoute
from quillpress.api.rest.bodies import AdminUpdateUserBody
from quillpress.api.rest.deps import Client, CurrentPrincipal, Db, Pagination
from quillpress.api.rest.envelopes import (
    AdminUserResponse,
    AdminUsersResponse,
    AuditEventsResponse,
)
from quillpress.api.rest.error_statuses import errors
from quillpress.api.rest.responses import JsonResponse
from quillpress.domain.commands import AuditFilter, UserSearch
from quillpress.domain.validation import parse
from quillpress.services import admin as admin_service

router = APIRouter(prefix="/admin", tags=["Admin"], route_class=BoundRoute)


@router.get(
    "/users",
    response_model=AdminUsersResponse,
    responses=errors(403),
    operation_id="AdminListUsers",
    summary="Users, newest first (admins only)",
)
async def list_users(
    viewer: CurrentPrincipal,
    db: Db,
    page: Pagination,
    query: Annotated[
        str | None,
        Query(max_length=254, description="Part of a username or email (case-insensitive)."),
    ] = None,
    role: Annotated[
        typing.Literal["admin", "user"] | None, Query(description="Only users of this role.")
    ] = None,
    banned: Annotated[
        bool | None, Query(description="Only banned users (`true`) or only the others.")
    ] = None,
) -> JsonResponse:
    search = parse(UserSearch, {"query": query, "role": role, "banned": banned})
    return JsonResponse(
        envelopes.admin_users(await admin_service.list_users(db, viewer, search, page))
    )


@router.get(
    "/users/{username}",
    response_model=AdminUserResponse,
    responses=errors(403),
    operation_id="AdminGetUser",
    summary="One user, with profile and ban (admins only)",
)
async def get_user(
    viewer: CurrentPrincipal, db: Db, username: str = Path(max_length=40)
) -> JsonResponse:
    return JsonResponse(envelopes.admin_user(await admin_service.get_user(db, viewer, username)))


@router.put(
    "/users/{username}",
    response_model=AdminUserResponse,
    responses=errors(403, 409),
    operation_id="AdminUpdateUser",
    summary="Change a user's role or ban, with the ban's reason (admins only)",
)
async def update_user(
    body: AdminUpdateUserBody,
    viewer: CurrentPrincipal,
    db: Db,
    client: Client,
    username: str = Path(max_length=40),
) -> JsonResponse:
    user = await admin_service.update_user(db, viewer, username, body.user, client=client)
    return JsonResponse(envelopes.admin_user(user))


@router.get(
    "/audit",
    response_model=AuditEventsResponse,
    responses=errors(403),
    operation_id="AdminListAuditEvents",
    summary="Security events, newest first (admins only)",
)
async def list_audit(
    viewer: CurrentPrincipal,
    db: Db,
    page: Pagination,
    actor: Annotated[
        str | None, Query(max_length=40, description="Username of the actor (at the time).")
    ] = None,
    target: Annotated[
        str | None,
        Query(
            max_length=300,
            description="What was acted on (case-insensitive): a username means `user:<name>`; "
            "with a colon, the whole target (`article:my-slug`).",
        ),
    ] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="Exact action, e.g. `admin.ban`.")
    ] = None,
    since: Annotated[
        str | None,
        Query(
            max_length=64,
            description="ISO-8601 date and time (UTC without an offset): events at or after.",
        ),
    ] = None,
    until: Annotated[
        str | None,
        Query(
            max_length=64,
            description="ISO-8601 date and time: events before it; a bare date takes in "
            "that whole day.",
        ),
    ] = None,
) -> JsonResponse:
    filters = parse(
        AuditFilter,
        {"actor": actor, "target": target, "action": action, "since": since, "until": until},
    )
    return JsonResponse(
        envelopes.audit_events(await admin_service.list_audit(db, viewer, filters, page))
    )
