"""What the edge layer (:mod:`quillpress.api.edge`) and the adapters share about a request:
its id and the route template it matched. (Its SQL statement counter is
:mod:`quillpress.infra.statements`': the database layer writes it.)"""

from __future__ import annotations

import os
import re
from typing import Any

from starlette.routing import Mount
from starlette.types import Scope

from quillpress.infra.metrics import UNMATCHED

REQUEST_ID_HEADER = b"x-request-id"
SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
"""1 to 128 letters, digits, ``.``, ``_``, ``:`` and ``-``: what proxies and tracing
systems send (UUIDs, hex trace ids, ``host:pid:counter``). The id is echoed in a header,
logged, stored in the audit log and printed by ``quillpress audit``, so nothing a terminal,
Rich markup (``[``, ``]``), a log parser or a header could read as syntax is let in; a
client's id outside this alphabet is replaced by a new one, never trimmed."""


def new_request_id() -> str:
    """32 random lowercase hex digits (a UUID4's worth of randomness, without the object)."""
    return os.urandom(16).hex()


UNTIMED_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
"""Operational routes: counted in ``http_requests_total`` but kept out of the latency and
statement histograms (probes every few seconds would drown the real traffic's figures)."""


ROUTE_KEY = "quillpress.route"
"""Where a layer that answers before routing names the route template it answered."""


def route_template(scope: Scope) -> str:
    """The matched route's template (``/api/articles/{slug}``), read after routing; never
    the raw path (one series per slug would explode), ``"unmatched"`` when nothing matched.

    A layer that answers before routing (a response cache) names the template it answered
    for in ``scope["quillpress.route"]``; that one counts first.

    FastAPI keeps the route of an included router without the router's prefix; the
    effective route (prefix applied) is what it put in its own scope entry. Plain
    Starlette routes (``/graphql``, ``/metrics``, the ``/static`` mount) leave only their
    endpoint in the scope: their template is looked up among the app's routes."""
    named = scope.get(ROUTE_KEY)
    if isinstance(named, str) and named:
        return named
    effective = (scope.get("fastapi") or {}).get("effective_route_context")
    template = getattr(effective, "path_format", None) or getattr(
        scope.get("route"), "path_format", None
    )
    if not template and "endpoint" in scope:
        template = _template_of_endpoint(scope.get("app"), scope["endpoint"])
    return template if isinstance(template, str) and template else UNMATCHED


def _template_of_endpoint(app: Any, endpoint: Any) -> str | None:
    for route in getattr(app, "routes", ()):
        if isinstance(route, Mount) and route.app is endpoint:
            return f"{route.path}/{{path}}"
        if getattr(route, "endpoint", None) == endpoint:
            found: str | None = getattr(route, "path_format", None)
            return found
    return None
