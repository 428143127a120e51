"""``api.console.charts.bar_chart``: well-formed SVG (parsed, not compared with a golden
file) with one bar per day scaled to the busiest, a text alternative naming the total and
the busiest day, every label escaped, nothing the CSP refuses, and the same bytes for the
same series."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

from quillpress.api.console.charts import bar_chart
from quillpress.domain.overview import DailySeries

SVG = "{http://www.w3.org/2000/svg}"
START = date(2026, 11, 6)


def make(counts: list[int], *, key: str = "signups", label: str = "Sign-ups") -> DailySeries:
    return DailySeries(
        key=key,
        label=label,
        points=[(START + timedelta(days=n), count) for n, count in enumerate(counts)],
    )


def parse(series: DailySeries) -> ET.Element:
    return ET.fromstring(bar_chart(series))  # noqa: S314 (our own output)


def bars(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{SVG}rect")


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.findall(f"{SVG}text")]


def test_one_bar_per_day_scaled_to_the_busiest_day() -> None:
    counts = [0, 3, 6, 0, 1] + [2] * 25
    root = parse(make(counts))
    found = bars(root)
    assert len(found) == 30
    heights = [float(bar.get("height", "nan")) for bar in found]
    tallest = max(heights)
    assert heights[2] == tallest
    assert heights[1] == tallest / 2
    assert heights[0] == heights[3] == 0
    xs = [float(bar.get("x", "nan")) for bar in found]
    assert xs == sorted(xs)  # oldest left
    assert [bar.findtext(f"{SVG}title") for bar in found[:3]] == [
        "2026-11-06: 0",
        "2026-11-07: 3",
        "2026-11-08: 6",
    ]
    assert {"6", "0", "6 Nov", "5 Dec"} <= set(texts(root))


def test_the_text_alternative_names_the_total_and_the_busiest_day() -> None:
    root = parse(make([1, 4, 2]))
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None
    assert desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "Sign-ups per day"
    assert desc.text == (
        "Sign-ups: 7 in 3 days, 2026-11-06 to 2026-11-08; the most on 2026-11-07 (4)."
    )


def test_a_series_of_zeros_draws_flat_bars_and_says_none() -> None:
    root = parse(make([0] * 30))
    assert len(bars(root)) == 30
    assert {bar.get("height") for bar in bars(root)} == {"0"}
    desc = root.findtext(f"{SVG}desc")
    assert desc == "Sign-ups: none in 30 days, 2026-11-06 to 2026-12-05."


def test_labels_are_escaped_and_ids_keep_only_safe_characters() -> None:
    hostile = make([1, 2], key='x" onload="alert(1)', label="<script>alert(1)</script> & co")
    markup = bar_chart(hostile)
    assert "<script" not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co per day" in markup
    root = ET.fromstring(markup)  # noqa: S314 (our own output)
    assert root.findtext(f"{SVG}title") == "<script>alert(1)</script> & co per day"
    ids = [element.get("id") for element in root.iter() if element.get("id")]
    assert ids == ["chart-xonloadalert1-title", "chart-xonloadalert1-desc"]
    assert all(not name.startswith("on") for element in root.iter() for name in element.attrib)


def test_nothing_the_csp_refuses_and_the_drawing_scales_to_its_container() -> None:
    root = parse(make([5, 0, 2]))
    for element in root.iter():
        assert element.tag != f"{SVG}script"
        assert element.tag != f"{SVG}style"
        assert "style" not in element.attrib
    assert root.get("width") == "100%"
    assert root.get("viewBox") == "0 0 360 180"


def test_the_same_series_gives_the_same_bytes() -> None:
    counts = [7, 1, 0, 12, 3]
    assert bar_chart(make(counts)) == bar_chart(make(list(counts)))
