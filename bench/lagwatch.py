"""Quillpress with instruments for the tail-latency investigation (``bench/tail.py``).

    uvicorn --factory bench.lagwatch:create …     (settings from QUILLPRESS_* as usual)

Wraps the real app (``quillpress.app.create_app``) in a plain ASGI layer that records,
in the server process itself:

- **event-loop stalls**: a task sleeps ``TICK`` seconds in a loop and measures how much
  longer it actually slept; an oversleep is time the loop spent running something else
  without yielding (CPU work, a blocking call, a garbage collection);
- **garbage collections**: ``gc.callbacks`` time every collection, by generation;
- **requests**: start and duration of each HTTP request, so a slow request can be matched
  to the stall or collection it waited behind.

On shutdown it writes everything as JSON to ``BENCH_WATCH_FILE``. Options for the
experiments, by environment: ``BENCH_GC_FREEZE=1`` calls ``gc.freeze()`` once startup is
complete; ``BENCH_GC_THRESHOLD=a,b,c`` sets ``gc.set_threshold``. A diagnostic, not part
of the product."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from quillpress.app import create_app

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

TICK = 0.002
STALL = 0.010  # an oversleep above this is recorded as a stall
LIMIT = 200_000  # bound every record list


class Watch:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.stalls: list[tuple[float, float]] = []  # (at, ms)
        self.collections: list[tuple[float, int, float, int]] = []  # (at, gen, ms, collected)
        self.requests: list[tuple[float, float]] = []  # (start, ms)
        self.cpu: list[tuple[float, float]] = []  # (at, process CPU seconds so far)
        self._gc_started = 0.0
        self._monitor: asyncio.Task[None] | None = None
        self.started = time.perf_counter()

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif len(self.collections) < LIMIT:
            now = time.perf_counter()
            pause = (now - self._gc_started) * 1000
            self.collections.append(
                (now - self.started, info["generation"], pause, info["collected"])
            )

    async def _watch_loop(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            late = time.perf_counter() - before - TICK
            if len(self.cpu) < LIMIT:
                self.cpu.append((before - self.started, time.process_time()))
            if late > STALL and len(self.stalls) < LIMIT:
                self.stalls.append((before - self.started, late * 1000))

    def _started(self) -> None:
        threshold = os.environ.get("BENCH_GC_THRESHOLD")
        if threshold:
            gc.set_threshold(*(int(part) for part in threshold.split(",")))
        if os.environ.get("BENCH_GC_FREEZE") == "1":
            gc.collect()
            gc.freeze()
        gc.callbacks.append(self._on_gc)
        self._monitor = asyncio.get_running_loop().create_task(self._watch_loop())

    def _report(self) -> None:
        path = os.environ.get("BENCH_WATCH_FILE")
        if not path:
            return
        report = {
            "stalls": self.stalls,
            "collections": self.collections,
            "requests": self.requests,
            "cpu": self.cpu,
            "frozen": gc.get_freeze_count(),
            "threshold": gc.get_threshold(),
        }
        with open(path, "w") as file:
            json.dump(report, file)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":

            async def lifespan_send(message: Message) -> None:
                if message["type"] == "lifespan.startup.complete":
                    self._started()
                elif message["type"] == "lifespan.shutdown.complete":
                    if self._monitor is not None:
                        self._monitor.cancel()
                    self._report()
                await send(message)

            await self.app(scope, receive, lifespan_send)
            return
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http" and len(self.requests) < LIMIT:
                now = time.perf_counter()
                self.requests.append((start - self.started, (now - start) * 1000))


def create() -> Watch:
    return Watch(create_app())
