"""Typed dependency aliases, so handlers read as signatures. Authentication happens here
(at the edge); authorization never does (that is the services' job)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from quillpress.db.database import Database
from quillpress.domain.auth import Principal
from quillpress.domain.commands import Page, make_page
from quillpress.domain.errors import Unauthenticated
from quillpress.infra.security import Security


@dataclass(frozen=True, slots=True)
class Authenticated:
    principal: Principal
    token: str


# Dependencies are ``async def`` on purpose: FastAPI runs plain ``def`` dependencies in a
# thread pool, a hop that costs more than everything these functions do.


async def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _security_of(request: Request) -> Security:
    security: Security = request.app.state.security
    return security


async def _security(request: Request) -> Security:
    return _security_of(request)


def _credentials(request: Request) -> tuple[Principal | None, str | None]:
    return _security_of(request).authenticate(request.headers.get("authorization"))


async def _viewer(request: Request) -> Principal | None:
    return _credentials(request)[0]


async def _authenticated(request: Request) -> Authenticated:
    principal, token = _credentials(request)
    if principal is None or token is None:
        raise Unauthenticated.missing()
    return Authenticated(principal=principal, token=token)


async def _required_viewer(auth: Annotated[Authenticated, Depends(_authenticated)]) -> Principal:
    return auth.principal


async def _page(
    request: Request,
    limit: Annotated[int | None, Query(description="Page size (1…max page size)")] = None,
    offset: Annotated[int, Query(description="Items to skip (≥ 0)")] = 0,
) -> Page:
    settings = request.app.state.settings
    return make_page(
        settings.default_page_size if limit is None else limit,
        offset,
        max_limit=settings.max_page_size,
    )


Db = Annotated[Database, Depends(_db)]
SecurityDep = Annotated[Security, Depends(_security)]
CurrentViewer = Annotated[Principal | None, Depends(_viewer)]
CurrentPrincipal = Annotated[Principal, Depends(_required_viewer)]
Auth = Annotated[Authenticated, Depends(_authenticated)]
Pagination = Annotated[Page, Depends(_page)]
