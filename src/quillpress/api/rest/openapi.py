"""The OpenAPI document of the REST API: the builder.

FastAPI derives request bodies and parameters from the handlers, but the handlers return
ready-made ``JsonResponse`` objects and errors leave through exception handlers, so on its
own it knows neither the 2xx bodies nor a single error. The pieces come from where each
fact is declared:

- the 2xx bodies: the models the routers name in ``response_model=``, generated from the
  same tables as the serializers (``api.rest.envelopes``);
- the errors: per operation the statuses its *traits* imply (``api.rest.traits``: its auth
  dependency, path parameters, body, database use) plus the few its decorator declares
  (``errors(403)``), each with the description and ``{"errors": {...}}`` body of
  ``api.rest.error_statuses``. A new route is documented right without anyone updating
  a list;
- the ``Token`` (RealWorld's apiKey), ``Bearer`` and ``Cookie`` security schemes, with
  each operation's requirement (none, optional, required) from the same traits.

The document covers ``/api`` and the two probes (``/healthz``, ``/readyz``: load balancers
and orchestrators are clients too; they are documented as they are, without the API's
error table); ``quillpress.app.openapi_document`` puts the two together as the app does.
GraphQL has its own schema (``schema.graphql``); the docs pages and ``/metrics``
(Prometheus text, behind its own token) are not part of the contract.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.routing import BaseRoute

from quillpress import __version__
from quillpress.api.rest import DOCUMENTED_ORDER
from quillpress.api.rest.error_statuses import ERRORS, GenericErrorModel
from quillpress.api.rest.traits import Access, Traits
from quillpress.config import Settings
from quillpress.domain.commands import MAX_OFFSET

API_PREFIX = "/api"
REF = "#/components/schemas/"

DESCRIPTION = """\
RealWorld ("Conduit") API, served by Quillpress.

**Authentication.** Register (`POST /api/users`) or log in (`POST /api/users/login`) and
send the `token` from the response in the `Authorization` header, either as
`Token <jwt>` (the RealWorld scheme) or as `Bearer <jwt>`. In Swagger UI, press
**Authorize** and fill in one of the two schemes.

**Errors** always have the body `{"errors": {"<key>": ["<message>", ...]}}`; the key names
the field, parameter or resource concerned (`title`, `limit`, `article`, `token`…). An invalid
or expired token is a 401 on every operation, also where authentication is optional.
"""

TAGS = [
    {"name": "User and Authentication", "description": "Register, log in, the current user."},
    {"name": "Profile", "description": "Public profiles and following."},
    {"name": "Articles", "description": "Listing, the feed and article CRUD."},
    {"name": "Favorites", "description": "Favoriting articles."},
    {"name": "Comments", "description": "Comments on an article."},
    {"name": "Tags", "description": "Tags in use."},
    {
        "name": "Sessions",
        "description": "Quillpress's own: server-side sessions, logout and revocation.",
    },
    {
        "name": "Admin",
        "description": "Quillpress's own, for admins only (others get 403): users, roles, "
        "bans and the audit log. Never cached (`Cache-Control: no-store`).",
    },
    {"name": "Operations", "description": "Liveness and readiness probes."},
]
PROBE_PATHS = ("/healthz", "/readyz")


SECURITY_SCHEMES = {
    "Token": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "The RealWorld scheme: the header value is `Token <jwt>` "
        "(type the word `Token`, a space, then the token).",
    },
    "Bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "`Authorization: Bearer <jwt>`: paste the token alone.",
    },
    "Cookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "qp_session",
        "description": "Cookie mode (`?session=cookie` on login or register): the access "
        "token in the HttpOnly `qp_session` cookie (`__Host-qp_session` when "
        "`QUILLPRESS_COOKIE_SECURE`). Unsafe requests authenticated by it (and the refresh "
        "cookie's spending) need an `Origin` (or `Referer`) that is the app's own or "
        "trusted for credentialed CORS, and an `X-CSRF-Token` header holding the session's "
        "CSRF token (the `qp_csrf` cookie's value), else 403 "
        '`{"errors": {"csrf": ["origin missing"]}}` (or `origin not allowed`, '
        "`token missing`, `token mismatch`). Answers to it never carry the token "
        '(`"token": ""`).',
    },
}
_SECURITY: dict[Access, list[dict[str, list[str]]]] = {
    Access.NONE: [],
    # The empty requirement is OpenAPI's way of saying "or no credentials at all".
    Access.OPTIONAL: [{}, {"Token": []}, {"Bearer": []}, {"Cookie": []}],
    Access.REQUIRED: [{"Token": []}, {"Bearer": []}, {"Cookie": []}],
}


# --- the builder ------------------------------------------------------------------------


_UNAUTHORIZED_EXAMPLES = {
    Access.REQUIRED: {"token": ["is missing"]},
    Access.OPTIONAL: {"token": ["is invalid"]},
    Access.NONE: {"credentials": ["invalid"]},  # login
}


def _error_response(status: int, traits: Traits, settings: Settings) -> dict[str, Any]:
    error = ERRORS[status]
    example = error.example
    if status == 401:
        example = _UNAUTHORIZED_EXAMPLES[traits.access]
    elif status == 413:
        example = {"body": [f"is too large (maximum is {settings.max_body_bytes} bytes)"]}
    response: dict[str, Any] = {
        "description": error.description,
        "content": {
            "application/json": {
                "schema": {"$ref": REF + "GenericErrorModel"},
                "example": {"errors": example},
            }
        },
    }
    if error.headers:
        response["headers"] = error.headers
    return response


def _page_parameters(settings: Settings) -> dict[str, dict[str, Any]]:
    """``domain.commands.make_page`` enforces these ranges (out of range is 422)."""
    return {
        "limit": {
            "description": "Page size.",
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": settings.max_page_size,
                "default": settings.default_page_size,
            },
        },
        "offset": {
            "description": "Items to skip.",
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        },
    }


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``anyOf: [X, null]`` → ``X``: a query parameter says null by being absent."""
    options = schema.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [option for option in options if option != {"type": "null"}]
        if len(rest) == 1:
            return {**{k: v for k, v in schema.items() if k != "anyOf"}, **rest[0]}
    return schema


