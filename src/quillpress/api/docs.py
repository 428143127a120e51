"""Browser-facing documentation pages that work offline.

FastAPI's default ``/docs`` and ``/redoc``, and the GraphiQL pages GraphQL libraries ship,
load their scripts, styles, fonts and favicons from CDNs, so they render blank on a machine
without internet access (or behind a strict CSP). The assets are shipped as package data in
``quillpress/static`` (see its README for versions and licences) and every page here points
at ``/static/...`` on the app itself.

The app must be created with ``docs_url=None, redoc_url=None`` so FastAPI does not register
its CDN-backed defaults first; :func:`install` then registers the offline versions.
"""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

STATIC_PREFIX = "/static"
SWAGGER_JS = f"{STATIC_PREFIX}/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = f"{STATIC_PREFIX}/swagger-ui/swagger-ui.css"
FAVICON = f"{STATIC_PREFIX}/swagger-ui/favicon-32x32.png"
REDOC_JS = f"{STATIC_PREFIX}/redoc/redoc.standalone.js"
REACT_JS = f"{STATIC_PREFIX}/react/react.production.min.js"
REACT_DOM_JS = f"{STATIC_PREFIX}/react/react-dom.production.min.js"
GRAPHIQL_JS = f"{STATIC_PREFIX}/graphiql/graphiql.min.js"
GRAPHIQL_CSS = f"{STATIC_PREFIX}/graphiql/graphiql.min.css"

_DEFAULT_QUERY = """\
# Welcome to Quillpress GraphQL.
#
# To act as a user, log in through the API and add this in the Headers tab below:
#   {"Authorization": "Token <jwt>"}

{
  __typename
}
"""


def _js_literal(value: str) -> str:
    """A JSON string literal safe inside ``<script>``: ``<``, ``>`` and ``&`` are escaped so a
    value can never close the script element or open a comment, whatever the endpoint is."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def graphiql_html(endpoint: str = "/graphql") -> str:
    """The GraphiQL IDE page for ``endpoint``, loading React 18, ReactDOM 18 and GraphiQL 4
    from ``/static``.

    GraphiQL 4 is the last release with a UMD build (5 is ESM + Monaco only), and its UMD
    wrapper expects the ``React`` and ``ReactDOM`` globals, so the two React UMD scripts are
    loaded first. ``GraphiQL.createFetcher`` merges the headers typed in GraphiQL's headers
    editor into every request, so ``{"Authorization": "Token <jwt>"}`` works as is.
    ``shouldPersistHeaders`` stays off so a token is not written to localStorage.
    """
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Quillpress GraphiQL</title>
    <link rel="icon" type="image/png" href="{FAVICON}" />
    <link rel="stylesheet" href="{GRAPHIQL_CSS}" />
    <style>
      body {{ margin: 0; }}
      #graphiql {{ height: 100vh; height: 100dvh; }}
    </style>
    <script src="{REACT_JS}"></script>
    <script src="{REACT_DOM_JS}"></script>
    <script src="{GRAPHIQL_JS}"></script>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script>
      const fetcher = GraphiQL.createFetcher({{ url: {_js_literal(endpoint)} }});
      const root = ReactDOM.createRoot(document.getElementById("graphiql"));
      root.render(
        React.createElement(GraphiQL, {{
          fetcher: fetcher,
          defaultQuery: {_js_literal(_DEFAULT_QUERY)},
          isHeadersEditorEnabled: true,
          shouldPersistHeaders: false,
        }})
      );
    </script>
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
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{title} - Swagger UI",
            swagger_js_url=root + SWAGGER_JS,
            swagger_css_url=root + SWAGGER_CSS,
            swagger_favicon_url=root + FAVICON,
            oauth2_redirect_url=root + oauth2_redirect_url if oauth2_redirect_url else None,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{title} - ReDoc",
            redoc_js_url=root + REDOC_JS,
            redoc_favicon_url=root + FAVICON,
            with_google_fonts=False,
        )

    app.add_api_route("/docs", swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_api_route("/redoc", redoc, methods=["GET"], include_in_schema=False)
    if oauth2_redirect_url:
        # FastAPI registers this only alongside its own docs_url, which the app disables.

        async def swagger_ui_redirect() -> HTMLResponse:
            return get_swagger_ui_oauth2_redirect_html()

        app.add_api_route(
            oauth2_redirect_url, swagger_ui_redirect, methods=["GET"], include_in_schema=False
        )
