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
and coerced leaves graphql-core builds, in the same key order.

A field's :class:`Plan` is made from graphql-core's own field collection, so ``@skip``,
``@include`` and fragments mean what they always mean. It is made once per execution, and
once per document (:data:`Plans`, kept with the parsed document) when nothing in its
subtree carries a directive: then the variables cannot change what it selects. An object's
plan completes it with a function generated for its selection (:func:`_compiled`).

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
from typing import Any, NamedTuple, TypeAlias, TypeVar

from graphql import (
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
    InlineFragmentNode,
    SelectionSetNode,
    default_field_resolver,
    is_leaf_type,
)
from graphql.execution.executor import Executor
from graphql.pyutils import Path, Undefined

F = TypeVar("F", bound=Callable[..., Any])
Finish = Callable[[Any], Any]
"""A field's value → its completed value, or ``_SKIP`` for graphql-core to decide."""

_PLAIN: set[Callable[..., Any]] = set()
_SKIP: Any = object()
_MAX_INT = 2_147_483_647
_MIN_INT = -2_147_483_648
_EXACT: dict[GraphQLLeafType, type] = {GraphQLString: str, GraphQLBoolean: bool}
"""Built-in scalars whose coercion returns a value of this exact type as it is."""


def plain(resolve: F) -> F:
    """Mark a resolver as a pure function of its source (``info`` unused, no arguments, no
    side effects, never raises for a view of its type): the short path may call it with
    ``info=None`` and, for an unusual value, graphql-core calls it again."""
    _PLAIN.add(resolve)
    return resolve


class Plan(NamedTuple):
    """How to answer a plain field: read it (``attr`` by graphql-core's default resolver,
    else ``resolve(source, None)``), then a value of type ``exact`` is its own answer and
    any other goes through ``finish``."""

    attr: str | None
    resolve: Callable[[Any, Any], Any] | None
    exact: type | None
    finish: Finish


Plans: TypeAlias = dict[tuple[int, tuple[int, ...]], Plan | None]
"""(parent type, field nodes) ids → the field's plan (``None``: not plain), for fields
whose subtree carries no directive; its document must outlive it (node ids are reused)."""

_ATTRIBUTES, _KEYS, _UNUSUAL = 0, 1, 2
_kinds: dict[type, int] = {}
"""type → how graphql-core reads and completes its values: by attribute, by key (a
mapping), or not as they are (callable, an exception, awaitable). The ``Mapping`` and
awaitable checks cost more than the reads they guard, and a type's answer is fixed."""


def _kind(value: Any) -> int:
    kind = type(value)
    found = _kinds.get(kind)
    if found is None:
        if callable(value) or isinstance(value, Exception) or isawaitable(value):
            found = _UNUSUAL
        else:
            found = _KEYS if isinstance(value, Mapping) else _ATTRIBUTES
        if kind is not GeneratorType:  # a generator may be awaitable or not, per value
            _kinds[kind] = found
    return found


def _read(plan: Plan, source: Any, kind: int) -> Any:
    """The field's value as its resolver gives it (``source`` of ``kind``)."""
    if plan.attr is None:
        assert plan.resolve is not None
        return plan.resolve(source, None)
    if kind == _KEYS:
        return source.get(plan.attr)
    return getattr(source, plan.attr, None)


def _scalar(leaf: GraphQLLeafType) -> Finish:
    """A non-null value coerced as graphql-core coerces it."""
    coerce = leaf.coerce_output_value

    def coerced(value: Any) -> Any:
        if _kind(value) == _UNUSUAL:
            return _SKIP
        result = coerce(value)
        return _SKIP if result is None or result is Undefined else result

    if leaf is GraphQLInt:

        def integer(value: Any) -> Any:
            if type(value) is int and _MIN_INT <= value <= _MAX_INT:
                return value  # what Int's coercion returns for it
            return coerced(value)

        return integer
    exact = _EXACT.get(leaf)
    if exact is None:
        return coerced

    def same(value: Any) -> Any:
        if type(value) is exact:
            return value
        return coerced(value)

    return same


def _object(fields: tuple[tuple[str, Plan], ...]) -> Finish:
    """A non-null value completed as the dict of its selected fields: for a value read by
    attribute, straight-line code made for this selection (:func:`_compiled`), else a
    loop over the fields."""

    def looped(source: Any) -> Any:
        kind = _kind(source)
        if kind == _UNUSUAL:
            return _SKIP
        completed: dict[str, Any] = {}
        for key, plan in fields:
            value = _read(plan, source, kind)
            if type(value) is plan.exact:
                completed[key] = value
                continue
            done = plan.finish(value)
            if done is _SKIP:
                return _SKIP
            completed[key] = done
        return completed

    return _compiled(fields, looped)


def _compiled(fields: tuple[tuple[str, Plan], ...], looped: Finish) -> Finish:
    """``looped``'s answer for a value read by attribute, as one function without the
    loop: a page completes its 60 objects with it, and the loop's reads, tests and
    unpacking were a third of the completion's time. Only the response keys and attribute
    names are written into the source, as ``repr`` literals; everything else is passed in."""
    names: dict[str, Any] = {"kinds": _kinds, "looped": looped, "SKIP": _SKIP}
    lines = [
        "def one(source):",
        "    if kinds.get(type(source)) != ATTRIBUTES:",
        "        return looped(source)",
    ]
    names["ATTRIBUTES"] = _ATTRIBUTES
    for index, (_, plan) in enumerate(fields):
        value, finish = f"v{index}", f"finish{index}"
        names[finish] = plan.finish
        if plan.attr is None:
            names[f"resolve{index}"] = plan.resolve
            lines.append(f"    {value} = resolve{index}(source, None)")
        else:
            lines.append(f"    {value} = getattr(source, {plan.attr!r}, None)")
        indent = "    "
        if plan.exact is not None:
            names[f"exact{index}"] = plan.exact
            lines.append(f"    if type({value}) is not exact{index}:")
            indent = "        "
        lines.append(f"{indent}{value} = {finish}({value})")
        lines.append(f"{indent}if {value} is SKIP:")
        lines.append(f"{indent}    return SKIP")
    answer = ", ".join(f"{key!r}: v{index}" for index, (key, _) in enumerate(fields))
    lines.append(f"    return {{{answer}}}")
    exec("\n".join(lines), names)  # noqa: S102 - the source holds literals only (see above)
    one: Finish = names["one"]
    return one


