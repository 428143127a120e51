"""``/admin``: the overview. Counts (users, articles, comments, live sessions) and, for
the last 30 days, one server-drawn SVG bar chart per daily series (``charts``), each
followed by a table of the same figures: the text alternative a chart's ``<desc>``
summarises, and what a reader without the stylesheet or the image reads."""

from __future__ import annotations

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from quillpress.api.console.access import admin_page
from quillpress.api.console.charts import bar_chart
from quillpress.api.console.rendering import ConsoleRoute, show
from quillpress.services import overview as overview_service

router = APIRouter(route_class=ConsoleRoute)


@router.get("", include_in_schema=False)
async def overview(request: Request) -> Response:
    visit = await admin_page(request)
    figures = await overview_service.overview(visit.db, visit.principal)
    charts = [
        # bar_chart escapes every text it draws (its contract): safe to mark so here.
        (series, Markup(bar_chart(series)))  # noqa: S704
        for series in figures.series
    ]
    return show(request, "overview.html", {"overview": figures, "charts": charts})
