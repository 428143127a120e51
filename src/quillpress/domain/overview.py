"""The admin overview as every adapter shows it: totals and a few daily series.

Plain frozen values, so the console's templates and charts (and any later API twin)
shape the same figures and cannot compute their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class DailySeries:
    """One figure per UTC day of the window, oldest first, every day present (a day
    with nothing is a zero, not a gap: a chart and a table line up day by day)."""

    key: str  # signups, sign_ins, articles, comments, lockouts
    label: str  # what a person reads: "Sign-ups"
    points: list[tuple[date, int]]

    @property
    def total(self) -> int:
        return sum(count for _, count in self.points)


@dataclass(frozen=True, slots=True)
class Overview:
    users: int
    articles: int
    comments: int
    active_sessions: int  # not revoked: the sessions a request can still use
    series: list[DailySeries]
