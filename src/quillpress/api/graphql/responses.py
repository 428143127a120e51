"""The HTTP answers of ``/graphql``: JSON never stored by any cache, a request refused
before it runs (400, 405), a refusal that ends the whole request with the status and
retry headers REST gives the same error (``api.statuses``), and an execution's result."""

from __future__ import annotations

from typing import Any

import orjson
from graphql import ExecutionResult, GraphQLError, OperationType
from starlette.responses import Response

from quillpress.api.graphql.errors import RATE_LIMITED, UNAVAILABLE, format_error, request_error
from quillpress.api.statuses import retry_headers, status_for
from quillpress.domain.errors import DomainError, RateLimited, Unavailable
from quillpress.infra.metrics import Metrics
from quillpress.infra.statements import statement_stats

NO_STORE = {"Cache-Control": "no-store"}
"""On every GraphQL answer: one URL serves a viewer's own data (``me``, sessions, the admin
fields) and public data alike, with no ETag, so nothing may keep any of it."""

INTERNAL_ERROR = 500  # a domain error kind with no status: a bug, as REST answers it


class Answered(Exception):
    """A step's refusal: ``response`` is the whole answer, and no later step runs."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def json_response(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(
        orjson.dumps(payload), status_code=status, media_type="application/json", headers=NO_STORE
    )


def refuse(message: str, code: str = "BAD_REQUEST", status: int = 400) -> Response:
    return json_response({"errors": [request_error(message, code)]}, status)


def get_mutation_refused(kind: OperationType) -> Response:
    """A mutation sent by GET: 405 with ``Allow: POST`` (GraphQL over HTTP), never run."""
    response = refuse(
        f"Only queries may be sent with GET, not {kind.value} operations; use POST.", status=405
    )
    response.headers["Allow"] = "POST"
    return response


def persisted_query_error(message: str, code: str) -> Response:
    """Apollo's two persisted-query answers (not found, not supported) are 200s: a client
    retries with the document (or stops hashing) instead of failing on an HTTP error."""
    return json_response({"errors": [request_error(message, code)]})


def refused(errors: list[dict[str, Any]], error: DomainError) -> Response:
    """Nothing could be answered because of ``error`` (bad credentials, a rate limit, the
    database down): its status and retry headers, as REST sends them."""
    response = json_response({"errors": errors}, status_for(type(error)) or INTERNAL_ERROR)
    response.headers.update(retry_headers(error))
    return response


def count_refusal(metrics: Metrics, error: DomainError) -> None:
    """A rate limit by its rule, an authentication failure by its reason (only the auth
    kinds count)."""
    if isinstance(error, RateLimited):
        metrics.rate_limited(error.rule)
    else:
        metrics.auth_failure(error)


def respond(result: ExecutionResult, metrics: Metrics, *, debug: bool) -> Response:
    """An execution's answer: 200 with its data and errors; 400 when nothing ran
    (variables that do not fit the operation); a refusal's status when every field was
    refused alike (the database down, a rate limit); with ``debug``, the SQL it cost."""
    payload: dict[str, Any] = {"data": result.data}
    status = 200
    if result.errors:
        for error in result.errors:
            if isinstance(error.original_error, DomainError):
                count_refusal(metrics, error.original_error)
        payload["errors"] = [
            format_error(error, default_code="BAD_USER_INPUT") for error in result.errors
        ]
        if result.data is None and all(
            error.original_error is None or isinstance(error.original_error, GraphQLError)
            for error in result.errors
        ):
            status = 400  # variables that do not fit the operation: nothing ran
    if result.data is None and _all_coded(payload, UNAVAILABLE):
        # Unavailable.database() is the only outage there is (untranslated driver errors
        # included, which format_error names so).
        return refused(payload["errors"], Unavailable.database())
    refusal = _first_refusal(result)
    if refusal is not None and result.data is None and _all_coded(payload, RATE_LIMITED):
        return refused(payload["errors"], refusal)
    if debug:
        stats = statement_stats()
        if stats is not None:
            payload["extensions"] = {
                "sql": {"statements": stats.count, "ms": round(stats.milliseconds, 2)}
            }
    response = json_response(payload, status)
    if refusal is not None:  # answered in part: the client still learns when to retry
        response.headers.update(retry_headers(refusal))
    return response


def _first_refusal(result: ExecutionResult) -> RateLimited | None:
    """A rate-limit refusal among the field errors (an aliased login past the limit…)."""
    for error in result.errors or ():
        if isinstance(error.original_error, RateLimited):
            return error.original_error
    return None


def _all_coded(payload: dict[str, Any], code: str) -> bool:
    errors = payload.get("errors") or []
    return bool(errors) and all(error["extensions"].get("code") == code for error in errors)
