"""The RealWorld REST adapter: parse, call one use case, wrap in the RealWorld envelope."""

from fastapi import APIRouter

from quillpress.api.rest import articles, comments, profiles, tags, users

router = APIRouter()
for module in (users, profiles, articles, comments, tags):
    router.include_router(module.router)
