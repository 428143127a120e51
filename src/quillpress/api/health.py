"""``GET /healthz`` (alive: no I/O at all) and ``GET /readyz`` (ready: database reachable,
schema at the packaged head, Redis answering when configured).

Plain routes on the app, outside ``/api``: nothing that guards the API (rate limits,
authentication) stands in front of them, and the request metrics count them without
timing them (``middleware.UNTIMED_ROUTES``). They are documented in the OpenAPI document
under "Operations", with their response bodies, because orchestrators and load balancers
are clients too."""

from __future__ import annotations

from functools import cache
from typing import Literal

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel

from quillpress.api.resources import resources
from quillpress.api.rest.responses import JsonResponse
from quillpress.services import health as health_service


class HealthResponse(BaseModel):
    status: Literal["ok"]


class ReadinessChecks(BaseModel):
    database: health_service.DatabaseCheck
    migrations: health_service.MigrationsCheck
    redis: health_service.RedisCheck


class ReadinessResponse(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: ReadinessChecks


NOT_READY = {
    503: {
        "model": ReadinessResponse,
        "description": "Not ready: the database is unreachable or its schema is behind "
        "this release's migrations (`checks` says which).",
    }
}


router = APIRouter(tags=["Operations"])


@cache
def _schema_head() -> health_service.SchemaHead:
    """The packaged migrations' head: read from disk once per process (``install``
    reads it at startup, so no probe pays for it)."""
    return health_service.SchemaHead.of_package()


@router.get(
    "/healthz",
    response_model=HealthResponse,
    summary="Liveness: the process answers",
    operation_id="Healthz",
    description="200 whenever the process can answer at all; no I/O.",
)
async def healthz() -> JsonResponse:
    return JsonResponse({"status": "ok"})


@router.get(
    "/readyz",
    response_model=ReadinessResponse,
    responses=NOT_READY,  # type: ignore[arg-type]
    summary="Readiness: the database, the schema and Redis",
    operation_id="Readyz",
    description="200 while the instance can serve: the database answers and its schema is "
    "at (or, mid-deploy, past) this release's head. Redis down is "
    '`"redis": "degraded"` and still 200: reads fall back to the database.',
)
async def readyz(request: Request) -> JsonResponse:
    found = resources(request)
    result = await health_service.readiness(found.database, found.cache, _schema_head())
    body = {
        "status": "ready" if result.ready else "unavailable",
        "checks": {
            "database": result.database,
            "migrations": result.migrations,
            "redis": result.redis,
        },
    }
    response = JsonResponse(body, status_code=200 if result.ready else 503)
    response.headers["Cache-Control"] = "no-store"
    return response


def install(app: FastAPI) -> None:
    _schema_head()  # at startup
    app.include_router(router)
