"""What a REST route is, read once off its definition: who may call it, whether its answer
is personal, whether it writes, and what else its documentation needs.

Every trait is declared where the route is defined, and only there:

- *needs sign-in* (or *sign-in optional*): the handler's authentication dependency
  (``CurrentPrincipal``/``Auth``, or ``CurrentViewer``), however deep;
- *writes*: the decorator's method (``POST``, ``PUT``, ``PATCH``, ``DELETE``);
- *personal*: every route that needs sign-in, unless its handler is marked
  :func:`cacheable_per_viewer` (the feed). The rule is by trait, so a route nobody
  thought about is safe;
- the error statuses only its use case knows: the decorator's ``responses=errors(…)``.

Two readers, one :class:`Traits`: the OpenAPI builder (security requirements, the error
statuses each operation can answer) and ``api.http_caching`` (personal answers get
``Cache-Control: no-store`` and no ETag). The response cache (``api.response_cache``)
answers before routing, so it cannot read a route; it keeps its own short list of public
reads, each of which is a sign-in-optional ``GET`` here (a test holds them to it)."""

from __future__ import annotations

import enum
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from quillpress.api.rest.deps import (
    Auth,
    CurrentPrincipal,
    CurrentViewer,
    Db,
    LimiterDep,
    Pagination,
)

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_PER_VIEWER = "_quillpress_cacheable_per_viewer"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def cacheable_per_viewer(endpoint: Endpoint) -> Endpoint:
    """Marks a sign-in-only ``GET`` whose answer is public data picked or flagged for the
    viewer, not data about anyone (the feed): it gets ``private, no-cache`` and an ETag,
    like any signed-in read, instead of personal data's ``no-store``."""
    setattr(endpoint, _PER_VIEWER, True)
    return endpoint


class Access(enum.Enum):
    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


class Route(Protocol):
    """An ``APIRoute``, or FastAPI's ``RouteContext`` of one inside an included router (its
    path with the prefixes and its merged responses)."""

    @property
    def dependant(self) -> Dependant: ...
    @property
    def endpoint(self) -> Callable[..., Any] | None: ...
    @property
    def methods(self) -> set[str] | None: ...
    @property
    def path_format(self) -> str | None: ...
    @property
    def responses(self) -> dict[int | str, dict[str, Any]]: ...
    @property
    def body_field(self) -> Any: ...


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


@dataclass(frozen=True, slots=True)
class Traits:
    access: Access
    personal: bool  # no-store, no ETag (api.http_caching)
    writes: bool  # an unsafe method: a cookie-authenticated call needs CSRF proof
    uses_database: bool
    paginated: bool
    has_path_parameters: bool
    has_body: bool
    limited: bool  # its use case applies a rate-limit rule (the handler takes the limiter)
    declared: frozenset[int]  # error statuses the decorator names (``errors(…)``)

    @classmethod
    def of(cls, route: Route) -> Traits:
        calls = set(_calls(route.dependant))
        access = (
            Access.REQUIRED
            if calls & _REQUIRES_AUTH
            else Access.OPTIONAL
            if calls & _OPTIONAL_AUTH
            else Access.NONE
        )
        per_viewer = getattr(route.endpoint, _PER_VIEWER, False)
        return cls(
            access=access,
            personal=access is Access.REQUIRED and not per_viewer,
            writes=bool(set(route.methods or ()) & UNSAFE),
            uses_database=_DATABASE in calls,
            paginated=_PAGE in calls,
            has_path_parameters="{" in (route.path_format or ""),
            has_body=route.body_field is not None,
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
        signed_in = self.access is not Access.NONE
        if signed_in:
            statuses.add(401)  # an invalid token is 401 even where auth is optional
        if self.has_path_parameters:
            statuses.add(404)
        if self.writes and signed_in:
            statuses.add(403)  # cookie mode: a missing or forged CSRF token, a foreign origin
        if self.has_body:
            statuses.add(413)  # the edge's body limit (api.edge)
        if self.uses_database or signed_in:
            statuses.add(503)  # the database, or the session check that reads it
        if self.limited or (self.writes and signed_in):
            statuses.add(429)  # its own rule (login, register) or writes per user
        return sorted(statuses)


def is_personal(route: object) -> bool:
    """``route`` is the matched route (``scope["route"]``), or ``None`` when none matched."""
    return isinstance(route, APIRoute) and Traits.of(route).personal
