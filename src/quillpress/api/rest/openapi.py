"""The OpenAPI document of the REST API: wire-shape models and the builder.

FastAPI derives request bodies and parameters from the handlers, but the handlers return
ready-made ``JsonResponse`` objects and errors leave through exception handlers, so on its
own it knows neither the 2xx bodies nor a single error. This module supplies both:

- documentation-only Pydantic models of every response body, named as in the RealWorld
  spec and spelled with the camelCase wire names (``tagList``, ``articlesCount``…); the
  routers name them in ``response_model=``. They are never used to serialize (that is
  ``envelopes``), but the contract and schemathesis tests validate real responses against
  them, so they cannot drift from what the API sends;
- a table of error statuses, each with the ``{"errors": {...}}`` body, and per operation
  the statuses it can answer, derived from the route's *traits* (its auth dependency, path
  parameters, body, database use) plus the few a decorator declares (``errors(403)``).
  A new route is documented right without anyone updating a list;
- the ``Token`` (RealWorld's apiKey) and ``Bearer`` security schemes, with each operation's
  requirement (none, optional, required) read from its dependencies.

The document covers ``/api`` and the two probes (``/healthz``, ``/readyz``: load balancers
and orchestrators are clients too; they are documented as they are, without the API's
error table). GraphQL has its own schema (``schema.graphql``); the docs pages and
``/metrics`` (Prometheus text, behind its own token) are not part of the contract.
"""

from __future__ import annotations

import enum
import json
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel, Field
from starlette.routing import BaseRoute

from quillpress import __version__
from quillpress.api.rest.deps import (
    Auth,
    CurrentPrincipal,
    CurrentViewer,
    Db,
    LimiterDep,
    Pagination,
)
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


# --- response bodies, as they go over the wire ------------------------------------------


class User(BaseModel):
    email: str
    token: str = Field(description="JWT to send as `Authorization: Token <jwt>`.")
    username: str
    bio: str | None
    image: str | None = Field(description="Avatar URL, or null.")
    refreshToken: str | None = Field(
        default=None,
        description="On login, register and refresh only: an opaque token for "
        "`POST /api/users/refresh` (each one works once; see the documentation, Sessions and "
        "tokens).",
    )


class UserResponse(BaseModel):
    user: User


class Session(BaseModel):
    id: str = Field(description="Opaque id (also the access token's `sid` claim).")
    createdAt: datetime = Field(description="When the sign-in happened.")
    lastSeenAt: datetime = Field(
        description="Last authenticated request (recorded at most every 5 minutes)."
    )
    userAgent: str | None
    ip: str | None = Field(description="Peer address of the sign-in's connection.")
    current: bool = Field(description="Whether this request authenticated by it.")


class SessionsResponse(BaseModel):
    sessions: list[Session]


class Profile(BaseModel):
    username: str
    bio: str | None
    image: str | None
    following: bool = Field(description="Whether the authenticated viewer follows them.")


class ProfileResponse(BaseModel):
    profile: Profile


class ArticleMatch(BaseModel):
    """Why a search result matched, as HTML: escaped text, matched words in `<mark>`."""

    title: str = Field(description="The title, matched words marked.")
    snippet: str = Field(
        description="A part of the body (its first 10 KB) around the matched words, marked; "
        "its beginning when only other fields matched."
    )


class _ArticleFields(BaseModel):
    slug: str
    title: str
    description: str
    tagList: list[str]
    createdAt: datetime
    updatedAt: datetime
    favorited: bool = Field(description="Whether the authenticated viewer favorited it.")
    favoritesCount: int
    author: Profile


class ArticleListItem(_ArticleFields):
    """An article in a list: everything but the body, which lists never carry."""

    match: ArticleMatch | None = Field(
        default=None, description="With `q` only: why the article matched."
    )


class Article(_ArticleFields):
    body: str


class SingleArticleResponse(BaseModel):
    article: Article


class MultipleArticlesResponse(BaseModel):
    articles: list[ArticleListItem]
    articlesCount: int = Field(description="All articles matching the filters, not the page.")
    suggestion: str | None = Field(
        default=None,
        description="With `q` only: a corrected query when nothing matched (words from titles "
        "and tags, on PostgreSQL with `pg_trgm`), else null.",
    )


class Comment(BaseModel):
    id: int
    createdAt: datetime
    updatedAt: datetime
    body: str
    author: Profile


class SingleCommentResponse(BaseModel):
    comment: Comment


class MultipleCommentsResponse(BaseModel):
    comments: list[Comment]


