"""Daily series as inline SVG bar charts, drawn on the server: the console ships no chart
library, and a page with JavaScript off shows the same figures.

The markup obeys the app's CSP (no ``style`` attribute, no script: colours and sizes are
presentation attributes) and is safe to mark safe in a template: every text it contains
(the label, the dates, the numbers) goes through ``html.escape``, and element ids are
made of the series key's letters only. It is deterministic (same series, same bytes), so
a response's ETag stays stable.

Accessible: ``role="img"`` named and described by the chart's ``<title>`` and ``<desc>``
(what a screen reader announces: the total and the busiest day), and each bar has its own
``<title>`` (the day and its figure, a pointer's tooltip). The page's table view carries
every figure as text too. Readable at 360 px: the drawing scales to its container's width
(``viewBox`` with ``width="100%"``) and is designed at about that width, so its labels
keep a readable size on a phone."""

from __future__ import annotations

import re
from datetime import date
from html import escape

from quillpress.domain.overview import DailySeries

WIDTH = 360
HEIGHT = 180
LEFT = 36  # room for the y-axis labels
RIGHT = 8
TOP = 12
BOTTOM = 28  # room for the first and last day labels
FONT_SIZE = 12
BAR_FILL = "#1f5fa8"  # 6.6:1 on white
INK = "#1a1a1a"
AXIS = "#595959"  # 7:1 on white
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(day: date) -> str:
    """``5 Dec``: short, and the same in every locale (``strftime("%b")`` is not)."""
    return f"{day.day} {MONTHS[day.month - 1]}"


def _num(value: float) -> str:
    """Coordinates with two decimals at most, so the bytes do not depend on float noise."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _describe(series: DailySeries) -> str:
    points = series.points
    if not points:
        return f"{series.label}: no days."
    span = f"{len(points)} days, {points[0][0].isoformat()} to {points[-1][0].isoformat()}"
    if series.total == 0:
        return f"{series.label}: none in {span}."
    busiest_day, busiest = max(points, key=lambda point: (point[1], point[0]))
    return (
        f"{series.label}: {series.total} in {span}; "
        f"the most on {busiest_day.isoformat()} ({busiest})."
    )


def bar_chart(series: DailySeries) -> str:
    """One bar per day of ``series.points`` (oldest left), the y axis from 0 to the
    largest day (labelled), the first and last days labelled under the axis."""
    ident = "chart-" + (re.sub(r"[^A-Za-z0-9_-]", "", series.key) or "series")
    title, desc = f"{ident}-title", f"{ident}-desc"
    points = series.points
    peak = max((count for _, count in points), default=0)
    scale = max(peak, 1)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    slot = plot_width / max(len(points), 1)
    gap = min(2.0, slot / 4)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-labelledby="{title} {desc}" '
        f'font-family="sans-serif" font-size="{FONT_SIZE}" fill="{INK}">',
        f'<title id="{title}">{escape(series.label)} per day</title>',
        f'<desc id="{desc}">{escape(_describe(series))}</desc>',
        f'<line x1="{LEFT}" y1="{baseline}" x2="{WIDTH - RIGHT}" y2="{baseline}" '
        f'stroke="{AXIS}" stroke-width="1"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{baseline}" '
        f'stroke="{AXIS}" stroke-width="1"/>',
        f'<text x="{LEFT - 4}" y="{baseline}" text-anchor="end">0</text>',
    ]
    if peak:  # the top of the y axis: the busiest day's figure
        parts.append(
            f'<text x="{LEFT - 4}" y="{TOP + FONT_SIZE - 2}" text-anchor="end">{peak}</text>'
        )
    for index, (day, count) in enumerate(points):
        bar_height = plot_height * count / scale
        parts.append(
            f'<rect x="{_num(LEFT + index * slot + gap / 2)}" '
            f'y="{_num(baseline - bar_height)}" width="{_num(slot - gap)}" '
            f'height="{_num(bar_height)}" fill="{BAR_FILL}">'
            f"<title>{escape(day.isoformat())}: {count}</title></rect>"
        )
    if points:
        label_y = baseline + FONT_SIZE + 4
        parts.append(
            f'<text x="{LEFT}" y="{label_y}" text-anchor="start">'
            f"{escape(_day(points[0][0]))}</text>"
        )
        parts.append(
            f'<text x="{WIDTH - RIGHT}" y="{label_y}" text-anchor="end">'
            f"{escape(_day(points[-1][0]))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
