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
from pydantic import BaseModel, Field

from quillpress.api.resources import resources
from quillpress.api.rest.responses import JsonResponse
from quillpress.domain.errors import Unavailable
from quillpress.services import health as health_service


class HealthResponse(BaseModel):
    status: Literal["ok"]


class ReadinessChecks(BaseModel):
    database: health_service.DatabaseCheck = Field(
        description="`ok` while reads can be served (by the primary, or by a replica in "
        "step with it); `unavailable` decides readiness."
    )
    primary: health_service.PrimaryCheck = Field(
        description="The primary itself: `down` when it does not answer or refuses writes "
        "(read-only, as during a failover). With replicas serving reads, the instance "
        "stays ready; the `quillpress_database_primary_up` metric says the same for alerting."
    )
    replicas: list[health_service.ReplicaCheck] = Field(
        description="Each configured replica, in the order of "
        "`QUILLPRESS_DATABASE_REPLICA_URLS`: `ok`, `lagging` (well behind the newest write "
        "this instance knows of; reads go to the primary meanwhile) or `down`. Empty "
        "without replicas."
    )
    migrations: health_service.MigrationsCheck
    redis: health_service.RedisCheck


class ReadinessResponse(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: ReadinessChecks


NOT_READY = {
    503: {
        "model": ReadinessResponse,
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before probing again.",
                "schema": {"type": "integer", "minimum": 0},
            }
        },
        "description": "Not ready: no database answers reads (the primary and every "
        "replica are down) or its schema is behind this release's migrations (`checks` "
        "says which).",
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
    description="200 while the instance can serve: reads can be served (the primary, or a "
    "replica in step with it, answers) and the schema is at (or, mid-deploy, past) this "
    "release's head. A primary that is down while replicas serve reads is "
    '`"primary": "down"` and still 200; so is Redis down (`"redis": "degraded"`: reads '
    "fall back to the database). Answers within 2 s whatever the database does.",
)
async def readyz(request: Request) -> JsonResponse:
    found = resources(request)
    result = await health_service.readiness(found.database, found.cache, _schema_head())
    body = {
        "status": "ready" if result.ready else "unavailable",
        "checks": {
            "database": result.database,
            "primary": result.primary,
            "replicas": list(result.replicas),
            "migrations": result.migrations,
            "redis": result.redis,
        },
    }
    response = JsonResponse(body, status_code=200 if result.ready else 503)
    response.headers["Cache-Control"] = "no-store"
    if not result.ready:  # as every 503 of the API: when to look again
        response.headers["Retry-After"] = str(Unavailable.retry_after_seconds)
    return response


def install(app: FastAPI) -> None:
    _schema_head()  # at startup
    app.include_router(router)