class TagsResponse(BaseModel):
    tags: list[str]


class AdminUser(BaseModel):
    username: str
    email: str
    role: typing.Literal["admin", "user"]
    banned: bool = Field(description="A banned user cannot sign in; their content stays.")
    createdAt: datetime
    lastLoginAt: datetime | None = Field(description="The last successful login, or null.")


class AdminUserResponse(BaseModel):
    user: AdminUser


class AdminUsersResponse(BaseModel):
    users: list[AdminUser]
    usersCount: int = Field(description="All users matching the query, not the page.")


class AuditEvent(BaseModel):
    id: int
    at: datetime
    actor: str | None = Field(description="Username at the time, or null (anonymous).")
    action: str = Field(
        description="Dotted name, e.g. `user.login_failed` (see the documentation, Moderation and "
        "audit)."
    )
    target: str | None = Field(description="What it was done to: `user:ann`, `article:slug`…")
    ip: str | None = Field(description="Peer address of the request's connection.")
    userAgent: str | None
    requestId: str | None = Field(description="The request's `X-Request-ID`.")
    outcome: typing.Literal["success", "failure"]


class AuditEventsResponse(BaseModel):
    events: list[AuditEvent]
    eventsCount: int = Field(description="All events matching the filters, not the page.")


class GenericErrorModel(BaseModel):
    errors: dict[str, list[str]] = Field(
        description="Messages keyed by the field, parameter or resource they concern."
    )


# --- error statuses ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErrorStatus:
    description: str
    example: dict[str, list[str]]
    headers: dict[str, Any] | None = None


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
    }
}

ERRORS: dict[int, ErrorStatus] = {
    401: ErrorStatus(
        "Unauthorized: the token is missing (where required), malformed, forged or expired; "
        "on login, the credentials are wrong.",
        {"token": ["is missing"]},
        {"WWW-Authenticate": {"description": "`Token`", "schema": {"type": "string"}}},
    ),
    403: ErrorStatus(
        "Forbidden: authenticated, but not allowed to change this resource (the key names "
        "it; `admin` for the admin API without the admin role), or, authenticated by "
        "cookie (or spending the refresh cookie), a failed CSRF check, named by `csrf`: "
        "`origin missing`, `origin not allowed`, `token missing` or `token mismatch`; on "
        "login and refresh, a banned account (`user`: `banned`).",
        {"article": ["forbidden"]},
    ),
    404: ErrorStatus(
        "Not found: the resource in the path does not exist. "
        "The key names it (`article`, `profile`, `comment`, `session`, `user`).",
        {"article": ["not found"]},
    ),
    409: ErrorStatus(
        "Conflict: a unique value is already taken; on the admin API, the change would "
        "remove the last admin (`role`); on a create sent with an `Idempotency-Key`, the "
        "first request with that key is still running (`idempotencyKey`: `in progress`): "
        "retry shortly.",
        {"username": ["has already been taken"]},
    ),
    413: ErrorStatus(
        "Payload too large: the body exceeds the server's limit.",
        {"body": ["is too large (maximum is 1048576 bytes)"]},
    ),
    422: ErrorStatus(
        "Validation failed: the keys are the invalid body fields or parameters.",
        {"title": ["can't be blank"]},
    ),
    429: ErrorStatus(
        "Too many requests: a rate limit refuses this request for now (failed logins per "
        "account and client IP, registrations per IP, writes per user); retry after "
        "`Retry-After`.",
        {"rate": ["too many requests"]},
        {
            "Retry-After": {
                "description": "Seconds to wait before this request may pass.",
                "schema": {"type": "integer", "minimum": 1},
            },
            "RateLimit-Limit": {
                "description": "The refusing rule's quota per window (IETF RateLimit headers).",
                "schema": {"type": "integer", "minimum": 1},
            },
            "RateLimit-Remaining": {
                "description": "What is left of that quota now.",
                "schema": {"type": "integer", "minimum": 0},
            },
            "RateLimit-Reset": {
                "description": "Seconds until the whole quota is available again.",
                "schema": {"type": "integer", "minimum": 1},
            },
        },
    ),
    503: ErrorStatus(
        "Service unavailable: the database cannot serve now (unreachable, refusing "
        "connections, read-only for a write during a failover, or no answer within the "
        "server's database deadline, `QUILLPRESS_DATABASE_TIMEOUT_MS`). "
        "Retry after `Retry-After`.",
        {"database": ["unavailable"]},
        RETRY_AFTER,
    ),
}


