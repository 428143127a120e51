"""Each HTML page renders in Chromium under the Content-Security-Policy it ships, without a
single violation, and that policy really blocks what it is there to block.

Violations are collected twice: ``securitypolicyviolation`` events (an init script, which
Playwright injects through the DevTools protocol and CSP therefore does not stop, records
them into ``window``) and Chromium's console errors about the policy ("Refused to …",
"… violates the following Content Security Policy directive …"). A page that renders
only because nothing was enforced, or that renders while the policy silently drops one of
its styles, fails here; the injection tests prove the collector and the policy both work
by injecting a script that the same page runs once its policy is taken away.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route

from quillpress.api.docs import REDOC_STYLE_HASHES

TIMEOUT_MS = 20_000
SETTLE_MS = 500  # late violations (a style inserted after first paint) still get caught

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push({
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    sample: event.sample,
    source: `${event.sourceFile}:${event.lineNumber}`,
  });
});
"""

INJECTED = "<script>window.__injected = true;</script>"


@dataclass
class Watched:
    page: Page
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def violations(self) -> list[dict[str, Any]]:
        self.page.wait_for_timeout(SETTLE_MS)
        found: list[dict[str, Any]] = self.page.evaluate("window.__csp")
        return found


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    page.add_init_script(RECORD_VIOLATIONS)
    result = Watched(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            result.errors.append(message.text)
            # "Refused to …" in older Chromium; "… violates the following Content Security
            # Policy directive …" in the current one.
            if "Refused to" in message.text or "Content Security Policy" in message.text:
                result.refused.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: result.errors.append(f"page error: {error}"))
    try:
        yield result
    finally:
        page.close()


REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
"""The one thing a page tries and its policy refuses: ReDoc's bundle hard-codes the Redocly
logo of its sidebar attribution on a CDN (see ``docs.redoc_policy``)."""


def assert_clean(watched: Watched, *, blocked_images: tuple[str, ...] = ()) -> None:
    """No violation, no refusal and no error at all, but for the images named."""
    violations = watched.violations()
    expected = [{"directive": "img-src", "blocked": url} for url in blocked_images]
    assert [{k: v[k] for k in ("directive", "blocked")} for v in violations] == expected, (
        violations,
        watched.errors,
    )
    assert len(watched.refused) == len(blocked_images), watched.refused
    assert all(url in text for url, text in zip(blocked_images, watched.refused, strict=True))
    assert [text for text in watched.errors if text not in watched.refused] == []


