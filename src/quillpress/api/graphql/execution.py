"""GraphQL execution with a short path for plain leaf fields, answers unchanged.

Measured (``/tmp``-free: ``bench/run.py``'s GraphQL list query, cache off, cProfile): a page
of 20 articles is about 280 resolved fields, and graphql-core spends most of the request on
them, per field: a ``GraphQLResolveInfo`` built, the resolver called through the awaitable
check, ``complete_value`` walking the wrapping types, the path extended. For a field that
just reads an attribute of its view and returns a string, an integer or a boolean, none of
that is needed to produce the value.

:class:`LeafExecutor` answers such a field directly: a field without arguments whose
resolver is the default one (an attribute or key of the same name) or one marked
:func:`plain` (a pure function of the source, ``info`` unused), whose type is a scalar or
enum (or a list of them), possibly non-null. The value is coerced by the type exactly as
graphql-core coerces it. Anything unusual (a missing value for a non-null field, a value the
type refuses, an exception, something callable or awaitable) goes through graphql-core's own
``execute_field``, so every error is graphql-core's, located and worded as before.
``tests/graphql/test_execution.py`` runs the schema's queries through both executors and
compares the results."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    default_field_resolver,
    is_leaf_type,
)
from graphql.execution.executor import Executor
from graphql.pyutils import Path, Undefined

F = TypeVar("F", bound=Callable[..., Any])

_PLAIN: set[Callable[..., Any]] = set()
_SKIP = object()
_plans: dict[int, tuple[GraphQLField, Any]] = {}
"""id(field definition) → (the definition, its plan or None); the definition is kept so
its id is never reused while the schema lives (schemas live as long as the process)."""


def plain(resolve: F) -> F:
    """Mark a resolver as a pure function of its source (``info`` unused, no arguments, no
    side effects, never raises for a view of its type): the leaf path may call it with
    ``info=None`` and, for an unusual value, graphql-core calls it again."""
    _PLAIN.add(resolve)
    return resolve


class _Leaf:
    __slots__ = ("get", "item_required", "leaf", "listed", "required")

    def __init__(
        self,
        get: Callable[[Any], Any],
        leaf: GraphQLLeafType,
        *,
        required: bool,
        listed: bool,
        item_required: bool,
    ) -> None:
        self.get = get
        self.leaf = leaf
        self.required = required
        self.listed = listed
        self.item_required = item_required

    def complete(self, source: Any) -> Any:
        """The field's completed value, or ``_SKIP`` for graphql-core to decide."""
        value = self.get(source)
        if value is None:
            return _SKIP if self.required else None
        if not self.listed:
            return self._coerce(value)
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
            return _SKIP
        completed: list[Any] = []
        for item in value:
            if item is None:
                if self.item_required:
                    return _SKIP
                completed.append(None)
                continue
            coerced = self._coerce(item)
            if coerced is _SKIP:
                return _SKIP
            completed.append(coerced)
        return completed

    def _coerce(self, value: Any) -> Any:
        if callable(value) or isinstance(value, Exception):
            return _SKIP
        coerced = self.leaf.coerce_output_value(value)
        return _SKIP if coerced is None or coerced is Undefined else coerced


def _default_getter(name: str) -> Callable[[Any], Any]:
    def get(source: Any) -> Any:
        if isinstance(source, Mapping):
            return source.get(name)
        return getattr(source, name, None)

    return get


def _plan(name: str, field: GraphQLField) -> _Leaf | None:
    if field.args:
        return None
    if field.resolve is None:
        get = _default_getter(name)
    elif field.resolve in _PLAIN:
        resolve = field.resolve

        def get(source: Any) -> Any:
            return resolve(source, None)
    else:
        return None
    kind: Any = field.type
    required = isinstance(kind, GraphQLNonNull)
    if required:
        kind = kind.of_type
    listed = isinstance(kind, GraphQLList)
    item_required = False
    if listed:
        kind = kind.of_type
        item_required = isinstance(kind, GraphQLNonNull)
        if item_required:
            kind = kind.of_type
    if not is_leaf_type(kind):
        return None
    return _Leaf(get, kind, required=required, listed=listed, item_required=item_required)


class LeafExecutor(Executor[Any]):
    """graphql-core's executor, with plain leaf fields answered without the per-field
    machinery (see the module docstring)."""

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        if (
            not node.arguments
            and self.middleware_manager is None
            and self.field_resolver is default_field_resolver
        ):
            name = node.name.value
            field = parent_type.fields.get(name)
            if field is not None:
                found = _plans.get(id(field))
                if found is None or found[0] is not field:
                    found = _plans[id(field)] = (field, _plan(name, field))
                leaf = found[1]
                if leaf is not None:
                    try:
                        completed = leaf.complete(source)
                    except Exception:  # graphql-core reports it, located, below
                        completed = _SKIP
                    if completed is not _SKIP:
                        return completed
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
