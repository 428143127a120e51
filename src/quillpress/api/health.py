"""``GET /healthz`` (alive: no I/O at all) and ``GET /readyz`` (ready: database reachable,
schema at the packaged head, Redis answering when configured).

Plain routes on the app, outside ``/api``: nothing that guards the API (rate limits,
authentication) stands in front of them, and the request metrics count them without
timing them (``middleware.UNTIMED_ROUTES``). They are documented in the OpenAPI document
under "Operations", with their response bodies, because orchestrators and load balancers
are clients too."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel

from quillpress.api.resources import resources
from quillpress.api.rest.responses import JsonResponse
from quillpress.services import health as health_service


class Alive(BaseModel):
    status: Literal["ok"]


class Checks(BaseModel):
    database: health_service.DatabaseCheck
    migrations: health_service.MigrationsCheck
    redis: health_service.RedisCheck


class ReadinessBody(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: Checks


NOT_READY = {
    503: {
        "model": ReadinessBody,
        "description": "Not ready: the database is unreachable or its schema is behind "
        "this release's migrations (`checks` says which).",
    }
}


def install(app: FastAPI) -> None:
    """Add the two probes; the packaged migration head is read here, once, at startup."""
    schema = health_service.SchemaHead.of_package()
    router = APIRouter(tags=["Operations"])

    @router.get(
        "/healthz",
        response_model=Alive,
        summary="Liveness: the process answers",
        operation_id="Healthz",
    )
    async def healthz() -> JsonResponse:
        return JsonResponse({"status": "ok"})

    @router.get(
        "/readyz",
        response_model=ReadinessBody,
        responses=NOT_READY,  # type: ignore[arg-type]
        summary="Readiness: the database, the schema and Redis",
        operation_id="Readyz",
        description="200 while the instance can serve: the database answers and its "
        "schema is at (or, mid-deploy, past) this release's head. Redis down is "
        '`"redis": "degraded"` and still 200: reads fall back to the database.',
    )
    async def readyz(request: Request) -> JsonResponse:
        found = resources(request)
        result = await health_service.readiness(found.database, found.cache, schema)
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

    app.include_router(router)
