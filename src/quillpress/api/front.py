"""``GET /``: the front door. Browsers get a short HTML page (what this is, where the docs
are, the first curl steps); every other client gets a JSON object with the same links.

The page has no inline script or style, so its Content-Security-Policy
(``security_headers.page_policy``) forbids both:
its only stylesheet is packaged under ``quillpress/static/front`` and served from
``/static`` by the mount :func:`quillpress.api.docs.install` creates."""

from __future__ import annotations

import shlex
from html import escape

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from quillpress import __version__
from quillpress.api.docs import FAVICON, STATIC_PREFIX
from quillpress.api.resources import resources
from quillpress.api.rest.responses import JsonResponse
from quillpress.api.security_headers import page_response

STYLESHEET = f"{STATIC_PREFIX}/front/front.css"
LINKS = {"docs": "/docs", "redoc": "/redoc", "graphql": "/graphql", "openapi": "/openapi.json"}
VARY = {"Vary": "Accept"}  # one URL, two representations: caches must key on Accept
VARY_HOST = {"Vary": "Accept, Host"}  # …and on Host, when the links are the request's own


def prefers_html(accept: str) -> bool:
    """Whether ``accept`` ranks ``text/html`` strictly above ``application/json``.

    Browsers always name ``text/html`` first. curl, httpx and most HTTP libraries send
    ``*/*``, and so get JSON: their users are at a terminal or in code, where JSON is short
    and pipeable (``curl -s localhost:8000/ | jq .links``) and a page of markup is noise.
    Wildcards therefore count for neither. Starlette has no content negotiation and this one
    question does not need a library."""
    quality: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.lower()
        quality[media] = max(q, quality.get(media, 0.0))
    return quality.get("text/html", 0.0) > quality.get("application/json", 0.0)


def curl_steps(base_url: str) -> str:
    """The README's first curl steps, aimed at ``base_url`` (the server the page came from),
    runnable as they stand in bash."""

    def url(path: str) -> str:
        return shlex.quote(base_url.rstrip("/") + path)

    return f"""\
# register (201): the response carries a JWT
curl -s {url("/api/users")} -H 'Content-Type: application/json' \\
  -d '{{"user": {{"username": "ada", "email": "ada@example.com", "password": "correct-horse"}}}}'

# log in (200) and keep the token
TOKEN=$(curl -s {url("/api/users/login")} -H 'Content-Type: application/json' \\
  -d '{{"user": {{"email": "ada@example.com", "password": "correct-horse"}}}}' \\
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["user"]["token"])')

# write an article (201) as ada
curl -s {url("/api/articles")} -H "Authorization: Token $TOKEN" \\
  -H 'Content-Type: application/json' \\
  -d '{{"article": {{"title": "Hello, Quillpress", "description": "First post",
                   "body": "It works.", "tagList": ["intro"]}}}}'

# list it (newest first)
curl -s {url("/api/articles?tag=intro")}
"""


def front_html(base_url: str, root_path: str = "") -> str:
    """The page; ``base_url`` may come from the request's Host header, so it is escaped."""

    def link(path: str) -> str:
        return escape(root_path + path)

    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Quillpress</title>
    <link rel="icon" type="image/png" href="{link(FAVICON)}" />
    <link rel="stylesheet" href="{link(STYLESHEET)}" />
  </head>
  <body>
    <main>
      <header>
        <h1>Quillpress <span class="version">{escape(__version__)}</span></h1>
        <p class="lead">A backend for a Medium-style blog: the RealWorld ("Conduit") REST API
          under <code>/api</code> and a GraphQL API at <code>/graphql</code>, over one
          service layer.</p>
      </header>
      <nav aria-label="Documentation">
        <ul class="links">
          <li><a href="{link(LINKS["docs"])}">Swagger UI</a>
            <span>try every REST operation in the browser</span></li>
          <li><a href="{link(LINKS["redoc"])}">ReDoc</a>
            <span>read the REST reference</span></li>
          <li><a href="{link(LINKS["graphql"])}">GraphiQL</a>
            <span>explore and query the GraphQL schema</span></li>
          <li><a href="{link(LINKS["openapi"])}">OpenAPI document</a>
            <span>the REST contract as JSON</span></li>
        </ul>
      </nav>
      <section>
        <h2>First steps with curl</h2>
        <pre><code>{escape(curl_steps(base_url))}</code></pre>
        <p class="note">Every response carries an <code>X-Request-ID</code> (quote it when
          reporting a problem) and a <code>Server-Timing</code> header with the SQL
          statements it cost.</p>
      </section>
    </main>
  </body>
</html>
"""


def install(app: FastAPI) -> None:
    """Serve ``GET /`` (kept out of the OpenAPI document: it is not part of the API)."""

    async def front(request: Request) -> Response:
        # Absolute URLs under QUILLPRESS_PUBLIC_URL; without it, the request's own
        # scheme and Host, and then the answer varies on Host too.
        public_url = resources(request).settings.public_url
        base_url = public_url or str(request.base_url)
        vary = VARY if public_url else VARY_HOST
        if prefers_html(request.headers.get("accept", "")):
            return page_response(
                front_html(base_url, request.scope.get("root_path", "")), headers=vary
            )
        links = {name: base_url.rstrip("/") + path for name, path in LINKS.items()}
        body = {"name": "quillpress", "version": __version__, "links": links}
        return JsonResponse(body, headers=vary)

    app.add_api_route("/", front, methods=["GET"], include_in_schema=False)
