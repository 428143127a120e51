"""Browser-facing documentation pages that work offline.

FastAPI's default ``/docs`` and ``/redoc``, and the GraphiQL pages GraphQL libraries ship,
load their scripts, styles, fonts and favicons from CDNs, so they render blank on a machine
without internet access (or behind a strict CSP). The assets are shipped as package data in
``quillpress/static`` (see its README for versions and licences) and every page here points
at ``/static/...`` on the app itself.

The pages carry no inline script or style either, so their Content-Security-Policy
(``security_headers.page_policy``) can forbid both: the code that boots each bundle is
packaged under ``quillpress/static/pages`` and reads its settings from a JSON data block
(``<script type="application/json">``, which browsers never execute). FastAPI's
``get_swagger_ui_html`` and ``get_redoc_html`` inline that code, hence the templates here.

The app must be created with ``docs_url=None, redoc_url=None`` so FastAPI does not register
its CDN-backed defaults first; :func:`install` then registers the offline versions.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.docs import swagger_ui_default_parameters
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from quillpress.api.security_headers import new_nonce, page_policy, page_response

STATIC_PREFIX = "/static"
SWAGGER_JS = f"{STATIC_PREFIX}/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = f"{STATIC_PREFIX}/swagger-ui/swagger-ui.css"
FAVICON = f"{STATIC_PREFIX}/swagger-ui/favicon-32x32.png"
REDOC_JS = f"{STATIC_PREFIX}/redoc/redoc.standalone.js"
REACT_JS = f"{STATIC_PREFIX}/react/react.production.min.js"
REACT_DOM_JS = f"{STATIC_PREFIX}/react/react-dom.production.min.js"
GRAPHIQL_JS = f"{STATIC_PREFIX}/graphiql/graphiql.min.js"
GRAPHIQL_CSS = f"{STATIC_PREFIX}/graphiql/graphiql.min.css"
PAGES = f"{STATIC_PREFIX}/pages"  # Quillpress's own boot scripts and page styles
SWAGGER_BOOT_JS = f"{PAGES}/swagger-ui.js"
OAUTH2_REDIRECT_JS = f"{PAGES}/oauth2-redirect.js"
REDOC_BOOT_JS = f"{PAGES}/redoc.js"
REDOC_PAGE_CSS = f"{PAGES}/redoc.css"
GRAPHIQL_BOOT_JS = f"{PAGES}/graphiql.js"
GRAPHIQL_PAGE_CSS = f"{PAGES}/graphiql.css"
BUNDLES = (REACT_JS, REACT_DOM_JS, GRAPHIQL_JS)

_DEFAULT_QUERY = """\
# Welcome to Quillpress GraphQL.
#
# To act as a user, log in through the API and add this in the Headers tab below:
#   {"Authorization": "Token <jwt>"}

{
  __typename
}
"""


def _js_literal(value: Any) -> str:
    """JSON safe inside ``<script>``: ``<``, ``>`` and ``&`` are escaped so a value can never
    close the script element or open a comment, whatever the endpoint is."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def config_block(element_id: str, value: Any) -> str:
    """A JSON data block for a boot script to read: ``type="application/json"`` is not a
    script type, so the browser never runs it and the CSP has nothing to allow."""
    return f'<script type="application/json" id="{element_id}">{_js_literal(value)}</script>'