def _wrapped(
    one: Finish, *, required: bool, listed: bool, item_required: bool, exact: type | None
) -> Finish:
    """A value that may be null or a list, each item completed by ``one`` (an item of
    type ``exact`` is its own answer)."""
    if not listed:

        def single(value: Any) -> Any:
            if value is None or value is Undefined:  # graphql-core: both are null
                return _SKIP if required else None
            return one(value)

        return single

    def many(value: Any) -> Any:
        if value is None or value is Undefined:
            return _SKIP if required else None
        if type(value) is not list and type(value) is not tuple:
            return _SKIP
        if exact is not None:
            for item in value:
                if type(item) is not exact:
                    break
            else:  # a list of tags: each item its own answer
                return list(value)
        completed: list[Any] = []
        for item in value:
            if item is None or item is Undefined:
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


def _directive_free(
    selection_set: SelectionSetNode | None, fragments: Mapping[str, FragmentDefinitionNode]
) -> bool:
    """Whether no selection of this set (fragments included, sub-fields' sets not)
    carries a directive, so the variables cannot change what it selects."""
    if selection_set is None:
        return True
    for selection in selection_set.selections:
        if selection.directives:
            return False
        if isinstance(selection, InlineFragmentNode):
            if not _directive_free(selection.selection_set, fragments):
                return False
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if (
                fragment is None
                or fragment.directives
                or fragment.variable_definitions
                or not _directive_free(fragment.selection_set, fragments)
            ):
                return False
    return True


class PlainExecutor(Executor[Any]):
    """graphql-core's executor, with plain fields and plain subtrees answered without the
    per-field machinery (see the module docstring). ``plans``: the document's
    :data:`Plans`, shared by its executions (by default, this execution's own)."""

    def __init__(self, *args: Any, plans: Plans | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shared: Plans = {} if plans is None else plans
        self._local: dict[tuple[int, int], tuple[Any, Plan | None, bool]] = {}
        self._short = (
            self.middleware_manager is None and self.field_resolver is default_field_resolver
        )

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        if self._short:
            try:
                plan = self._plan(parent_type, field_details_list)[0]
                if plan is None:
                    completed = _SKIP
                else:
                    value = _read(plan, source, _kind(source))
                    completed = value if type(value) is plan.exact else plan.finish(value)
            except Exception:  # graphql-core reports it, located, below
                completed = _SKIP
            if completed is not _SKIP:
                return completed
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _plan(self, parent_type: GraphQLObjectType, details: Any) -> tuple[Plan | None, bool]:
        """The field's plan (``None`` when it is not plain) and whether it is the
        document's (no directive below it), made once per execution or document."""
        local_key = (id(parent_type), id(details))
        found = self._local.get(local_key)
        if found is not None:
            return found[1], found[2]
        shared_key = None
        if all(d.defer_usage is None and d.fragment_variable_values is None for d in details):
            shared_key = (id(parent_type), tuple(id(d.node) for d in details))
        if shared_key is not None and shared_key in self._shared:
            plan, static = self._shared[shared_key], True
        else:
            plan, static = self._make_plan(parent_type, details)
            static = static and shared_key is not None
            if static:
                assert shared_key is not None
                self._shared[shared_key] = plan
        # The list is kept with its plan, so that its id is not reused during execution.
        self._local[local_key] = (details, plan, static)
        return plan, static

    def _make_plan(self, parent_type: GraphQLObjectType, details: Any) -> tuple[Plan | None, bool]:
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            type_name = parent_type.name
            return Plan(None, lambda _s, _i: type_name, str, _scalar(GraphQLString)), True
        field = parent_type.fields.get(name)
        if field is None or field.args or node.arguments:
            return None, True
        if field.resolve is None:
            attr, resolve = name, None
        elif field.resolve in _PLAIN:
            attr, resolve = None, field.resolve
        else:
            return None, True
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
        static = True
        if is_leaf_type(kind):
            one = _scalar(kind)
        elif isinstance(kind, GraphQLObjectType) and kind.is_type_of is None:
            grouped, defer_usages, _ = self.collect_subfields(kind, details)
            if defer_usages:
                return None, False
            static = all(
                _directive_free(d.node.selection_set, self.fragment_definitions) for d in details
            )
            fields: list[tuple[str, Plan]] = []
            for response_name, sub_details in grouped.items():
                sub_plan, sub_static = self._plan(kind, sub_details)
                static = static and sub_static
                if sub_plan is None:
                    return None, static
                fields.append((response_name, sub_plan))
            one = _object(tuple(fields))
        else:
            return None, True
        exact = _EXACT.get(kind)
        finish = _wrapped(
            one, required=required, listed=listed, item_required=item_required, exact=exact
        )
        return Plan(attr, resolve, None if listed else exact, finish), static
