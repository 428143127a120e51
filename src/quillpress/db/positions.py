"""WAL positions: how far the primary has committed, and where that fact is kept.

A PostgreSQL LSN (``16/B374D848``) is a 64-bit byte position in the write-ahead log;
positions are compared as integers. After each commit the writer publishes the primary's
position to a :class:`PositionStore` as a monotonic maximum; a read takes the store's
value at its start as the position a replica must have replayed to serve it."""

from __future__ import annotations

from typing import Protocol


class PositionsUnavailable(Exception):
    """The store cannot be asked now (Redis down or slow): reads go to the primary."""


def parse_lsn(text: str) -> int:
    """``"16/B374D848"`` → ``0x16B374D848`` (the high and low 32-bit halves, in hex)."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def format_lsn(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


class PositionStore(Protocol):
    shared: bool
    """Whether other processes publish to and read this store (Redis), or only this one."""

    async def required(self) -> int | None:
        """The newest committed position anyone published; ``None`` when the store knows
        none (never written, or lost its data): the caller must ask the primary.
        Raises :class:`PositionsUnavailable` when the store cannot answer."""
        ...

    async def advance(self, position: int) -> None:
        """Raise the stored maximum to ``position`` (never lower it)."""
        ...


class InProcessPositions:
    """The maximum kept in this process: enough for one instance without Redis, since
    every write that instance's readers can know of went through this process."""

    shared = False

    def __init__(self) -> None:
        self._value: int | None = None

    async def required(self) -> int | None:
        return self._value

    async def advance(self, position: int) -> None:
        if self._value is None or position > self._value:
            self._value = position