def _head(title: str, *stylesheets: str) -> str:
    links = "".join(
        f'\n    <link rel="stylesheet" href="{escape(href)}" />' for href in stylesheets
    )
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>{escape(title)}</title>
    <link rel="icon" type="image/png" href="{escape(FAVICON)}" />{links}
  </head>"""


def swagger_ui_html(
    *,
    title: str,
    openapi_url: str,
    root: str = "",
    oauth2_redirect_url: str | None = None,
    init_oauth: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
) -> str:
    """Swagger UI with FastAPI's default parameters (and the app's own), booted by
    ``static/pages/swagger-ui.js``; ``oauth2RedirectUrl`` is a path there (the script
    prefixes the page's origin, as FastAPI's inline code does)."""
    config: dict[str, Any] = {
        "url": openapi_url,
        **swagger_ui_default_parameters,
        **(parameters or {}),
    }
    if oauth2_redirect_url:
        config["oauth2RedirectUrl"] = oauth2_redirect_url
    if init_oauth:
        config["initOAuth"] = init_oauth
    return f"""{_head(title, root + SWAGGER_CSS)}
  <body>
    <div id="swagger-ui"></div>
    {config_block("swagger-ui-config", jsonable_encoder(config))}
    <script src="{escape(root + SWAGGER_JS)}"></script>
    <script src="{escape(root + SWAGGER_BOOT_JS)}"></script>
  </body>
</html>
"""


def oauth2_redirect_html(root: str = "") -> str:
    """The page an OAuth2 provider sends Swagger UI's login popup back to."""
    return f"""<!doctype html>
<html lang="en-US">
  <head>
    <title>Swagger UI: OAuth2 Redirect</title>
  </head>
  <body>
    <script src="{escape(root + OAUTH2_REDIRECT_JS)}"></script>
  </body>
</html>
"""


REDOC_STYLE_HASHES = (
    # The perfect-scrollbar stylesheet (6,493 characters, ``.ps{overflow:hidden!important…``)
    # that redoc.standalone.js 2.5.4 inserts as it loads, before ``Redoc.init`` can hand it
    # the nonce (the bundle resets its nonce to undefined first thing), ...
    "sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc=",
    # ... and the same element a moment earlier, inserted empty (the hash of "").
    "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
)


def redoc_policy(nonce: str) -> str:
    """ReDoc's page policy: the strict page policy plus what ReDoc 2.5.4 does at run time,
    each seen in Chromium (``tests/docs/test_csp_in_chromium.py``):

    - styled-components inserts its ``<style>`` elements: allowed by the response's nonce,
      which ``Redoc.init``'s ``nonce`` option puts on them;
    - the perfect-scrollbar stylesheet it inserts before that: allowed by its hash;
    - its icons are ``data:`` images;
    - the search index runs in a worker started from a ``blob:`` URL built from the
      bundle's own code: ``worker-src blob:`` (a ``blob:`` URL can only be made by script
      already running on the page, which ``script-src 'self'`` limits to the bundles).

    Still blocked, on purpose: the Redocly logo in the sidebar's attribution link, which the
    bundle hard-codes at ``https://cdn.redoc.ly/redoc/logo-mini.svg``; ReDoc hides the image
    when it fails to load, and the link's text stays.
    """
    return page_policy(
        style_nonce=nonce, style_hashes=REDOC_STYLE_HASHES, data_images=True, blob_workers=True
    )


def redoc_html(*, title: str, openapi_url: str, nonce: str, root: str = "") -> str:
    """ReDoc, booted by ``static/pages/redoc.js`` (``Redoc.init``) rather than the
    ``<redoc spec-url>`` element, so the boot code can hand ReDoc the page's style nonce:
    ReDoc's styled-components puts that nonce on the ``<style>`` elements it inserts."""
    return f"""{_head(title, root + REDOC_PAGE_CSS)}
  <body>
    <noscript>ReDoc needs JavaScript to show the documentation.</noscript>
    <div id="redoc"></div>
    {config_block("redoc-config", {"specUrl": openapi_url})}
    <script src="{escape(root + REDOC_JS)}"></script>
    <script src="{escape(root + REDOC_BOOT_JS)}" nonce="{escape(nonce)}"></script>
  </body>
</html>
"""


