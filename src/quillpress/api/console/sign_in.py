"""``/admin/sign-in`` and ``/admin/sign-out``: the login use case and cookie mode's
session (``qp_session``, the session-bound CSRF token), as REST's ``?session=cookie``
login sets them, with the same rate limits (the login use case applies them).

The sign-in post checks its Origin (login CSRF: a foreign page must not sign a browser
into an account of the attacker's choosing); there is no session yet to bind a token to.
Signing in as a non-admin succeeds, and the next page says ``Forbidden``: whether an
account may moderate is the pages' question, and the answer never depends on the form."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from quillpress.api.console.access import signed_in_post
from quillpress.api.console.flash import with_notice
from quillpress.api.console.forms import read_form, safe_next
from quillpress.api.console.rendering import ConsoleRoute, redirect, show
from quillpress.api.credentials import client_of, origin_of
from quillpress.api.resources import resources
from quillpress.api.session_cookies import clear_session_cookies, set_session_cookies
from quillpress.domain.commands import LoginUser
from quillpress.domain.errors import Banned, CsrfRejected, Invalid, Unauthenticated
from quillpress.domain.validation import parse
from quillpress.services import sessions as session_service
from quillpress.services import users as user_service
from quillpress.services.authentication import Origin

router = APIRouter(route_class=ConsoleRoute)

SIGN_IN = "/admin/sign-in"


def _form(
    request: Request, *, email: str = "", problem: str | None = None, status: int = 200
) -> Response:
    context = {
        "next": safe_next(request.query_params.get("next")),
        "email": email,
        "problem": problem,
    }
    return show(request, "sign_in.html", context, status_code=status)


@router.get("/sign-in", include_in_schema=False)
async def sign_in_form(request: Request) -> Response:
    return _form(request)


@router.post("/sign-in", include_in_schema=False)
async def sign_in(request: Request) -> Response:
    found = resources(request)
    origin = origin_of(request, found.settings)
    if origin is not Origin.TRUSTED:
        missing = origin is Origin.MISSING
        raise CsrfRejected(
            CsrfRejected.ORIGIN_MISSING if missing else CsrfRejected.ORIGIN_NOT_ALLOWED
        )
    form = await read_form(request)
    email = form.text("email") or ""
    try:
        command = parse(LoginUser, {"email": email, "password": form.text("password")})
        session = await user_service.login(
            found.database,
            found.security,
            command,
            client=client_of(request),
            limiter=found.limiter,
        )
    except Invalid:
        return _form(request, email=email, problem="Enter an email and a password.", status=422)
    except Unauthenticated:
        return _form(request, email=email, problem="Wrong email or password.", status=401)
    except Banned as banned:
        why = f" Reason: {banned.reason}" if banned.reason else ""
        return _form(request, email=email, problem=f"This account is banned.{why}", status=403)
    assert session.session_id is not None  # every sign-in names its session
    response = redirect(safe_next(form.text("next")))
    csrf = found.security.csrf.token(session.session_id)
    set_session_cookies(response, found.settings, session, csrf)
    return response


@router.post("/sign-out", include_in_schema=False)
async def sign_out(request: Request) -> Response:
    visit = await signed_in_post(request)
    await session_service.logout(visit.db, visit.principal, client=visit.client)
    response = redirect(with_notice(SIGN_IN, "signed-out"))
    clear_session_cookies(response, visit.found.settings)
    return response
