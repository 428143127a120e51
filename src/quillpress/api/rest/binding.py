"""The hot reads' arguments bound without FastAPI's dependency solver, answers unchanged.

Measured (``bench/profile_list.py``, PostgreSQL, cache off): for ``GET /api/articles`` FastAPI's
``solve_dependencies`` took about a fifth of the request's CPU: it re-inspects every declared
parameter's annotation on every request (``field_annotation_is_sequence``, ``get_origin``,
the model type), for values that are a handful of plain strings and integers.

:class:`BoundRoute` keeps FastAPI for everything it is there for (the route, its OpenAPI
entry, every error) and adds, for ``GET`` routes whose parameters are all plain, a binder
planned once when the route is built: path and query values read from the request as FastAPI
reads them (the last value of a repeated parameter), the dependencies (flat ``async``
functions of the request and plain query values, see ``api.rest.deps``) awaited once each in
declaration order, as FastAPI calls them. Whenever a value is not one the binder can take
as FastAPI would (absent where required, not ASCII digits for an integer, over a length or
range limit, not a member of an enum), the request goes through FastAPI's own handler
instead, so every 422 is FastAPI's, word for word. ``tests/api/test_binding.py`` runs every
hot route both ways and compares the answers."""

from __future__ import annotations

import enum
import inspect
import typing
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Any

from annotated_types import Ge, Le, MaxLen
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

_MISSING = object()
Convert = Callable[[str], Any]
"""A raw value → the argument, or ``_MISSING`` when only FastAPI may decide."""


@dataclass(frozen=True, slots=True)
class _Param:
    name: str  # the function's parameter
    key: str  # the query or path key (the alias)
    convert: Convert
    default: Any  # _MISSING: required


@dataclass(frozen=True, slots=True)
class _Call:
    call: Callable[..., Awaitable[Any]]
    name: str  # the endpoint's parameter it fills
    request_name: str | None
    query: tuple[_Param, ...]


@dataclass(frozen=True, slots=True)
class _Plan:
    request_name: str | None
    path: tuple[_Param, ...]
    query: tuple[_Param, ...]
    calls: tuple[_Call, ...]

    async def bind(self, request: Request) -> dict[str, Any] | None:
        """The endpoint's keyword arguments, or ``None``: let FastAPI bind this one."""
        kwargs: dict[str, Any] = {}
        if self.path and not _take(self.path, request.path_params, kwargs):
            return None
        query = request.query_params
        if self.query and not _take(self.query, query, kwargs):
            return None
        values: list[dict[str, Any]] = []
        for call in self.calls:  # every value first: nothing runs for a request FastAPI refuses
            arguments: dict[str, Any] = {}
            if call.query and not _take(call.query, query, arguments):
                return None
            values.append(arguments)
        results: dict[Any, Any] = {}
        for call, arguments in zip(self.calls, values, strict=True):
            if call.call not in results:  # FastAPI's per-request dependency cache
                if call.request_name is not None:
                    arguments[call.request_name] = request
                results[call.call] = await call.call(**arguments)
            kwargs[call.name] = results[call.call]
        if self.request_name is not None:
            kwargs[self.request_name] = request
        return kwargs


def _take(
    params: tuple[_Param, ...], source: typing.Mapping[str, Any], into: dict[str, Any]
) -> bool:
    for param in params:
        raw = source.get(param.key)
        if raw is None:
            if param.default is _MISSING:
                return False
            into[param.name] = param.default
            continue
        value = param.convert(raw)
        if value is _MISSING:
            return False
        into[param.name] = value
    return True


# --- planning, once per route ------------------------------------------------------------


def _converter(annotation: Any, metadata: list[Any]) -> Convert | None:
    """How a plain parameter's raw text becomes its value, ``None`` if it is not plain."""
    if isinstance(annotation, UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [arg for arg in typing.get_args(annotation) if arg is not NoneType]
        if len(members) != 1:
            return None
        annotation = members[0]
    longest: int | None = None
    lowest: Any = None
    highest: Any = None
    for item in metadata:
        if isinstance(item, MaxLen):
            longest = item.max_length
        elif isinstance(item, Ge):
            lowest = item.ge
        elif isinstance(item, Le):
            highest = item.le
        else:
            return None  # a constraint only FastAPI knows how to check
    if annotation is str and lowest is None and highest is None:
        if longest is None:
            return lambda raw: raw
        return lambda raw: raw if len(raw) <= longest else _MISSING
    if annotation is int and longest is None:

        def to_int(raw: str) -> Any:
            if not (raw.isascii() and raw.isdigit()):
                return _MISSING  # signs, spaces, underscores, other digits: FastAPI decides
            value = int(raw)
            if (lowest is not None and value < lowest) or (highest is not None and value > highest):
                return _MISSING
            return value

        return to_int
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum) and not metadata:
        by_value = {str(member.value): member for member in annotation}
        return lambda raw: by_value.get(raw, _MISSING)
    return None


def _params(fields: list[Any]) -> tuple[_Param, ...] | None:
    params = []
    for field in fields:
        convert = _converter(field.field_info.annotation, list(field.field_info.metadata))
        if convert is None:
            return None
        required = field.field_info.is_required()
        default = _MISSING if required else field.default
        params.append(_Param(field.name, field.alias, convert, default))
    return tuple(params)


def _is_flat(dependant: Dependant) -> bool:
    return not (
        dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.background_tasks_param_name
        or dependant.response_param_name
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.security_scopes_param_name
    )


def plan_of(route: APIRoute) -> _Plan | None:
    """The binder for ``route``, or ``None`` when FastAPI must bind every request."""
    dependant = route.dependant
    if route.methods != {"GET"} or route.dependencies or not _is_flat(dependant):
        return None
    endpoint = route.endpoint
    if not inspect.iscoroutinefunction(endpoint):
        return None
    returns = typing.get_type_hints(endpoint).get("return")
    if not (isinstance(returns, type) and issubclass(returns, Response)):
        return None  # FastAPI would serialize what it returns
    path, query = _params(dependant.path_params), _params(dependant.query_params)
    if path is None or query is None:
        return None
    calls = []
    for sub in dependant.dependencies:
        call = sub.call
        if (
            call is None
            or sub.name is None
            or sub.dependencies
            or sub.path_params
            or not sub.use_cache
            or not _is_flat(sub)
            or not inspect.iscoroutinefunction(call)
        ):
            return None
        sub_query = _params(sub.query_params)
        if sub_query is None:
            return None
        calls.append(_Call(call, sub.name, sub.request_param_name, sub_query))
    return _Plan(dependant.request_param_name, path, query, tuple(calls))


class BoundRoute(APIRoute):
    """An ``APIRoute`` whose plain ``GET`` requests skip FastAPI's dependency solver."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        solved = super().get_route_handler()
        plan = plan_of(self)
        if plan is None:
            return solved
        endpoint = self.endpoint

        async def bound(request: Request) -> Response:
            kwargs = await plan.bind(request)
            if kwargs is None:
                return await solved(request)
            response: Response = await endpoint(**kwargs)
            return response

        return bound