def graphiql_policy(nonce: str) -> str:
    """GraphiQL's page policy: the strict page policy plus a nonce for the one ``<style>``
    element GraphiQL 4.1.2 inserts at run time, seen in Chromium when a dialog (settings,
    short keys) opens: its bundled scroll lock (react-remove-scroll-bar) writes the
    scrollbar width into it, so its content varies and no hash could allow it. The boot
    script hands the bundle the nonce through the ``__webpack_nonce__`` global it reads.
    Its stylesheet inlines its fonts as ``data:`` URLs."""
    return page_policy(style_nonce=nonce, data_fonts=True)


SWAGGER_UI_POLICY = page_policy(data_images=True)
"""Swagger UI 5.35 needs nothing but its files and the ``data:`` icons of its stylesheet:
no nonce, no inline style (its React code sets styles through the CSSOM, which CSP does
not govern)."""


def graphiql_html(endpoint: str = "/graphql", *, nonce: str, root: str = "") -> str:
    """The GraphiQL IDE page for ``endpoint``, loading React 18, ReactDOM 18 and GraphiQL 4
    from ``/static`` and booted by ``static/pages/graphiql.js``.

    GraphiQL 4 is the last release with a UMD build (5 is ESM + Monaco only), and its UMD
    wrapper expects the ``React`` and ``ReactDOM`` globals, so the two React UMD scripts are
    loaded first. ``GraphiQL.createFetcher`` merges the headers typed in GraphiQL's headers
    editor into every request, so ``{"Authorization": "Token <jwt>"}`` works as is.
    ``shouldPersistHeaders`` stays off so a token is not written to localStorage.
    """
    config = {"endpoint": endpoint, "defaultQuery": _DEFAULT_QUERY}
    # The boot script's tag carries the style nonce; script-src has no nonce, so the
    # attribute admits nothing: the script runs because it comes from 'self'.
    scripts = [f'<script src="{escape(root + src)}"></script>' for src in BUNDLES]
    scripts.append(
        f'<script src="{escape(root + GRAPHIQL_BOOT_JS)}" nonce="{escape(nonce)}"></script>'
    )
    tags = "\n    ".join(scripts)
    return f"""{_head("Quillpress GraphiQL", root + GRAPHIQL_CSS, root + GRAPHIQL_PAGE_CSS)}
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    {config_block("graphiql-config", config)}
    {tags}
  </body>
</html>
"""


def install(app: FastAPI) -> None:
    """Mount ``/static`` and serve ``/docs`` and ``/redoc`` from packaged assets.

    GraphiQL's page (:func:`graphiql_html`) is served by the GraphQL endpoint itself, to
    browsers that ``GET /graphql`` without a query."""
    # Resolved from the installed package, never the working directory: `serve` may start
    # anywhere, and a wheel install has no source tree.
    app.mount(STATIC_PREFIX, StaticFiles(packages=[("quillpress", "static")]), name="static")

    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url
    title = app.title

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        html = swagger_ui_html(
            title=f"{title} - Swagger UI",
            openapi_url=root + openapi_url,
            root=root,
            oauth2_redirect_url=root + oauth2_redirect_url if oauth2_redirect_url else None,
            init_oauth=app.swagger_ui_init_oauth,
            parameters=app.swagger_ui_parameters,
        )
        return page_response(html, policy=SWAGGER_UI_POLICY)

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        nonce = new_nonce()  # fresh for every response, or it would be no secret
        html = redoc_html(
            title=f"{title} - ReDoc", openapi_url=root + openapi_url, nonce=nonce, root=root
        )
        return page_response(html, policy=redoc_policy(nonce))

    app.add_api_route("/docs", swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_api_route("/redoc", redoc, methods=["GET"], include_in_schema=False)
    if oauth2_redirect_url:
        # FastAPI registers this only alongside its own docs_url, which the app disables.

        async def swagger_ui_redirect(request: Request) -> HTMLResponse:
            return page_response(oauth2_redirect_html(request.scope.get("root_path", "")))

        app.add_api_route(
            oauth2_redirect_url, swagger_ui_redirect, methods=["GET"], include_in_schema=False
        )
