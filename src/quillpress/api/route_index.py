"""Routing in one pass over a flat list of the app's routes, with FastAPI's answer.

Measured (``bench/cpu.py --only profile --profile DIR``, PostgreSQL, cache off): FastAPI
0.165's router keeps every included router as a node of its own and matches a request by
walking them, twice per level (``_IncludedRouter.matches`` to choose the branch, then
``_handle_selected`` to match inside it again), saving and restoring its scope keys around
every candidate. For ``GET /api/profiles/{username}`` that was about 27 route matches and a
third of the request's CPU under cProfile; the regular expressions themselves are a small
part of it.

:class:`RouteIndex` sits where the router sat (inside ``AsyncExitStack``) and walks the
routes flattened once, on the first request, by FastAPI's own ``iter_route_contexts`` (the
routes of included routers with their prefixes applied, in the order FastAPI tries them)
and grouped by the first two segments of their paths: one regular-expression match per
route of the request's group until one matches. What it does with a match is
what FastAPI's ``_IncludedRouter._handle_selected`` and ``APIRoute.handle`` do for a route
of an included router: the path parameters, endpoint, route and effective route context in
the scope (``api.middleware.route_template`` and the metrics read the last), then the
route's prepared app (its handler behind its body limit). Everything else goes to FastAPI's
router untouched, which then decides as it always does: a path whose first match is not a
plain FastAPI route (a mount, ``/graphql``, the docs), a method the matching route does not
take (FastAPI looks further for one that does, then answers 405), no match at all (the
trailing-slash redirect, the front-end routes, 404), and every route when form limits or
tracing are configured (their per-router scope entries are FastAPI's to set).

``tests/api/test_route_index.py`` sends every route of the app (and the unmatched, 405,
redirect and mount cases) through both and compares the answers and the route each one
names; FastAPI is pinned (``pyproject.toml``), and the private names used here are the ones
that test exercises."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi.routing import (
    APIRoute,
    APIRouter,
    RouteContext,
    _IncludedRouter,
    iter_route_contexts,
)
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

FASTAPI_SCOPE = "fastapi"
EFFECTIVE_ROUTE = "effective_route_context"
"""FastAPI's own scope entry for the route it selected (``fastapi.routing``)."""


@dataclass(frozen=True, slots=True)
class _Leaf:
    """A FastAPI route of an included router, prefix applied."""

    regex: re.Pattern[str]
    convertors: dict[str, Any]
    methods: frozenset[str]
    route: APIRoute
    context: Any  # fastapi.routing._EffectiveRouteContext
    app: ASGIApp


Entry = _Leaf | BaseRoute
"""A leaf the index dispatches, or a route only FastAPI may handle."""


Key = tuple[str, ...]
"""A path's first two segments (``/api/tags/x`` → ``("api", "tags")``)."""


def _key(path: str) -> Key:
    return tuple(path.split("/")[1:3])


@dataclass(frozen=True, slots=True)
class _Table:
    """The entries by the first two segments of the paths they can match, each list in
    FastAPI's order: an entry whose template starts with two literal segments can only
    match paths that start with them; any other (a parameter or a mount there) is in
    every list, and alone in ``wild``."""

    buckets: dict[Key, list[Entry]]
    wild: list[Entry]

    def candidates(self, path: str) -> list[Entry]:
        return self.buckets.get(_key(path), self.wild)


def _table(router: APIRouter) -> _Table | None:
    """The routes in the order FastAPI tries them, or ``None``: route nothing here."""
    if router.form_limits or _form_limits_below(router.routes):
        return None
    entries: list[tuple[Key | None, Entry]] = []
    for found in iter_route_contexts(router.routes):
        leaf = _leaf(found)
        template = found.path_format
        key = None if not isinstance(template, str) else _key(template)
        if key is not None and any("{" in part for part in key):
            key = None
        entries.append((key, leaf if leaf is not None else found.route))
    keys = {key for key, _ in entries if key is not None}
    buckets = {
        key: [entry for entry_key, entry in entries if entry_key in (key, None)] for key in keys
    }
    return _Table(buckets, [entry for key, entry in entries if key is None])


def _form_limits_below(routes: list[BaseRoute]) -> bool:
    """Whether an included router sets form limits (FastAPI puts them in the scope as it
    walks down to the route)."""
    for route in routes:
        if isinstance(route, _IncludedRouter) and (
            route.include_context.form_limits or _form_limits_below(route.original_router.routes)
        ):
            return True
    return False


def _leaf(found: RouteContext) -> _Leaf | None:
    context = found._route_context
    route = found.original_route
    if context is None or not isinstance(route, APIRoute) or context.app is None:
        return None
    if context.starlette_route is not None or not context.methods:
        return None
    return _Leaf(
        regex=context.path_regex,
        convertors=context.param_convertors,
        methods=frozenset(context.methods),
        route=route,
        context=context,
        app=context.app,
    )


class RouteIndex:
    def __init__(self, router: APIRouter, *, enabled: bool = True) -> None:
        self.router = router
        self.enabled = enabled
        self._table: _Table | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.enabled:
            await self.router(scope, receive, send)
            return
        table = self._table
        if table is None:  # built on the first request: every route is registered by then
            table = _table(self.router)
            if table is None:
                self.enabled = False
                await self.router(scope, receive, send)
                return
            self._table = table
        leaf = _select(table, scope, self.router)
        if leaf is None:
            await self.router(scope, receive, send)
            return
        await leaf.app(scope, receive, send)


def _select(table: _Table, scope: Scope, router: APIRouter) -> _Leaf | None:
    """The leaf FastAPI would select for this request, put in the scope as FastAPI puts
    it; ``None`` when FastAPI's router must decide."""
    path = get_route_path(scope)
    for entry in table.candidates(path):
        if isinstance(entry, _Leaf):
            found = entry.regex.match(path)
            if found is None:
                continue
            if scope["method"] not in entry.methods:
                return None  # FastAPI looks for another route, or answers 405
            params = dict(scope.get("path_params", {}))
            for key, value in found.groupdict().items():
                params[key] = entry.convertors[key].convert(value)
            scope["endpoint"] = entry.context.endpoint
            scope["path_params"] = params
            scope["route"] = entry.route
            scope.setdefault("router", router)
            fastapi_scope = scope.setdefault(FASTAPI_SCOPE, {})
            fastapi_scope[EFFECTIVE_ROUTE] = entry.context
            return entry
        if entry.matches(scope)[0] is not Match.NONE:
            return None
    return None