def policy_of(server_url: str, path: str) -> str:
    response = httpx.get(f"{server_url}{path}", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.headers["content-security-policy"]


# --- every page renders with its policy and causes no violation ---------------------


def test_swagger_ui_renders_with_no_violation(server_url: str, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{server_url}/docs")
    page.locator("#operations-Articles-GetArticles").wait_for()
    # swagger-ui.css applied (not just loaded): its layout rules are in force.
    assert (
        page.locator(".swagger-ui .wrapper").first.evaluate("el => getComputedStyle(el).maxWidth")
        == "1460px"
    )
    assert_clean(watched)


def test_redoc_renders_styled_with_no_violation(server_url: str, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{server_url}/redoc")
    page.locator(".menu-content").wait_for()
    page.wait_for_function("document.body.innerText.includes('/api/articles')")
    # styled-components' <style> elements took effect: a blocked one leaves the menu static.
    position = page.locator(".menu-content").evaluate("el => getComputedStyle(el).position")
    assert position == "sticky"
    assert_clean(watched, blocked_images=(REDOC_LOGO,))


def test_redoc_early_stylesheet_is_the_one_its_hash_allows(
    server_url: str, watched: Watched
) -> None:
    """The hash in the policy is of the perfect-scrollbar stylesheet ReDoc really inserts,
    and that stylesheet applies; after a ReDoc update the hash would fail here first."""
    page = watched.page
    page.goto(f"{server_url}/redoc")
    page.locator(".menu-content").wait_for()
    early = page.locator("style:not([data-styled])")
    assert early.evaluate("el => el.sheet !== null && el.sheet.cssRules.length > 0")
    digest = early.evaluate(
        """async el => {
          const bytes = new TextEncoder().encode(el.textContent);
          const hash = await crypto.subtle.digest("SHA-256", bytes);
          return "sha256-" + btoa(String.fromCharCode(...new Uint8Array(hash)));
        }"""
    )
    assert digest in REDOC_STYLE_HASHES
    assert digest in policy_of(server_url, "/redoc")


def test_redoc_search_runs_in_its_worker(server_url: str, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{server_url}/redoc")
    page.locator(".menu-content").wait_for()
    page.get_by_placeholder("Search...").fill("favorite")
    page.get_by_role("search").get_by_text("Favorite an article").first.wait_for()
    assert_clean(watched, blocked_images=(REDOC_LOGO,))


def test_graphiql_renders_and_queries_with_no_violation(server_url: str, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{server_url}/graphql")
    page.locator(".graphiql-container").wait_for()
    with page.expect_response(lambda response: response.request.method == "POST") as sent:
        page.locator(".graphiql-execute-button").click()
    assert sent.value.status == 200  # connect-src 'self' lets the fetcher reach /graphql
    page.locator(".result-window", has_text='"__typename": "Query"').wait_for()
    assert_clean(watched)


def test_graphiql_dialogs_open_with_no_violation(server_url: str, watched: Watched) -> None:
    """The settings dialog is where GraphiQL's bundled scroll lock inserts a <style>."""
    page = watched.page
    page.goto(f"{server_url}/graphql")
    page.locator(".graphiql-container").wait_for()
    page.get_by_label("Open settings dialog").click()
    page.get_by_role("dialog").wait_for()
    assert_clean(watched)


def test_front_page_renders_styled_with_no_violation(server_url: str, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{server_url}/")
    page.get_by_text("First steps with curl").wait_for()
    assert page.locator("link[rel=stylesheet]").evaluate("el => el.sheet.cssRules.length") > 0
    assert_clean(watched)


# --- the policy blocks what it is there to block --------------------------------------


PAGES = ["/", "/docs", "/redoc", "/graphql"]


def inject(page: Page, url: str, markup: str, *, keep_policy: bool) -> None:
    """Serve ``url``'s real response with ``markup`` added before ``</body>``, with or
    without its CSP header, as if an attacker had got markup into the page."""

    def handle(route: Route) -> None:
        if route.request.method != "GET":  # GraphiQL posts its queries to the page's URL
            route.continue_()
            return
        response = route.fetch()
        headers = dict(response.headers)
        if not keep_policy:
            headers.pop("content-security-policy")
        body = response.text().replace("</body>", f"{markup}</body>")
        route.fulfill(response=response, body=body, headers=headers)

    page.route(url, handle)


@pytest.mark.parametrize("path", PAGES)
def test_an_injected_inline_script_does_not_run(
    server_url: str, watched: Watched, path: str
) -> None:
    page = watched.page
    url = f"{server_url}{path}"
    inject(page, url, INJECTED, keep_policy=True)
    page.goto(url)
    assert page.evaluate("window.__injected === true") is False
    assert "script-src-elem" in [v["directive"] for v in watched.violations()]
    assert any("inline script" in text for text in watched.refused), watched.refused


@pytest.mark.parametrize("path", PAGES)
def test_the_same_injection_runs_without_the_policy(
    server_url: str, watched: Watched, path: str
) -> None:
    """The control: proves the injection itself works, so the test above can fail."""
    page = watched.page
    url = f"{server_url}{path}"
    inject(page, url, INJECTED, keep_policy=False)
    page.goto(url)
    assert page.evaluate("window.__injected === true") is True
    assert "script-src-elem" not in [v["directive"] for v in watched.violations()]


@pytest.mark.parametrize("path", ["/redoc", "/graphql"])
def test_the_style_nonce_does_not_let_a_script_in(
    server_url: str, watched: Watched, path: str
) -> None:
    """These pages have a nonce, for styles only: a script that copies it still fails."""
    page = watched.page
    url = f"{server_url}{path}"

    def handle(route: Route) -> None:
        if route.request.method != "GET":  # GraphiQL posts its queries to the page's URL
            route.continue_()
            return
        response = route.fetch()
        policy = response.headers["content-security-policy"]
        nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
        markup = f'<script nonce="{nonce}">window.__injected = true;</script>'
        body = response.text().replace("</body>", f"{markup}</body>")
        route.fulfill(response=response, body=body)

    page.route(url, handle)
    page.goto(url)
    assert page.evaluate("window.__injected === true") is False
    assert "script-src-elem" in [v["directive"] for v in watched.violations()]


def test_an_injected_style_without_the_nonce_is_blocked(server_url: str, watched: Watched) -> None:
    page = watched.page
    url = f"{server_url}/redoc"
    inject(page, url, "<style>body { display: none; }</style>", keep_policy=True)
    page.goto(url)
    page.locator(".menu-content").wait_for()
    assert page.evaluate("getComputedStyle(document.body).display") != "none"
    assert "style-src-elem" in [v["directive"] for v in watched.violations()]


@pytest.mark.parametrize("path", PAGES)
def test_string_code_is_refused(server_url: str, watched: Watched, path: str) -> None:
    """``setTimeout`` with a string is eval in disguise; the page's policy refuses it.
    (Code Playwright evaluates itself is exempt from CSP, so it schedules the string.)"""
    page = watched.page
    page.goto(f"{server_url}{path}")
    page.evaluate("() => { setTimeout('window.__evaluated = true', 0); }")
    page.wait_for_timeout(SETTLE_MS)
    assert page.evaluate("window.__evaluated === true") is False
    assert "script-src" in [v["directive"] for v in watched.violations()]


# --- the policies themselves ---------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_each_page_ships_a_same_origin_policy(server_url: str, path: str) -> None:
    policy = policy_of(server_url, path)
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert "unsafe" not in policy
    assert "*" not in policy
    assert "http" not in policy


@pytest.mark.parametrize("path", ["/redoc", "/graphql"])
def test_a_page_nonce_is_fresh_per_response_and_for_styles_only(server_url: str, path: str) -> None:
    def nonce(policy: str) -> str:
        style = next(part for part in policy.split(";") if part.strip().startswith("style-src"))
        return style.partition("'nonce-")[2].rstrip("'")

    first, second = policy_of(server_url, path), policy_of(server_url, path)
    assert nonce(first)
    assert nonce(second) not in ("", nonce(first))
    assert first.count("nonce-") == 1  # in style-src only: never a way to run a script


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_pages_whose_bundles_insert_no_style_have_no_nonce(server_url: str, path: str) -> None:
    assert "nonce" not in policy_of(server_url, path)
