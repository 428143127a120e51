"""The wire format of every timestamp: ``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC, whatever zone the
driver handed the value back in (asyncpg: ``timezone.utc``; SQLite: naive UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from quillpress.domain.views import isoformat

MOMENT = datetime(2026, 1, 2, 3, 4, 5, 678901)


@pytest.mark.parametrize(
    "value",
    [
        MOMENT,  # naive: UTC by construction
        MOMENT.replace(tzinfo=UTC),  # asyncpg's own zone object
        MOMENT.replace(tzinfo=timezone(timedelta(0))),  # another UTC object
        (MOMENT + timedelta(hours=2)).replace(tzinfo=timezone(timedelta(hours=2))),
        (MOMENT - timedelta(hours=5, minutes=30)).replace(
            tzinfo=timezone(-timedelta(hours=5, minutes=30))
        ),
    ],
    ids=["naive", "utc", "zero-offset", "plus-two", "minus-five-thirty"],
)
def test_every_zone_formats_as_the_same_utc_milliseconds(value: datetime) -> None:
    assert isoformat(value) == "2026-01-02T03:04:05.678Z"


def test_a_whole_second_keeps_its_milliseconds() -> None:
    assert isoformat(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00.000Z"
