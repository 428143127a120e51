"""graphiql_html() is called by the GraphQL endpoint with its own URL: the URL must end up
in the page as data, never as markup or code."""

from __future__ import annotations

from quillpress.api.docs import graphiql_html


def test_endpoint_is_passed_to_create_fetcher() -> None:
    assert 'GraphiQL.createFetcher({ url: "/api/graphql" })' in graphiql_html("/api/graphql")


def test_endpoint_cannot_close_the_script_element() -> None:
    html = graphiql_html('/graphql"</script><script>alert(1)</script>')
    assert html.count("</script>") == 4  # React, ReactDOM, GraphiQL, and the inline script
    assert "alert(1)" in html  # still there, but inside a JSON string literal
    assert '\\"\\u003c/script\\u003e' in html


def test_page_is_complete_html() -> None:
    html = graphiql_html()
    assert html.startswith("<!doctype html>")
    assert html.rstrip().endswith("</html>")
