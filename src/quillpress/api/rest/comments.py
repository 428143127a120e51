"""``/articles/{slug}/comments``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from quillpress.api.idempotency import replay_headers
from quillpress.api.rest import envelopes
from quillpress.api.rest.binding import BoundRoute
from quillpress.api.rest.bodies import AddCommentBody
from quillpress.api.rest.deps import Client, CurrentPrincipal, CurrentViewer, Db, Idempotency
from quillpress.api.rest.envelopes import MultipleCommentsResponse, SingleCommentResponse
from quillpress.api.rest.error_statuses import errors, replayable
from quillpress.api.rest.responses import JsonResponse
from quillpress.services import comments as comment_service

router = APIRouter(prefix="/articles/{slug}/comments", tags=["Comments"], route_class=BoundRoute)

# Ids are 64-bit in the database: larger values would overflow the driver (a 500), not 404.
# Named ``id`` in the path, as in the RealWorld spec.
CommentId = Annotated[int, Path(alias="id", ge=1, le=2**63 - 1)]


@router.get(
    "",
    response_model=MultipleCommentsResponse,
    operation_id="GetArticleComments",
    summary="Get comments for an article",
)
async def list_comments(slug: str, viewer: CurrentViewer, db: Db) -> JsonResponse:
    views = await comment_service.list_comments(db, viewer, slug)
    return JsonResponse(envelopes.comments(views))


@router.post(
    "",
    status_code=201,
    response_model=SingleCommentResponse,
    responses=replayable("The comment added (or, replayed, the one added before)."),
    operation_id="CreateArticleComment",
    summary="Create a comment for an article",
)
async def add_comment(
    slug: str, body: AddCommentBody, viewer: CurrentPrincipal, db: Db, idempotency: Idempotency
) -> JsonResponse:
    created = await comment_service.add_comment(
        db, viewer, slug, body.comment, idempotency=idempotency
    )
    return JsonResponse(
        envelopes.comment(created.view), status_code=201, headers=replay_headers(created)
    )


@router.delete(
    "/{id}",
    status_code=204,
    responses=errors(403),
    operation_id="DeleteArticleComment",
    summary="Delete a comment for an article",
)
async def delete_comment(
    slug: str, comment_id: CommentId, viewer: CurrentPrincipal, db: Db, client: Client
) -> Response:
    await comment_service.delete_comment(db, viewer, slug, comment_id, client=client)
    return Response(status_code=204)
