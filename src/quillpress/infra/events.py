"""The after-commit event bus: subscribers registered at startup, run after each commit.

Modelled on Django's ``transaction.on_commit``: the database handle calls
:meth:`EventBus.publish` only once a write committed, never after a rollback. Each
subscriber is awaited (so the write's response reflects its effect, e.g. a cache purge)
under a timeout; one that fails or hangs is logged and does not turn a committed write
into an error, nor stop the subscribers after it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from quillpress.domain.events import Event

log = logging.getLogger("quillpress.events")

Subscriber = Callable[[Sequence[Event]], Awaitable[None]]

DEFAULT_TIMEOUT_SECONDS = 2.0


class EventBus:
    def __init__(self, *, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self._subscribers: list[Subscriber] = []
        self._timeout = timeout_seconds

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    async def publish(self, events: Sequence[Event]) -> None:
        for subscriber in self._subscribers:
            name = getattr(subscriber, "__qualname__", repr(subscriber))
            try:
                async with asyncio.timeout(self._timeout):
                    await subscriber(events)
            except Exception:
                log.exception(
                    "after-commit subscriber failed; the write stays committed",
                    extra={"subscriber": name, "events": [type(e).__name__ for e in events]},
                )


async def log_changes(events: Sequence[Event]) -> None:
    """A subscriber that writes one DEBUG line per committed change (the change log)."""
    if log.isEnabledFor(logging.DEBUG):
        for event in events:
            log.debug("committed", extra={"event": type(event).__name__, "change": repr(event)})
