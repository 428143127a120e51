"""Limits that keep one request from costing the server more than it should: query depth,
aliases (both validation rules, so the verdict is cached with the document) and a cost
estimate in which list fields multiply their selection by their page size."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
    is_object_type,
)

LIST_ESTIMATE = 10  # assumed length of a list field without a page size (e.g. comments)
SEARCH_COST = 1_000
"""What a full-text search adds to its selection's cost (a field's ``extensions["cost"]``):
ranking and highlighting cost the database far more than a list. With the defaults a query
holds at most ten searches (``QUILLPRESS_GRAPHQL_MAX_COST``) and a client runs about 200 a
minute (``QUILLPRESS_RATE_LIMIT_GRAPHQL_COST``)."""


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: frozenset[str],
) -> int:
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue  # introspection has its own switch
            depth = 1 + _depth(selection.selection_set, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            depth = _depth(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if name in seen or fragment is None:
                continue
            depth = _depth(fragment.selection_set, fragments, seen | {name})
        else:  # pragma: no cover - no other selection kinds exist
            continue
        deepest = max(deepest, depth)
    return deepest


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def depth_limit(maximum: int) -> type[ASTValidationRule]:
    class DepthLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            depth = _depth(node.selection_set, _fragments(self.context.document), frozenset())
            if depth > maximum:
                message = f"Query is nested too deeply: depth {depth}, maximum {maximum}."
                self.report_error(GraphQLError(message, node))

    return DepthLimit


def alias_limit(maximum: int) -> type[ASTValidationRule]:
    class AliasLimit(ValidationRule):
        def __init__(self, context: Any) -> None:
            super().__init__(context)
            self.aliases = 0

        def enter_field(self, node: FieldNode, *_args: Any) -> None:
            if node.alias is not None:
                self.aliases += 1

        def leave_document(self, node: DocumentNode, *_args: Any) -> None:
            if self.aliases > maximum:
                self.report_error(
                    GraphQLError(
                        f"Query uses {self.aliases} aliases; the maximum is {maximum}.", node
                    )
                )

    return AliasLimit


def _first(node: FieldNode, variables: Mapping[str, Any], default: int) -> int:
    for argument in node.arguments or ():
        if argument.name.value != "first":
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return max(int(value.value), 1)
        if isinstance(value, VariableNode) and isinstance(variables.get(value.name.value), int):
            return max(int(variables[value.name.value]), 1)
    return default


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any],
    *,
    default_page: int,
) -> int:
    """Each field costs 1; a field with a page size multiplies its selection by it, and any
    other list of objects by ``LIST_ESTIMATE``. Lists inside a connection (``edges``,
    ``nodes``) are already counted by the connection's page size. A field may declare an
    extra cost of its own (``extensions={"cost": n}``: a search)."""
    fragments = _fragments(document)
    root = (
        schema.mutation_type if operation.operation is OperationType.MUTATION else schema.query_type
    )

    def cost(selection_set: SelectionSetNode | None, parent: Any, seen: frozenset[str]) -> int:
        if selection_set is None or not isinstance(parent, GraphQLObjectType):
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = schema.get_type(condition.name.value) if condition else parent
                total += cost(selection.selection_set, target, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in seen:
                    target = schema.get_type(fragment.type_condition.name.value)
                    total += cost(fragment.selection_set, target, seen | {name})
            elif isinstance(selection, FieldNode):
                field = parent.fields.get(selection.name.value)
                if field is None:  # __typename, introspection
                    total += 1
                    continue
                named = get_named_type(field.type)
                inner = cost(selection.selection_set, named, seen) if is_object_type(named) else 0
                if "first" in field.args:
                    multiplier = _first(selection, variables, default_page)
                elif is_list_type(get_nullable_type(field.type)) and is_object_type(named):
                    multiplier = 1 if parent.name.endswith("Connection") else LIST_ESTIMATE
                else:
                    multiplier = 1
                total += 1 + multiplier * inner + int((field.extensions or {}).get("cost", 0))
        return total

    return cost(operation.selection_set, root, frozenset())


def mutation_fields(document: DocumentNode, operation: OperationDefinitionNode) -> int:
    """How many root mutation fields ``operation`` selects (each alias counts, fragments
    on the root included): the writes the request carries, counted against the
    writes-per-user rule. 0 for a query or subscription."""
    if operation.operation is not OperationType.MUTATION:
        return 0
    fragments = _fragments(document)

    def count(selection_set: SelectionSetNode, seen: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += 0 if selection.name.value.startswith("__") else 1
            elif isinstance(selection, InlineFragmentNode):
                total += count(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in seen:
                    total += count(fragment.selection_set, seen | {name})
        return total

    return count(operation.selection_set, frozenset())
