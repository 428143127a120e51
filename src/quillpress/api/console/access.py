"""Who is asking: the ``qp_session`` cookie, through the one way in
(``services.authentication.authenticate``) on every request, so a ban, a revoked session
or a demotion applies from the next page; and admins only.

A form post's CSRF proof is its Origin and its hidden ``csrf_token`` field, handed to the
one way in as the proof REST reads from ``X-CSRF-Token`` (forms cannot send headers): the
same checks in the same order (origin, then token bound to the session), the same
refusal (``CsrfRejected``, a 403 page naming the reason). The token is the session's
(``infra.csrf``), valid for the session's life, never one-time.

The admin check is the domain's policy (``domain.auth.can_administer``), the one the
admin use cases apply: checked first here too, because some pages call a public use case
(the article list) that would not refuse a non-admin."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from quillpress.api.console.forms import Form, read_form
from quillpress.api.console.rendering import VISIT, SignInNeeded
from quillpress.api.credentials import client_of, origin_of, session_cookie_name
from quillpress.api.resources import resources
from quillpress.domain.auth import Principal, can_administer, ensure
from quillpress.domain.clients import ClientInfo
from quillpress.domain.errors import Unauthenticated
from quillpress.infra.resources import Resources, Store
from quillpress.services.authentication import Credentials, CsrfProof, authenticate

CSRF_FIELD = "csrf_token"


@dataclass(frozen=True, slots=True)
class Visit:
    """A signed-in admin's request: what a page needs to call a use case and to draw its
    forms (``csrf_token`` goes into each one's hidden field)."""

    principal: Principal
    csrf_token: str
    found: Resources
    client: ClientInfo

    @property
    def db(self) -> Store:
        return self.found.database


def _wanted(request: Request) -> str | None:
    """Where a GET was going, to come back to after signing in."""
    if request.method != "GET":
        return None
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def _visit(request: Request, proof: CsrfProof | None, *, admins_only: bool = True) -> Visit:
    found = resources(request)
    cookie = request.cookies.get(session_cookie_name(found.settings))
    if not cookie:
        raise SignInNeeded(_wanted(request))
    credentials = Credentials(session_cookie=cookie, csrf=proof, method=request.method)
    try:
        auth = await authenticate(
            found.database,
            found.security,
            credentials,
            activity=found.activity,
            limiter=found.limiter,
        )
    except Unauthenticated:  # expired, revoked, banned, deleted: sign in again
        raise SignInNeeded(_wanted(request), clear=True) from None
    assert auth is not None  # a cookie was presented
    principal = auth.principal
    assert principal.session_id is not None  # a cookie session names its session
    visit = Visit(
        principal=principal,
        csrf_token=found.security.csrf.token(principal.session_id),
        found=found,
        client=client_of(request),
    )
    request.scope[VISIT] = visit  # a refused non-admin still gets a sign-out button
    if admins_only:
        ensure(can_administer(principal), resource="admin")
    return visit


async def admin_page(request: Request) -> Visit:
    """A page's visit (GET): a live admin session, or the sign-in page / a 403 page."""
    return await _visit(request, None)


async def _posted(request: Request) -> tuple[Form, CsrfProof]:
    form = await read_form(request)
    settings = resources(request).settings
    return form, CsrfProof(origin=origin_of(request, settings), token=form.text(CSRF_FIELD))


async def admin_post(request: Request) -> tuple[Visit, Form]:
    """A form post's visit and form: a live admin session and the CSRF proof."""
    form, proof = await _posted(request)
    return await _visit(request, proof), form


async def signed_in_post(request: Request) -> Visit:
    """A form post of any signed-in user, CSRF-checked alike: signing out, which a
    refused non-admin must be able to do too."""
    _, proof = await _posted(request)
    return await _visit(request, proof, admins_only=False)
