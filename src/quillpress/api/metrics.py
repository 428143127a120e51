"""``GET /metrics``: the Prometheus text exposition of ``Resources.metrics``.

Who may scrape: with ``QUILLPRESS_METRICS_TOKEN`` set, only a request with
``Authorization: Bearer <token>`` (compared in constant time; anything else is 401).
Without a token, production does not serve metrics at all (404: route names, versions and
traffic figures are not for the public) and development serves them to anyone."""

from __future__ import annotations

import hmac

from fastapi import FastAPI, Request
from starlette.responses import Response

from quillpress.api.resources import resources
from quillpress.api.rest.responses import JsonResponse
from quillpress.infra.metrics import CONTENT_TYPE


def _bearer(request: Request) -> bytes | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip().encode()


async def metrics(request: Request) -> Response:
    found = resources(request)
    token = found.settings.metrics_token
    if token is None and found.settings.is_production:
        return JsonResponse({"errors": {"path": ["not found"]}}, status_code=404)
    if token is not None:
        presented = _bearer(request)
        expected = token.get_secret_value().encode()
        if presented is None or not hmac.compare_digest(presented, expected):
            return JsonResponse(
                {"errors": {"token": ["is missing or invalid"]}},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
    response = Response(found.metrics.render(), media_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def install(app: FastAPI) -> None:
    app.add_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
