"""Use cases driven directly, without HTTP: the typed resources of a real database, and a
subscriber that records every event published after a commit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest

from quillpress.config import Settings
from quillpress.domain.events import Event
from quillpress.infra.resources import Resources, open_resources
from tests.conftest import truncate


class Published:
    """Every batch of events the bus delivered, in order."""

    def __init__(self) -> None:
        self.batches: list[list[Event]] = []

    async def __call__(self, events: Sequence[Event]) -> None:
        self.batches.append(list(events))

    @property
    def events(self) -> list[Event]:
        return [event for batch in self.batches for event in batch]

    def clear(self) -> None:
        self.batches.clear()


@pytest.fixture
def published() -> Published:
    return Published()


@pytest.fixture
async def resources(settings: Settings, published: Published) -> AsyncIterator[Resources]:
    async with open_resources(settings) as opened:
        opened.events.subscribe(published)
        try:
            yield opened
        finally:
            await truncate(opened.database.engine)
