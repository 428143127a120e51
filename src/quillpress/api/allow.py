"""The ``Allow`` header of a 405: every method the path answers, whichever route serves it.

Starlette answers a wrong method with the ``Allow`` of the first route whose path matched,
but a path is often served by several routes, one per method or group of methods
(``GET``/``PUT``/``DELETE /api/articles/{slug}`` are three, ``/api/user`` two, and
``/api/articles/feed`` also matches ``{slug}``), so a client was told ``GET`` where
``PUT`` works too. The table here is built once, from every route of the app, REST,
GraphQL and the rest alike, on the app's first 405 (not when the app starts: walking every
route's dependencies costs about 25 ms of CPU, which most app instances, a test's above all,
never need); a 405 then costs one regular-expression match per route."""

from __future__ import annotations

import re
from collections.abc import Sequence

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
"""How ``Allow`` lists them (any other method a route declares follows, by name)."""
STATIC_FILES = {"GET", "HEAD"}


Table = list[tuple[re.Pattern[str], frozenset[str]]]


def _table(routes: Sequence[BaseRoute]) -> Table:
    table: Table = []
    for route in iter_route_contexts(routes):  # included routers flattened, prefixed
        methods = route.methods
        if methods is None and isinstance(getattr(route, "app", None), StaticFiles):
            methods = STATIC_FILES  # a mount names no methods; the static files answer these
        regex = getattr(route, "path_regex", None)
        if methods and isinstance(regex, re.Pattern):
            table.append((regex, frozenset(methods)))
    return table


class AllowedMethods:
    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self._routes = routes  # the app's own list: complete by the first request
        self._table: Table | None = None

    def allow(self, scope: Scope) -> str:
        """The ``Allow`` value for the request's path (as routing sees it: within the
        app's root path)."""
        if self._table is None:
            self._table = _table(self._routes)
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]
        methods: set[str] = set()
        for regex, allowed in self._table:
            if regex.match(path):
                methods |= allowed
        ordered = [method for method in ORDER if method in methods]
        return ", ".join([*ordered, *sorted(methods.difference(ORDER))])