def _document_operation(operation: dict[str, Any], traits: Traits, settings: Settings) -> None:
    operation["security"] = _SECURITY[traits.access]
    responses = operation["responses"]
    for status in traits.error_statuses():
        responses[str(status)] = _error_response(status, traits, settings)
    operation["responses"] = dict(sorted(responses.items()))
    page = _page_parameters(settings) if traits.paginated else {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query":
            parameter.update(page.get(parameter["name"], {}))
            parameter["schema"] = _without_null(parameter["schema"])


def api_routes(routes: Sequence[BaseRoute]) -> list[RouteContext]:
    """The documented operations under ``/api``, as FastAPI sees them once routers are
    included (paths with their prefixes, tags and responses merged)."""
    modules = [module.__name__ for module in DOCUMENTED_ORDER]

    def position(route: RouteContext) -> int:
        endpoint_module = getattr(route.original_route, "endpoint", None).__module__
        return modules.index(endpoint_module) if endpoint_module in modules else len(modules)

    documented = [
        route
        for route in iter_route_contexts(routes)
        if isinstance(route.original_route, APIRoute)
        and route.include_in_schema
        and (route.path_format or "").startswith(API_PREFIX + "/")
    ]
    # Routers are matched hottest first (api/rest/__init__.py); documented in their own
    # order. The sort is stable: each module's operations keep theirs.
    return sorted(documented, key=position)


def probe_routes(routes: Sequence[BaseRoute]) -> list[RouteContext]:
    return [
        route
        for route in iter_route_contexts(routes)
        if isinstance(route.original_route, APIRoute)
        and route.include_in_schema
        and route.path_format in PROBE_PATHS
    ]


def build(routes: Sequence[BaseRoute], settings: Settings) -> dict[str, Any]:
    """The document for the ``/api`` routes and the probes among ``routes``."""
    documented = api_routes(routes)
    document = get_openapi(
        title="Quillpress",
        version=__version__,
        description=DESCRIPTION,
        routes=documented,
        tags=TAGS,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    probes = get_openapi(title="probes", version=__version__, routes=probe_routes(routes))
    for path, operations in probes.get("paths", {}).items():
        for operation in operations.values():
            operation["security"] = []
        document.setdefault("paths", {})[path] = operations
    schemas.update(probes.get("components", {}).get("schemas", {}))
    schemas["GenericErrorModel"] = GenericErrorModel.model_json_schema(mode="serialization")
    for route in documented:
        traits = Traits.of(route)
        for method in route.methods or ():
            _document_operation(
                document["paths"][route.path_format or ""][method.lower()], traits, settings
            )
    # FastAPI's own 422 body ({"detail": [...]}) was replaced on every operation above.
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    document["components"]["securitySchemes"] = SECURITY_SCHEMES
    return document


def render(document: dict[str, Any]) -> str:
    """The committed ``openapi.json`` format: stable, indented, one trailing newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def install(app: FastAPI, settings: Settings) -> None:
    """Serve this document at ``app.openapi_url`` instead of FastAPI's own (built once)."""
    cached: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not cached:
            cached.update(build(app.routes, settings))
        return cached

    app.openapi = openapi  # type: ignore[method-assign]
