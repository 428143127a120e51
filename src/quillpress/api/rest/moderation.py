"""``/admin``: a user's sessions, every comment of the site, and the moderation deletes
with their reason, for admins (the services decide). Answers are ``no-store`` like the
rest of the admin API (personal, by route trait)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from quillpress.api.rest import envelopes
from quillpress.api.rest.binding import BoundRoute
from quillpress.api.rest.bodies import ModerationBody
from quillpress.api.rest.comments import CommentId
from quillpress.api.rest.deps import Client, CurrentPrincipal, Db, Pagination
from quillpress.api.rest.envelopes import AdminCommentsResponse, SessionsResponse
from quillpress.api.rest.error_statuses import errors
from quillpress.api.rest.responses import JsonResponse
from quillpress.domain.commands import AdminCommentFilter
from quillpress.domain.validation import parse
from quillpress.services import admin_content, admin_sessions

router = APIRouter(prefix="/admin", tags=["Admin"], route_class=BoundRoute)

Username = Annotated[str, Path(max_length=40)]


@router.get(
    "/users/{username}/sessions",
    response_model=SessionsResponse,
    responses=errors(403),
    operation_id="AdminListUserSessions",
    summary="A user's live sessions, newest first (admins only)",
)
async def list_user_sessions(viewer: CurrentPrincipal, db: Db, username: Username) -> JsonResponse:
    """``current`` is always false: none of them is the admin's request."""
    found = await admin_sessions.list_user_sessions(db, viewer, username)
    return JsonResponse(envelopes.sessions(found))


@router.delete(
    "/users/{username}/sessions/{id}",
    status_code=204,
    responses=errors(403),
    operation_id="AdminRevokeUserSession",
    summary="End one of a user's sessions (admins only)",
)
async def revoke_user_session(
    viewer: CurrentPrincipal,
    db: Db,
    client: Client,
    username: Username,
    id: str = Path(max_length=64, description="A session id from the user's session list."),
) -> Response:
    await admin_sessions.revoke_user_session(db, viewer, username, id, client=client)
    return Response(status_code=204)


@router.delete(
    "/users/{username}/sessions",
    status_code=204,
    responses=errors(403),
    operation_id="AdminRevokeUserSessions",
    summary="End every session of a user (admins only)",
)
async def revoke_user_sessions(
    viewer: CurrentPrincipal, db: Db, client: Client, username: Username
) -> Response:
    await admin_sessions.revoke_user_sessions(db, viewer, username, client=client)
    return Response(status_code=204)


@router.get(
    "/comments",
    response_model=AdminCommentsResponse,
    responses=errors(403),
    operation_id="AdminListComments",
    summary="Every comment of the site, newest first (admins only)",
)
async def list_comments(
    viewer: CurrentPrincipal,
    db: Db,
    page: Pagination,
    article: Annotated[
        str | None, Query(max_length=200, description="Only comments on this article (slug).")
    ] = None,
    author: Annotated[
        str | None,
        Query(max_length=40, description="Only comments by this user (case-insensitive)."),
    ] = None,
) -> JsonResponse:
    filters = parse(AdminCommentFilter, {"article": article, "author": author})
    found = await admin_content.list_comments(db, viewer, filters, page)
    return JsonResponse(envelopes.admin_comments(found))


@router.delete(
    "/articles/{slug}",
    status_code=204,
    responses=errors(403),
    operation_id="AdminDeleteArticle",
    summary="Delete any article, with a reason for the audit log (admins only)",
)
async def delete_article(
    body: ModerationBody,
    viewer: CurrentPrincipal,
    db: Db,
    client: Client,
    slug: str,
) -> Response:
    await admin_content.delete_article(db, viewer, slug, reason=body.reason, client=client)
    return Response(status_code=204)


@router.delete(
    "/comments/{id}",
    status_code=204,
    responses=errors(403),
    operation_id="AdminDeleteComment",
    summary="Delete any comment, with a reason for the audit log (admins only)",
)
async def delete_comment(
    body: ModerationBody, viewer: CurrentPrincipal, db: Db, client: Client, comment_id: CommentId
) -> Response:
    await admin_content.delete_comment(db, viewer, comment_id, reason=body.reason, client=client)
    return Response(status_code=204)
