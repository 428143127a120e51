"""The RealWorld REST adapter: parse, call one use case, wrap in the RealWorld envelope."""

from fastapi import APIRouter

from quillpress.api.rest import admin, articles, comments, profiles, sessions, tags, users

router = APIRouter()
for module in (users, sessions, profiles, articles, comments, tags, admin):
    router.include_router(module.router)
