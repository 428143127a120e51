"""GraphQL execution with a short path for plain fields and plain subtrees, answers unchanged.

Measured (``bench/cpu.py --only graphql --profile``: the GraphQL list query, cache off): a
page of 20 articles is about 280 resolved fields in 60 objects, and graphql-core spends
most of the request on them, per field: a ``GraphQLResolveInfo`` built, the path extended,
the resolver called through the awaitable check, ``complete_value`` walking the wrapping
types; per object, ``execute_fields`` looping over the collected fields. For a view already
in memory none of that is needed to produce the answer.

:class:`PlainExecutor` answers a *plain* field directly: no arguments, a resolver that is
the default one (an attribute or key of the same name) or one marked :func:`plain` (a pure
function of the source, ``info`` unused), and a type that is a scalar or enum, or an
object type without ``is_type_of`` whose selected fields are all plain in turn (so
``edges { node { … author { … } } }`` is one plain field), each possibly listed and
non-null; ``__typename`` is plain too. Its value is completed into the same dicts, lists
and coerced leaves graphql-core builds, in the same key order. The plan of a field (its
getter, its wrapping, its sub-fields' plans) is made once per selection and execution
from graphql-core's own field collection, so ``@skip``/``@include`` and fragments mean what
they always mean.

Anything unusual anywhere in the subtree (a missing value for a non-null field, a value a
scalar refuses, an exception, something callable or awaitable, a list that is not a
list) abandons the short path for the whole field, which graphql-core then executes
itself: every error is graphql-core's, located and worded as before (plain resolvers are
pure, so running them again changes nothing). ``tests/graphql/test_execution.py`` runs the
schema's queries through both executors and compares the results.

Size: one short path, its plans and the executor hook are read together; split, each part
would only make sense beside the others."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from inspect import isawaitable
from types import GeneratorType
from typing import Any, TypeVar

from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
    default_field_resolver,
    is_leaf_type,
)
from graphql.execution.executor import Executor
from graphql.pyutils import Path, Undefined

F = TypeVar("F", bound=Callable[..., Any])
Complete = Callable[[Any], Any]
"""A plain field's plan: its source → its completed value, or ``_SKIP`` for graphql-core."""

_PLAIN: set[Callable[..., Any]] = set()
_SKIP: Any = object()
_MAX_INT = 2_147_483_647
_MIN_INT = -2_147_483_648
_EXACT: dict[GraphQLLeafType, type] = {GraphQLString: str, GraphQLBoolean: bool}


def plain(resolve: F) -> F:
    """Mark a resolver as a pure function of its source (``info`` unused, no arguments, no
    side effects, never raises for a view of its type): the short path may call it with
    ``info=None`` and, for an unusual value, graphql-core calls it again."""
    _PLAIN.add(resolve)
    return resolve


_mapping_types: dict[type, bool] = {}
"""type → whether its values are mappings (read by key): the ``Mapping`` ABC check costs
more than the attribute read it guards, and a type's answer does not change."""


def _default_getter(name: str) -> Callable[[Any], Any]:
    """graphql-core's default resolver, less its call of a callable value (the completion
    refuses those, so graphql-core makes the call)."""

    def get(source: Any) -> Any:
        kind = type(source)
        mapping = _mapping_types.get(kind)
        if mapping is None:
            mapping = _mapping_types[kind] = isinstance(source, Mapping)
        if mapping:
            return source.get(name)
        return getattr(source, name, None)

    return get


def _getter(name: str, field: GraphQLField) -> Callable[[Any], Any] | None:
    if field.resolve is None:
        return _default_getter(name)
    if field.resolve in _PLAIN:
        resolve = field.resolve

        def get(source: Any) -> Any:
            return resolve(source, None)

        return get
    return None


_ordinary_types: dict[type, bool] = {}
"""type → whether graphql-core completes its values as they are (not callable, not an
exception, not awaitable)."""


def _unusual(value: Any) -> bool:
    kind = type(value)
    ordinary = _ordinary_types.get(kind)
    if ordinary is None:
        ordinary = not (callable(value) or isinstance(value, Exception) or isawaitable(value))
        if kind is not GeneratorType:  # a generator may be awaitable or not, per value
            _ordinary_types[kind] = ordinary
    return not ordinary


