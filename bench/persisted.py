"""``GraphQL persisted cached``: the list query as an Apollo automatic persisted query.

Registration is what an Apollo client does after a ``PERSISTED_QUERY_NOT_FOUND``: one POST
of ``{"query": Q, "extensions": {"persistedQuery": {"version": 1, "sha256Hash":
sha256(Q)}}}``. The measured request is then ``GET /graphql?extensions=…`` with the hash
only (and ``variables`` when the query has any), which a cache can answer as a page.

A server without the feature must not crash the run: :func:`prepare` returns the path to
load, or raises :class:`Unavailable` with what the server said. A server that answers
the persisted query with other data than the POSTed query is a mismatch (``BenchError``),
as everywhere else in the bench."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

from bench.harness import BenchError, fetch, fetch_json, first_difference


class Unavailable(Exception):
    """The server does not (yet) serve persisted queries; the message says what it did."""


def query_hash(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def extensions(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": query_hash(query)}}


def get_path(query: str, variables: dict[str, Any] | None = None) -> str:
    """``/graphql?extensions=<urlencoded JSON>`` (``&variables=…`` when there are any)."""
    params = {"extensions": json.dumps(extensions(query), separators=(",", ":"))}
    if variables:
        params["variables"] = json.dumps(variables, separators=(",", ":"))
    return "/graphql?" + urlencode(params)


def _json_answer(what: str, status: int, payload: bytes, content_type: str) -> Any:
    try:
        answer = json.loads(payload)
    except ValueError:
        raise Unavailable(
            f"{what} answered {status} with a non-JSON page ({content_type or 'no type'}): "
            f"{payload[:120]!r}"
        ) from None
    if not isinstance(answer, dict):
        raise Unavailable(f"{what} answered {status} with {payload[:120]!r}")
    errors = answer.get("errors")
    if errors:
        said = [_said(error) for error in errors]
        named = [text for text in said if text.startswith("PERSISTED_QUERY")]
        raise Unavailable(f"{what} answered {status}: " + "; ".join(named or said)[:200])
    if status != 200 or "data" not in answer:
        raise Unavailable(f"{what} answered {status} without data: {payload[:120]!r}")
    return answer


def _said(error: Any) -> str:
    """``CODE: message`` of one GraphQL error."""
    if not isinstance(error, dict):
        return repr(error)
    code = (error.get("extensions") or {}).get("code")
    message = error.get("message")
    return ": ".join(str(part) for part in (code, message) if part) or repr(error)


def prepare(port: int, query: str, variables: dict[str, Any] | None = None) -> str:
    """Register ``query`` on the server at ``port`` and check that the persisted GET
    answers the same ``data`` as the POSTed query (miss and hit); the GET path."""
    plain_body: dict[str, Any] = {"query": query}
    if variables:
        plain_body["variables"] = variables
    expected = fetch_json(port, "/graphql", json.dumps(plain_body).encode())
    if "errors" in expected:
        raise BenchError(f"GraphQL errors: {expected['errors']}")

    register = {**plain_body, "extensions": extensions(query)}
    status, payload, response = fetch(port, "/graphql", json.dumps(register).encode())
    _json_answer("registration (POST)", status, payload, response.getheader("content-type", ""))

    path = get_path(query, variables)
    for attempt in ("miss", "hit"):
        status, payload, response = fetch(port, path)
        content_type = response.getheader("content-type", "")
        answer = _json_answer("the persisted GET", status, payload, content_type)
        difference = first_difference(expected["data"], answer["data"])
        if difference:
            raise BenchError(
                f"the persisted query ({attempt}) and the POSTed query differ at {difference}"
            )
    return path
