"""Throttled background work: "last seen" is written at most once per interval per
session, on a task of its own, never inside the request that triggered it.

The task runs in an empty ``contextvars.Context``, so its statements are not counted in
the request's ``Server-Timing`` (they are not the request's: the response never waits
for them). The database write itself is conditional too, so two instances that both
think a session is due write it once. Pending tasks are awaited on shutdown."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import OrderedDict
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("quillpress.sessions")

LAST_SEEN_INTERVAL_SECONDS = 300


class ActivityThrottle:
    def __init__(
        self, *, interval_seconds: float = LAST_SEEN_INTERVAL_SECONDS, max_entries: int = 100_000
    ) -> None:
        self.interval_seconds = interval_seconds
        self._last: OrderedDict[str, float] = OrderedDict()
        self._max = max_entries
        self._tasks: set[asyncio.Task[None]] = set()

    def due(self, key: str) -> bool:
        """Whether ``key`` was not marked within the interval; marks it if so."""
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.interval_seconds:
            return False
        self._last[key] = now
        self._last.move_to_end(key)
        while len(self._last) > self._max:
            self._last.popitem(last=False)
        return True

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(
            self._guarded(work), context=contextvars.Context()
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception as error:  # best effort: "last seen" never fails anything
            log.warning("could not record session activity: %s: %s", type(error).__name__, error)

    async def drain(self) -> None:
        """Wait for the pending writes (shutdown; tests that read ``lastSeenAt``)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
