"""Which answers are the same for every anonymous client: the response cache's signal.

An article's facts, a profile and the tags read the same for everyone; ``viewer`` (the
signed-in user) and the ``favorited`` / ``following`` flags belong to whoever asks. An
operation that selects none of those, executed anonymously and without errors, is an
answer that may be shared across clients. The identity such an answer is stored under is
:func:`request_identity`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
    get_operation_ast,
)

VIEWER_FIELDS = frozenset({"viewer", "favorited", "following"})
"""Fields whose value depends on who asks (matched by field name, whatever the alias)."""


def selects_viewer_data(document: DocumentNode, operation_name: str | None) -> bool:
    """Whether the operation ``operation_name`` picks (as execution would) selects any of
    :data:`VIEWER_FIELDS`, at any depth, through fragment spreads and inline fragments.

    ``@skip``/``@include`` are not evaluated: a viewer field that may be skipped counts.
    ``False`` when no operation is picked (such a request is refused, never executed)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return False
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    expanded: set[str] = set()  # a fragment's answer does not change: look at each once

    def visit(selection_set: SelectionSetNode | None) -> bool:
        if selection_set is None:
            return False
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in VIEWER_FIELDS or visit(selection.selection_set):
                    return True
            elif isinstance(selection, InlineFragmentNode):
                if visit(selection.selection_set):
                    return True
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is None or name in expanded:
                    continue
                expanded.add(name)
                if visit(fragment.selection_set):
                    return True
        return False

    return visit(operation.selection_set)


class RequestIdentity(NamedTuple):
    """What makes two GraphQL requests the same request (for a shared answer's key)."""

    document_sha256: str
    operation_name: str | None
    variables_json: str
    """The variables as JSON with sorted keys and no spaces; ``{}`` for none."""


def request_identity(
    document_sha256: str, operation_name: str | None, variables: Mapping[str, Any] | None
) -> RequestIdentity:
    """The normalised identity of a request: the document's SHA-256 (the persisted-query
    id, so a hash-only request and its full form agree), the name of the operation it
    executes, and its variables in canonical JSON (no variables and ``{}`` agree)."""
    canonical = orjson.dumps(dict(variables or {}), option=orjson.OPT_SORT_KEYS).decode()
    return RequestIdentity(document_sha256, operation_name, canonical)
