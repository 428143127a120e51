"""Query texts parsed and validated once: a client sends the same few documents again
and again, and parsing and validating cost more than a small query's execution. What is
derived from a document alone (an operation's cost without variables, the executor's
field plans) is kept with it, and goes when it goes."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    validate,
)

from quillpress.api.graphql.errors import format_error
from quillpress.api.graphql.execution import Plans


class Prepared:
    """A query text parsed and validated once: its document (``None`` when it does not
    parse) and its formatted errors."""

    __slots__ = ("_costs", "document", "errors", "plans")

    def __init__(self, document: DocumentNode | None, errors: list[dict[str, Any]]) -> None:
        self.document = document
        self.errors = errors
        self.plans: Plans = {}
        """The executions' field plans (``api.graphql.execution``), shared."""
        self._costs: dict[int, int] = {}
        """id(operation) → its cost, for operations without variables (a variable may
        be a page size); the document holds its operations, so their ids stay theirs."""

    def cost(
        self, operation: OperationDefinitionNode, estimate: Callable[[DocumentNode], int]
    ) -> int:
        """The operation's cost by ``estimate``, once per document when it has no
        variables (the estimate is then the same for every request)."""
        assert self.document is not None
        if operation.variable_definitions:
            return estimate(self.document)
        cost = self._costs.get(id(operation))
        if cost is None:
            cost = self._costs[id(operation)] = estimate(self.document)
        return cost


class DocumentCache:
    """query text → :class:`Prepared`; least recently used entries go first."""

    def __init__(self, schema: GraphQLSchema, rules: list[Any], size: int) -> None:
        self._schema = schema
        self._rules = rules
        self._size = size
        self._entries: OrderedDict[str, Prepared] = OrderedDict()

    def get(self, query: str) -> Prepared:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
            return entry
        entry = self._prepare(query)
        if self._size:
            self._entries[query] = entry
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return entry

    def _prepare(self, query: str) -> Prepared:
        try:
            document = parse(query)
        except GraphQLError as error:
            return Prepared(None, [format_error(error, default_code="GRAPHQL_PARSE_FAILED")])
        errors = validate(self._schema, document, self._rules)
        return Prepared(document, [format_error(error) for error in errors])
