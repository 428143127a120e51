"""Which requests the response cache may answer, and the key each is kept under: the
public reads (their templates and the query parameters that change the answer), anonymous
or signed in, and GraphQL queries by their document's SHA-256."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import orjson
from starlette.types import Scope

from quillpress.api.graphql.identity import request_identity
from quillpress.infra.persisted_queries import SHA256_HEX, document_hash

SESSION_COOKIE = b"qp_session="


@dataclass(frozen=True, slots=True)
class Route:
    """A public read whose anonymous answers are shared: its template (for metrics and
    logs), its path and the query parameters that change the answer."""

    template: str
    path: re.Pattern[str]
    params: frozenset[str] = frozenset()


LIST_PARAMS = frozenset({"tag", "author", "favorited", "limit", "offset", "cursor", "q"})
ROUTES = (
    Route("/api/articles", re.compile(r"/api/articles"), LIST_PARAMS),
    Route("/api/tags", re.compile(r"/api/tags")),
    Route("/api/articles/{slug}", re.compile(r"/api/articles/(?!feed$)[^/]+")),
    Route("/api/articles/{slug}/comments", re.compile(r"/api/articles/[^/]+/comments")),
    Route("/api/profiles/{username}", re.compile(r"/api/profiles/[^/]+")),
)


def route_of(path: str) -> Route | None:
    for route in ROUTES:
        if route.path.fullmatch(path):
            return route
    return None


def key_of(route: Route, scope: Scope) -> str:
    """``r:<path>?<known parameters, sorted>``; a repeated parameter counts by its last
    value, as FastAPI reads it."""
    known: dict[str, str] = {}
    if route.params and scope["query_string"]:
        for name, value in parse_qsl(scope["query_string"].decode("latin-1"), True):
            if name in route.params:
                known[name] = value
    query = urlencode(sorted(known.items()))
    return f"r:{quote(scope['path'], safe='/')}?{query}"


GRAPHQL = "/graphql"


def graphql_key(params: Any) -> str | None:
    """``g:<document sha256>:<operation and variables, hashed>`` for a GraphQL request's
    parameters (a document or a persisted query's hash: the two agree), or ``None`` for
    one that cannot be a shared answer (not a query, or not a request at all)."""
    if not isinstance(params, dict):
        return None
    query, extensions = params.get("query"), params.get("extensions")
    operation_name, variables = params.get("operationName"), params.get("variables")
    if isinstance(query, str):
        if query.lstrip().startswith(("mutation", "subscription")):
            return None
        document = document_hash(query)
    else:
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        named = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(named, str) or not SHA256_HEX.fullmatch(named):
            return None
        document = named
    if not (operation_name is None or isinstance(operation_name, str)):
        return None
    if not (variables is None or isinstance(variables, dict)):
        return None
    identity = request_identity(document, operation_name, variables)
    rest = hashlib.sha256(f"{operation_name or ''}\n{identity.variables_json}".encode())
    return f"g:{document}:{rest.hexdigest()[:32]}"


def graphql_get_params(scope: Scope) -> dict[str, Any] | None:
    params: dict[str, Any] = dict(parse_qsl(scope["query_string"].decode("latin-1"), True))
    if "query" not in params and "extensions" not in params:
        return None  # GraphiQL's page, not a request
    for name in ("variables", "extensions"):
        if name in params:
            try:
                params[name] = orjson.loads(params[name])
            except orjson.JSONDecodeError:
                return None
    return params


def anonymous(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"authorization" or (name == b"cookie" and SESSION_COOKIE in value):
            return False
    return True