def replayable(description: str) -> dict[int | str, dict[str, Any]]:
    """For a create that takes an ``Idempotency-Key``: its 201 (``description``) with the
    ``Idempotent-Replayed`` header, and the 409 of a key whose first request still runs."""
    replayed = {
        "description": "`true` when this answer replays the first result of a request "
        "with the same `Idempotency-Key` (nothing was created again); absent otherwise.",
        "schema": {"type": "string", "enum": ["true"]},
    }
    return {201: {"description": description, "headers": {"Idempotent-Replayed": replayed}}} | (
        errors(409)
    )


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """For a decorator's ``responses=``: the error statuses an operation can answer beyond
    those its traits imply, i.e. the ones only its use case knows (403, 409, login's 401)."""
    return {status: {"description": ERRORS[status].description} for status in statuses}


# --- what a route's dependencies say about it -------------------------------------------


class Access(enum.Enum):
    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


def _dependency_of(alias: Any) -> Callable[..., Any]:
    """The callable behind an ``Annotated[T, Depends(f)]`` alias: ``f``."""
    call: Callable[..., Any] = typing.get_args(alias)[1].dependency
    return call


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


_REQUIRES_AUTH = frozenset({_dependency_of(CurrentPrincipal), _dependency_of(Auth)})
_OPTIONAL_AUTH = frozenset({_dependency_of(CurrentViewer)})
_DATABASE = _dependency_of(Db)
_PAGE = _dependency_of(Pagination)
_LIMITER = _dependency_of(LimiterDep)


def requires_sign_in(route: APIRoute) -> bool:
    """Whether the route answers only a signed-in user: one of its dependencies, however
    deep, is a required-authentication one. (``http_caching`` reads it too.)"""
    return bool(set(_calls(route.dependant)) & _REQUIRES_AUTH)


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


@dataclass(frozen=True, slots=True)
class Traits:
    """What the document needs to know about one operation, read off its route."""

    access: Access
    uses_database: bool
    paginated: bool
    has_path_parameters: bool
    has_body: bool
    unsafe: bool  # POST, PUT, PATCH or DELETE: a cookie-authenticated call needs CSRF proof
    limited: bool  # its use case applies a rate-limit rule (the handler takes the limiter)
    declared: frozenset[int]  # error statuses the decorator names (see ``errors``)

    @classmethod
    def of(cls, route: RouteContext) -> Traits:
        calls = set(_calls(route.dependant))
        access = (
            Access.REQUIRED
            if calls & _REQUIRES_AUTH
            else Access.OPTIONAL
            if calls & _OPTIONAL_AUTH
            else Access.NONE
        )
        return cls(
            access=access,
            uses_database=_DATABASE in calls,
            paginated=_PAGE in calls,
            has_path_parameters="{" in (route.path_format or ""),
            has_body=route.body_field is not None,
            unsafe=bool(set(route.methods or ()) & {"POST", "PUT", "PATCH", "DELETE"}),
            limited=_LIMITER in calls,
            declared=frozenset(
                int(status)
                for status in route.responses
                if str(status).isdigit() and int(status) >= 400
            ),
        )

    def error_statuses(self) -> list[int]:
        """Every error status the operation can answer."""
        statuses = set(self.declared)
        # RealWorld documents 422 on every operation; parameters and bodies make it real.
        statuses.add(422)
        if self.access is not Access.NONE:
            statuses.add(401)  # an invalid token is 401 even where auth is optional
        if self.has_path_parameters:
            statuses.add(404)
        if self.unsafe and self.access is not Access.NONE:
            statuses.add(403)  # cookie mode: a missing or forged CSRF token, a foreign origin
        if self.has_body:
            statuses.add(413)  # the edge's body limit (api.edge)
        if self.uses_database or self.access is not Access.NONE:
            statuses.add(503)  # the database, or the session check that reads it
        if self.limited or (self.unsafe and self.access is not Access.NONE):
            statuses.add(429)  # its own rule (login, register) or writes per user
        return sorted(statuses)


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
    from quillpress.api.rest import DOCUMENTED_ORDER  # the package imports this module

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


def document(settings: Settings) -> dict[str, Any]:
    """The document the app serves, without building an app (for ``quillpress openapi``)."""
    # Imported here, not at the top: the routers import this module for their models.
    from quillpress.api import health
    from quillpress.api.rest import router

    app = FastAPI()
    app.include_router(router, prefix=API_PREFIX)
    app.include_router(health.router)
    return build(app.routes, settings)


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
