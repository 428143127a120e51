"""The admin overview: totals and, for each UTC day of a recent window, sign-ups,
sign-ins, new articles, new comments and lockouts.

Admins only (``domain.auth.can_administer``, as every admin use case). Read-only, one
read connection and one statement, whatever the data: the figures come from
``daily_count``, which database triggers keep in the writes' own transactions (migration
0010), so neither the totals nor the series count a table. A day's figure is what exists
now of what was created that day: a deleted article leaves its day's count, as it leaves
the table.

"Active sessions" are the sessions not revoked: those the session check
(``repositories.sessions.live_role``) still accepts."""

from __future__ import annotations

from datetime import date, timedelta

from quillpress.db.database import opened
from quillpress.domain.auth import Principal, can_administer, ensure
from quillpress.domain.clock import utcnow
from quillpress.domain.errors import Invalid
from quillpress.domain.overview import DailySeries, Overview
from quillpress.infra.resources import Store
from quillpress.repositories import daily_counts
from quillpress.repositories.daily_counts import DayCount

MAX_DAYS = 366
"""The longest window asked for: a year of days (one chart bar each)."""

SERIES = (
    ("signups", "Sign-ups", daily_counts.USERS),
    ("sign_ins", "Sign-ins", daily_counts.SIGN_INS),
    ("articles", "New articles", daily_counts.ARTICLES),
    ("comments", "New comments", daily_counts.COMMENTS),
    ("lockouts", "Lockouts", daily_counts.LOCKOUTS),
)
"""(key, label, the ``daily_count`` kind) of each series, in the order pages show them."""

TOTALS = (
    daily_counts.USERS,
    daily_counts.ARTICLES,
    daily_counts.COMMENTS,
    daily_counts.LIVE_SESSIONS,
)


async def overview(db: Store, principal: Principal, *, days: int = 30) -> Overview:
    """The last ``days`` UTC days, today included, oldest first."""
    ensure(can_administer(principal), resource="admin")
    if not 1 <= days <= MAX_DAYS:
        raise Invalid({"days": [f"must be between 1 and {MAX_DAYS}"]})
    today = utcnow().date()
    window = [today - timedelta(days=back) for back in range(days - 1, -1, -1)]
    async with opened(db).read() as conn:
        figures = await daily_counts.read(
            conn, totals=TOTALS, daily=[kind for _, _, kind in SERIES], since=window[0]
        )
    return Overview(
        users=figures.totals[daily_counts.USERS],
        articles=figures.totals[daily_counts.ARTICLES],
        comments=figures.totals[daily_counts.COMMENTS],
        active_sessions=figures.totals[daily_counts.LIVE_SESSIONS],
        series=[
            DailySeries(key=key, label=label, points=_points(figures.days, kind, window))
            for key, label, kind in SERIES
        ],
    )


def _points(rows: list[DayCount], kind: str, window: list[date]) -> list[tuple[date, int]]:
    """Every day of the window, zeros for days without a row (a row of a day after today,
    from a clock ahead of this one, is outside the window and left out)."""
    counts = {row.day: row.figure for row in rows if row.kind == kind}
    return [(day, counts.get(day, 0)) for day in window]
