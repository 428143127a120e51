"""Typed dependency aliases, so handlers read as signatures. Authentication happens here
(at the edge, through the one way in); authorization never does (the services' job)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from quillpress.api.credentials import AUTHENTICATED, client_of, credentials_of
from quillpress.api.idempotency import KEY_HEADER
from quillpress.api.resources import resources
from quillpress.api.rest.cookies import SessionMode
from quillpress.config import Settings
from quillpress.domain import cursors
from quillpress.domain.auth import Principal
from quillpress.domain.clients import ClientInfo
from quillpress.domain.commands import Page, make_page
from quillpress.domain.errors import Invalid, Unauthenticated
from quillpress.domain.idempotency import IdempotencyKey, parse_key
from quillpress.infra.limits import Limiter
from quillpress.infra.resources import Store
from quillpress.infra.security import Security
from quillpress.services.authentication import Authenticated, authenticate

# Dependencies are ``async def`` on purpose: FastAPI runs plain ``def`` dependencies in a
# thread pool, a hop that costs more than everything these functions do. FastAPI caches
# each dependency per request, so a handler asking for several of these authenticates once.


async def _db(request: Request) -> Store:
    return resources(request).database


async def _settings(request: Request) -> Settings:
    return resources(request).settings


async def _session_mode(
    session: Annotated[
        SessionMode,
        Query(
            description="`cookie`: set the tokens as HttpOnly cookies instead of returning "
            "them (the body's `token` is empty); unsafe requests authenticated by the cookie "
            "then need a trusted `Origin` and `X-CSRF-Token` equal to the `qp_csrf` cookie "
            "(the session's CSRF token)."
        ),
    ] = SessionMode.TOKEN,
) -> SessionMode:
    return session


async def _security(request: Request) -> Security:
    return resources(request).security


async def _limiter(request: Request) -> Limiter:
    return resources(request).limiter


async def _authenticated_or_none(request: Request) -> Authenticated | None:
    # Kept in the scope (``api.credentials.AUTHENTICATED``): the aliases below, however
    # many a handler asks for, and a layer that authenticated before routing (the response
    # cache) authenticate a request once.
    scope = request.scope
    if AUTHENTICATED in scope:
        found_before: Authenticated | None = scope[AUTHENTICATED]
        return found_before
    found = resources(request)
    auth = await authenticate(
        found.database,
        found.security,
        credentials_of(request, found.settings),
        activity=found.activity,
        limiter=found.limiter,
    )
    scope[AUTHENTICATED] = auth
    return auth


async def _client(request: Request) -> ClientInfo:
    return client_of(request)


# Each alias is one async dependency on the request, not a chain (FastAPI solves every
# level of a chain on every request: measured, a chain of two cost about as much as the
# session check's statement).


async def _viewer(request: Request) -> Principal | None:
    auth = await _authenticated_or_none(request)
    return auth.principal if auth is not None else None


async def _authenticated(request: Request) -> Authenticated:
    auth = await _authenticated_or_none(request)
    if auth is None:
        raise Unauthenticated.missing()
    return auth


async def _required_viewer(request: Request) -> Principal:
    return (await _authenticated(request)).principal


async def _page(
    request: Request,
    limit: Annotated[int | None, Query(description="Page size (1…max page size)")] = None,
    offset: Annotated[int | None, Query(description="Items to skip (≥ 0)")] = None,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Keyset paging: continue after this position (from a `Link: "
            '<…>; rel="next"` header, or a GraphQL cursor). Not combined with `offset`. '
            "A search's cursors (`q`) continue only that search.",
        ),
    ] = None,
) -> Page:
    """Offset paging, or keyset paging after ``cursor`` (the same positions GraphQL's
    ``after`` uses): a deep cursor costs what a first page does, a deep offset does not."""
    if cursor is not None and offset is not None:
        raise Invalid({"cursor": ["cannot be combined with offset"]})
    settings = resources(request).settings
    return make_page(
        settings.default_page_size if limit is None else limit,
        offset or 0,
        max_limit=settings.max_page_size,
        after=cursors.decode_any(cursor, field="cursor"),
    )


async def _idempotency_key(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias=KEY_HEADER,
            description="Makes a retry safe: 1 to 255 printable ASCII characters, a new "
            "UUID per logical create. A retry with the same key and body answers the first "
            "result again (same status, `Idempotent-Replayed: true`) instead of creating "
            "twice; the same key with another body is 422, and while the first request is "
            "still running, 409. Kept for `QUILLPRESS_IDEMPOTENCY_TTL_HOURS` (24 h).",
        ),
    ] = None,
) -> IdempotencyKey | None:
    return parse_key(key, ttl_hours=resources(request).settings.idempotency_ttl_hours)


Db = Annotated[Store, Depends(_db)]
SettingsDep = Annotated[Settings, Depends(_settings)]
Mode = Annotated[SessionMode, Depends(_session_mode)]
Client = Annotated[ClientInfo, Depends(_client)]
SecurityDep = Annotated[Security, Depends(_security)]
LimiterDep = Annotated[Limiter, Depends(_limiter)]
CurrentViewer = Annotated[Principal | None, Depends(_viewer)]
CurrentPrincipal = Annotated[Principal, Depends(_required_viewer)]
Auth = Annotated[Authenticated, Depends(_authenticated)]
Pagination = Annotated[Page, Depends(_page)]
Idempotency = Annotated[IdempotencyKey | None, Depends(_idempotency_key)]
