"""The RealWorld REST adapter: parse, call one use case, wrap in the RealWorld envelope."""

from fastapi import APIRouter

from quillpress.api.rest import (
    admin,
    articles,
    comments,
    moderation,
    profiles,
    sessions,
    tags,
    users,
)

DOCUMENTED_ORDER = (users, sessions, profiles, articles, comments, tags, admin, moderation)
"""The order of the operations in the OpenAPI document (``openapi.build`` sorts by it)."""

router = APIRouter()
# Matched in this order, and FastAPI tries each route in turn (~4 us each, measured on a
# bare app): the hot reads first (the current user, the article lists and articles), the
# rarely called routes last. No path of one module can match another module's routes, so
# the order changes no answer; the document keeps DOCUMENTED_ORDER.
for module in (users, articles, profiles, comments, tags, sessions, admin, moderation):
    router.include_router(module.router)
