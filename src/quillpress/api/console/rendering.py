"""The console's templates and responses: every page, redirect and error page of
``/admin`` goes out through here with the same headers.

- ``Referrer-Policy: same-origin`` (the edge's global ``no-referrer`` would make a browser
  send ``Origin: null`` on the console's own form posts, which the Origin check refuses);
- the strict page policy (``security_headers.page_policy``): the pages have no script and
  no inline style, and the charts are SVG drawn with presentation attributes;
- ``Cache-Control: no-store``: personal data, and a page that carries a CSRF token.

Errors become pages here too (:class:`ConsoleRoute`): a domain error's status is the one
REST and GraphQL give it (``api.statuses``), its page says what went wrong in words."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from starlette.responses import HTMLResponse, RedirectResponse, Response

from quillpress.api.console.flash import notice_of
from quillpress.api.resources import resources
from quillpress.api.security_headers import page_policy
from quillpress.api.session_cookies import clear_session_cookies
from quillpress.api.statuses import retry_headers, status_for
from quillpress.domain.errors import (
    CsrfRejected,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unavailable,
)
from quillpress.domain.views import isoformat

HEADERS = {
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Content-Security-Policy": page_policy(),
}

VISIT = "quillpress.console.visit"
"""Where ``access`` keeps the request's visit in the scope once the session is known: an
error page then still offers the sign-out form (a refused non-admin can switch account)."""

templates = Environment(
    loader=PackageLoader("quillpress.api.console", "templates"),
    autoescape=True,  # every template, whatever its name: nothing stored is read as HTML
    undefined=StrictUndefined,  # a misspelt variable fails the test, never renders blank
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(moment: datetime | None) -> Markup:
    """A moment as people read it (``2026-12-05 13:27:13``, UTC as every page says), in
    a ``<time>`` element whose ``datetime`` keeps it whole."""
    if moment is None:
        return Markup("")
    whole = isoformat(moment)
    return Markup('<time datetime="{}">{}</time>').format(whole, whole[:19].replace("T", " "))


templates.filters["when"] = _when


def render(
    template: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    html = templates.get_template(template).render(context)
    return HTMLResponse(html, status_code, {**HEADERS, **(headers or {})})


def show(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A console page: ``context`` and what every page's frame reads (the visit, for the
    navigation and the sign-out form's token; the flash notice; the current path)."""
    frame = {
        "visit": request.scope.get(VISIT),
        "notice": notice_of(request),
        "here": request.url.path,
    }
    return render(template, {**frame, **context}, status_code=status_code, headers=headers)


def redirect(location: str) -> RedirectResponse:
    """303: the browser follows a form post with a GET, so a reload never posts again."""
    return RedirectResponse(location, status_code=303, headers=HEADERS)


class SignInNeeded(Exception):
    """No live session (none presented, expired, revoked, banned): to the sign-in page,
    back to ``next`` afterwards; a dead cookie is cleared on the way."""

    def __init__(self, next_path: str | None, *, clear: bool = False) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.clear = clear


def _sign_in_page(request: Request, needed: SignInNeeded) -> Response:
    query = f"?{urlencode({'next': needed.next_path})}" if needed.next_path else ""
    response = redirect(f"/admin/sign-in{query}")
    if needed.clear:
        clear_session_cookies(response, resources(request).settings)
    return response


def _explain(error: DomainError) -> tuple[str, str]:
    """A refusal's heading and sentence, in words (the field messages follow them)."""
    if isinstance(error, CsrfRejected):
        return "Forbidden", f"The form was refused: {error.reason}. Reload the page and retry."
    if isinstance(error, Forbidden):
        return "Forbidden", "This console is for administrators only."
    if isinstance(error, NotFound):
        return "Not found", "Nothing here by that name: it may have been deleted."
    if isinstance(error, Invalid):
        return "Invalid input", "Some of what was sent cannot be used:"
    if isinstance(error, RateLimited):
        return "Too many requests", "Too many attempts: wait a moment and retry."
    if isinstance(error, Unavailable):
        return "Unavailable", "The database cannot answer right now: retry in a moment."
    return "Refused", "The request was refused:"


def error_page(request: Request, error: DomainError) -> Response:
    status = status_for(type(error)) or 500
    if status in {401, 403}:
        resources(request).metrics.auth_failure(error)
    if isinstance(error, RateLimited):
        resources(request).metrics.rate_limited(error.rule)
    heading, sentence = _explain(error)
    problems = (
        []
        if isinstance(error, Forbidden)
        else [f"{key}: {message}" for key, messages in error.fields.items() for message in messages]
    )
    context = {"heading": heading, "sentence": sentence, "problems": problems}
    return show(request, "error.html", context, status_code=status, headers=retry_headers(error))


Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


class ConsoleRoute(APIRoute):
    """A console route: a domain error becomes its error page, a missing session the
    sign-in page (never the JSON body the API answers with)."""

    def get_route_handler(self) -> Endpoint:
        handler = super().get_route_handler()

        async def answered(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInNeeded as needed:
                return _sign_in_page(request, needed)
            except DomainError as error:
                return error_page(request, error)

        return answered


not_found_router = APIRouter(route_class=ConsoleRoute)


@not_found_router.api_route("/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
async def not_found(rest: str) -> Response:
    """Any other ``/admin`` path: the console's own 404 page rather than the API's JSON
    (``/admin/`` is the overview, as people type it)."""
    if not rest:
        return redirect("/admin")
    raise NotFound("page")
