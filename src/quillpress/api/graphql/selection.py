"""Look-ahead into the selection set, so a root resolver can prefetch exactly what the
query reads (bodies, totals) in one go and leaf fields stay synchronous."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLResolveInfo,
    InlineFragmentNode,
    SelectionNode,
)


def _fields(
    info: GraphQLResolveInfo[Any], selections: Iterable[SelectionNode]
) -> Iterable[FieldNode]:
    for selection in selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(info, selection.selection_set.selections)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = info.fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(info, fragment.selection_set.selections)


def selects(info: GraphQLResolveInfo[Any], *path: str) -> bool:
    """Whether the current field's selection reaches ``path`` (e.g. ``"edges", "node", "body"``)."""
    nodes: list[FieldNode] = list(info.field_nodes)
    for name in path:
        nodes = [
            child
            for node in nodes
            if node.selection_set is not None
            for child in _fields(info, node.selection_set.selections)
            if child.name.value == name
        ]
        if not nodes:
            return False
    return True
