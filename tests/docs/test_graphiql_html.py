"""graphiql_html() is called by the GraphQL endpoint with its own URL: the URL must end up
in the page as data, never as markup or code, and the page itself carries no code at all
(its policy forbids inline script)."""

from __future__ import annotations

import json
import re

from quillpress.api.docs import GRAPHIQL_BOOT_JS, graphiql_html

NONCE = "test-nonce-123"


def config_of(html: str) -> dict[str, str]:
    match = re.search(r'<script type="application/json" id="graphiql-config">(.*?)</script>', html)
    assert match, html
    config: dict[str, str] = json.loads(match[1])
    return config


def test_endpoint_is_in_the_config_the_boot_script_reads() -> None:
    assert config_of(graphiql_html("/api/graphql", nonce=NONCE))["endpoint"] == "/api/graphql"


def test_endpoint_cannot_close_the_script_element() -> None:
    endpoint = '/graphql"</script><script>alert(1)</script>'
    html = graphiql_html(endpoint, nonce=NONCE)
    # React, ReactDOM, GraphiQL, the boot script and the JSON data block.
    assert html.count("</script>") == 5
    assert "alert(1)" in html  # still there, but inside a JSON string
    assert '\\"\\u003c/script\\u003e' in html
    assert config_of(html)["endpoint"] == endpoint  # and it reads back as it was given


def test_page_has_no_inline_script() -> None:
    html = graphiql_html(nonce=NONCE)
    bodies = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    executable = [
        attrs for attrs, body in bodies if body.strip() and "application/json" not in attrs
    ]
    assert executable == []


def test_only_the_boot_script_carries_the_nonce() -> None:
    html = graphiql_html(nonce=NONCE)
    assert re.findall(r'<script src="([^"]+)" nonce="test-nonce-123">', html) == [GRAPHIQL_BOOT_JS]


def test_page_is_complete_html() -> None:
    html = graphiql_html(nonce=NONCE)
    assert html.startswith("<!doctype html>")
    assert html.rstrip().endswith("</html>")
