"""Per-request SQL statement counting: an engine hook writes into a mutable
:class:`StatementStats` that the request's middleware put in a context variable.

Context variables follow asyncio tasks and SQLAlchemy's greenlets, so every statement a
request causes, in any of its concurrent resolvers, lands in that request's counter."""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(slots=True)
class StatementStats:
    count: int = 0
    seconds: float = 0.0
    statements: list[str] | None = field(default=None)  # filled only when asked to record
    # Reads routed to a replica or to the primary (counted only when replicas are set).
    replica_reads: int = 0
    primary_reads: int = 0
    # Set when a unit of work found the database unable to serve: the request's later
    # units are refused at once instead of each waiting out the deadline again.
    database_unavailable: bool = False

    @property
    def route(self) -> str | None:
        """``"replica"``, ``"primary"``, ``"mixed"``, or ``None`` when nothing was routed."""
        if self.replica_reads and self.primary_reads:
            return "mixed"
        if self.replica_reads:
            return "replica"
        return "primary" if self.primary_reads else None

    @property
    def milliseconds(self) -> float:
        return self.seconds * 1000.0


current_stats: ContextVar[StatementStats | None] = ContextVar("quillpress_sql_stats", default=None)


def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    if current_stats.get() is not None:
        conn.info.setdefault("quillpress_started", []).append(time.perf_counter())


def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    stats = current_stats.get()
    if stats is None:
        return
    started = conn.info.get("quillpress_started")
    if started:
        stats.seconds += time.perf_counter() - started.pop()
    stats.count += 1
    if stats.statements is not None:
        stats.statements.append(statement)


def instrument(engine: AsyncEngine) -> None:
    event.listen(engine.sync_engine, "before_cursor_execute", _before)
    event.listen(engine.sync_engine, "after_cursor_execute", _after)
