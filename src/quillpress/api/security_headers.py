"""Security headers on every HTTP response, and the Content-Security-Policy of each page.

Every response, whatever produced it (a route, a 404 of the router, the edge's 413,
CORS's preflight answer, HttpCaching's 304, Starlette's 500, the static files), gets
``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` and
``X-Frame-Options: DENY``; ``Strict-Transport-Security`` too when ``QUILLPRESS_HSTS`` is
on. A response that brings no ``Content-Security-Policy`` of its own gets
:data:`API_POLICY`, which lets a document load nothing at all: right for JSON, and
fail-closed for an HTML page someone adds without thinking about its policy.

The HTML pages (``/``, ``/docs``, ``/redoc``, GraphiQL) set their own policy with
:func:`page_policy`: same-origin only, no inline script at all (their boot code is
packaged under ``quillpress/static/pages``). Each page gets only the exceptions its bundle
was seen to need in Chromium (``tests/docs/test_csp_in_chromium.py``): ``data:`` icons or
fonts, a per-response nonce for the ``<style>`` elements ReDoc and GraphiQL insert at run
time, ReDoc's blob worker.

Added by the edge layer (:class:`quillpress.api.edge.Edge`), which sits outside Starlette's
ServerErrorMiddleware (user middleware all sit inside that one, so its 500 would otherwise
go out bare). Hand-written rather than a library (``secure``, ``starlette-csp``): the
policy here is per page, the rest is three constant headers, and both fit in fewer lines
than any adapter would need.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence

from starlette.responses import HTMLResponse

CSP_HEADER = b"content-security-policy"
HSTS_HEADER = b"strict-transport-security"

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
"""For everything that is not one of the pages: a JSON body, an image, a script file.
``frame-ancestors`` because a browser applies it to any document, JSON rendered as one
included; X-Frame-Options says the same to browsers that predate CSP 2."""

ALWAYS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def new_nonce() -> str:
    """A fresh CSP nonce: 128 random bits, URL-safe base64 (valid CSP ``base64-value``)."""
    return secrets.token_urlsafe(16)


def page_policy(
    *,
    style_nonce: str | None = None,
    style_hashes: Sequence[str] = (),
    data_images: bool = False,
    data_fonts: bool = False,
    blob_workers: bool = False,
) -> str:
    """The policy of an HTML page: its own origin and nothing else.

    - ``script-src 'self'``: no inline script and no ``eval`` on any page (the Chromium
      tests in ``tests/docs`` watch every page for violations and check both are refused);
    - ``style-src 'self'``, plus where a bundle inserts ``<style>`` elements while it runs
      (``docs.redoc_policy``, ``docs.graphiql_policy``) the response's nonce, and the hashes
      of the ones it inserts before it can be told the nonce;
    - ``img-src``/``font-src`` also allow ``data:`` where a bundle inlines its icons
      (Swagger UI's stylesheet, ReDoc's bundle) or its fonts (GraphiQL's stylesheet) as
      ``data:`` URLs;
    - ``worker-src blob:`` only where a bundle starts its worker from a ``blob:`` URL it
      builds out of its own code (ReDoc's search);
    - ``base-uri``, ``object-src`` and ``form-action`` close the usual injection bypasses.
    """
    styles = ["'self'"]
    if style_nonce is not None:
        styles.append(f"'nonce-{style_nonce}'")
    styles += (f"'{digest}'" for digest in style_hashes)
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        f"style-src {' '.join(styles)}",
        "img-src 'self' data:" if data_images else "img-src 'self'",
        "font-src 'self' data:" if data_fonts else "font-src 'self'",
        "connect-src 'self'",
    ]
    if blob_workers:
        directives.append("worker-src blob:")
    directives += [
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def page_response(
    html: str,
    *,
    policy: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """An HTML page with its policy (by default :func:`page_policy` with no exception)."""
    csp = {"Content-Security-Policy": policy or page_policy()}
    return HTMLResponse(html, status_code, {**(headers or {}), **csp})


def hsts_value(max_age: int) -> bytes:
    return f"max-age={max_age}; includeSubDomains".encode()
