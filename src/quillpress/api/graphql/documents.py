"""Query texts parsed and validated once: a client sends the same few documents again
and again, and parsing and validating cost more than a small query's execution."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate

from quillpress.api.graphql.errors import format_error


class Prepared:
    """A query text parsed and validated once: its document (``None`` when it does not
    parse) and its formatted errors."""

    __slots__ = ("document", "errors")

    def __init__(self, document: DocumentNode | None, errors: list[dict[str, Any]]) -> None:
        self.document = document
        self.errors = errors


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
