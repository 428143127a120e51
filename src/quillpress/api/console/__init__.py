"""The moderation console: server-rendered HTML at ``/admin``, a third adapter over the
same use cases as REST and GraphQL.

Like the other two it holds no business rule: each handler parses a query string or a
form, calls one use case, and renders a Jinja2 template (autoescaped everywhere, so
nothing a client stored is ever read as HTML). The templates and the stylesheet ship as
package data under ``templates/`` and ``static/``.

No htmx, or any script at all: every action is a plain form post answered by a 303 to a
page that shows the result, so the console works with JavaScript off, and the page's
Content-Security-Policy (``security_headers.page_policy``) needs no exception. A library
would save a page load per action and cost a vendored, pinned bundle and its CSP review;
that trade can be made later, on top of the same forms.

- :mod:`.access`: who is asking (the session cookie, through the one way in), admins only;
- :mod:`.forms`: the form bodies, the CSRF field, ``next``;
- :mod:`.rendering`: the templates, the page headers, the error pages;
- :mod:`.flash`: the notice an action leaves; :mod:`.listing`: paging;
- :mod:`.charts`: the overview's SVG bar charts;
- :mod:`.sign_in`, :mod:`.users`, :mod:`.content`, :mod:`.audit`, :mod:`.overview`: the
  pages."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from quillpress.api.console import audit, content, overview, sign_in, users
from quillpress.api.console.rendering import not_found_router

PREFIX = "/admin"
STATIC = f"{PREFIX}/static"


def install(app: FastAPI) -> None:
    """Mount the stylesheet and the pages; the catch-all 404 page last."""
    app.mount(STATIC, StaticFiles(packages=[("quillpress.api.console", "static")]), name="console")
    for module in (sign_in, overview, users, content, audit):
        app.include_router(module.router, prefix=PREFIX)
    app.include_router(not_found_router, prefix=PREFIX)