def _scalar(leaf: GraphQLLeafType) -> Complete:
    """A non-null value coerced as graphql-core coerces it; a built-in scalar's own kind
    of value passes as it is, which is what its coercion returns for it."""
    coerce = leaf.coerce_output_value

    def coerced(value: Any) -> Any:
        if _unusual(value):
            return _SKIP
        result = coerce(value)
        return _SKIP if result is None or result is Undefined else result

    if leaf is GraphQLInt:

        def integer(value: Any) -> Any:
            if type(value) is int and _MIN_INT <= value <= _MAX_INT:
                return value
            return coerced(value)

        return integer
    exact = _EXACT.get(leaf)
    if exact is None:
        return coerced

    def one(value: Any) -> Any:
        if type(value) is exact:
            return value
        return coerced(value)

    return one


def _object(fields: tuple[tuple[str, Complete], ...]) -> Complete:
    """A non-null value completed as the dict of its selected fields."""

    def one(value: Any) -> Any:
        if _unusual(value):
            return _SKIP
        completed: dict[str, Any] = {}
        for key, complete in fields:
            done = complete(value)
            if done is _SKIP:
                return _SKIP
            completed[key] = done
        return completed

    return one


def _wrapped(
    get: Callable[[Any], Any], one: Complete, *, required: bool, listed: bool, item_required: bool
) -> Complete:
    """The field's value read from its source, then null, listed or completed by ``one``."""
    if not listed:

        def single(source: Any) -> Any:
            value = get(source)
            if value is None:
                return _SKIP if required else None
            return one(value)

        return single

    def many(source: Any) -> Any:
        value = get(source)
        if value is None:
            return _SKIP if required else None
        if type(value) is not list and type(value) is not tuple:
            return _SKIP
        completed: list[Any] = []
        for item in value:
            if item is None:
                if item_required:
                    return _SKIP
                completed.append(None)
                continue
            done = one(item)
            if done is _SKIP:
                return _SKIP
            completed.append(done)
        return completed

    return many


def _typename(name: str) -> Complete:
    def complete(_source: Any) -> Any:
        return name

    return complete


class PlainExecutor(Executor[Any]):
    """graphql-core's executor, with plain fields and plain subtrees answered without the
    per-field machinery (see the module docstring)."""

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        if self.middleware_manager is None and self.field_resolver is default_field_resolver:
            complete = self._plan(parent_type, field_details_list)
            if complete is not None:
                try:
                    completed = complete(source)
                except Exception:  # graphql-core reports it, located, below
                    completed = _SKIP
                if completed is not _SKIP:
                    return completed
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _plan(self, parent_type: GraphQLObjectType, field_details_list: Any) -> Complete | None:
        """The field's plan, or ``None`` when it is not plain; made once per execution
        (the field's selection, and so its plan, may depend on the variables)."""
        try:
            plans = self._plans
        except AttributeError:
            plans = self._plans = {}
        key = (id(parent_type), id(field_details_list))
        found = plans.get(key)
        if found is None:
            # The list is kept with its plan, so its id is not reused during execution.
            found = plans[key] = (
                field_details_list,
                self._make_plan(parent_type, field_details_list),
            )
        return found[1]

    _plans: dict[tuple[int, int], tuple[Any, Complete | None]]

    def _make_plan(
        self, parent_type: GraphQLObjectType, field_details_list: Any
    ) -> Complete | None:
        node = field_details_list[0].node
        name = node.name.value
        if name == "__typename":
            return _typename(parent_type.name)
        field = parent_type.fields.get(name)
        if field is None or field.args or node.arguments:
            return None
        get = _getter(name, field)
        if get is None:
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
        if is_leaf_type(kind):
            one = _scalar(kind)
        elif isinstance(kind, GraphQLObjectType) and kind.is_type_of is None:
            grouped, defer_usages, _ = self.collect_subfields(kind, field_details_list)
            if defer_usages:
                return None
            fields: list[tuple[str, Complete]] = []
            for response_name, sub_details in grouped.items():
                sub_plan = self._plan(kind, sub_details)
                if sub_plan is None:
                    return None
                fields.append((response_name, sub_plan))
            one = _object(tuple(fields))
        else:
            return None
        return _wrapped(get, one, required=required, listed=listed, item_required=item_required)
