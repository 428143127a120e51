"""The current request's SQL statement counter, as the edge and the adapters see it.

The database layer does the counting (``db.stats``: an engine hook adds every statement
to the counter current in the context, the router notes where each read went). The edge
opens one counter per request and reads it back for ``Server-Timing``, the metrics and
the log line; GraphQL's debug extension reads it too. This module is the one door between
the two, so nothing under ``quillpress.api`` imports the database layer (the import
contracts in ``pyproject.toml`` hold it)."""

from __future__ import annotations

from contextvars import Token
from typing import Protocol

from quillpress.db.stats import StatementStats, current_stats


class StatementCount(Protocol):
    """What a request's statements added up to so far (read-only)."""

    @property
    def count(self) -> int: ...

    @property
    def seconds(self) -> float: ...

    @property
    def milliseconds(self) -> float: ...

    @property
    def route(self) -> str | None:
        """``"replica"``, ``"primary"``, ``"mixed"``, or ``None`` without replicas."""
        ...


def begin_statement_count() -> tuple[StatementCount, Token[StatementStats | None]]:
    """Start counting this request's statements; hand the token to
    :func:`end_statement_count` when the request is done."""
    stats = StatementStats()
    return stats, current_stats.set(stats)


def end_statement_count(token: Token[StatementStats | None]) -> None:
    current_stats.reset(token)


def statement_stats() -> StatementCount | None:
    """The current request's statement counter (``None`` outside a request)."""
    return current_stats.get()
