"""Every error the REST API can return, mapped in one place to the RealWorld body
``{"errors": {"<key>": ["<message>"]}}``; a domain error's status and retry headers are
the ones GraphQL gives it too (``api.statuses``)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from quillpress.api.allow import AllowedMethods
from quillpress.api.resources import resources
from quillpress.api.rest.responses import JsonResponse
from quillpress.api.statuses import retry_headers, status_for
from quillpress.domain.errors import DomainError, RateLimited, Unavailable
from quillpress.domain.validation import field_errors
from quillpress.services import health as health_service

log = logging.getLogger("quillpress.errors")

HTTP_KEYS = {404: ("path", "not found"), 405: ("method", "not allowed")}
UNPARSABLE_BODY = "There was an error parsing the body"


def _errors(
    status: int, fields: dict[str, list[str]], headers: dict[str, str] | None = None
) -> JsonResponse:
    if status == 401:
        headers = {"WWW-Authenticate": "Token"}  # RealWorld's scheme: REST's own challenge
    return JsonResponse({"errors": fields}, status_code=status, headers=headers)


async def _domain_error(request: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, DomainError)
    status = status_for(type(exc))
    if status is None:
        return await _unexpected(request, exc)
    if status in {401, 403}:
        resources(request).metrics.auth_failure(exc)  # counts only the auth kinds
    if isinstance(exc, RateLimited):
        resources(request).metrics.rate_limited(exc.rule)
    return _errors(status, exc.fields, retry_headers(exc))


async def _validation_error(request: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, RequestValidationError)
    fields = field_errors(exc.errors())
    if "body" in fields and "json" not in request.headers.get("content-type", ""):
        # Bodies are parsed as JSON only when declared so (FastAPI's CSRF guard): say why.
        fields["body"] = ["must be JSON, sent with Content-Type: application/json"]
    return _errors(422, fields)


async def _http_error(request: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and exc.detail == UNPARSABLE_BODY:
        # FastAPI's 400 for a body that is not even text (e.g. a bad UTF-16 BOM): malformed JSON.
        return _errors(422, {"body": ["is not valid JSON"]})
    key, message = HTTP_KEYS.get(exc.status_code, ("http", str(exc.detail).lower()))
    headers = exc.headers
    allowed = _allowed(request) if exc.status_code == 405 else ""
    if allowed:  # Starlette's Allow names the methods of the first matching route only
        headers = {**(headers or {}), "Allow": allowed}
    return JsonResponse({"errors": {key: [message]}}, status_code=exc.status_code, headers=headers)


def _allowed(request: Request) -> str:
    table = getattr(request.app, "allowed_methods", None)
    if not isinstance(table, AllowedMethods):  # an app that is not a Quillpress
        table = AllowedMethods(request.app.router.routes)
    return table.allow(request.scope)


async def _database_error(request: Request, exc: Exception) -> JsonResponse:
    """A driver's error no unit of work translated (every one should: this is the last
    line). An unavailable database is still a 503, answered here, inside the app, so no
    exception reaches the server (which would close the client's keep-alive connection);
    anything else is a bug, for ServerErrorMiddleware's 500."""
    if not health_service.database_unavailable(exc):
        raise exc
    log.warning("database unavailable (untranslated): %s", type(exc).__name__)
    return await _domain_error(request, Unavailable.database())


async def _unexpected(request: Request, exc: Exception) -> JsonResponse:
    log.exception("unhandled error", extra={"path": request.url.path})
    # ServerErrorMiddleware sends it from outside every user middleware; the edge layer
    # (outside that one) gives it the request id and the security headers.
    return _errors(500, {"server": ["internal error"]})


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    for kind in health_service.DATABASE_ERRORS:
        app.add_exception_handler(kind, _database_error)
    app.add_exception_handler(Exception, _unexpected)
