"""Every console page, as a visitor, a non-admin and an admin reach it: no accessibility
violation of impact serious or critical (axe-core) at 1280 or at 360 px wide, a title
ending ``— Quillpress admin``, no Content-Security-Policy violation, and no sideways
scrolling of the page at 360 px (a wide table may scroll inside its own box)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.console.axe import blocking_violations, equip
from tests.console.backstage import Account, Backstage, unique
from tests.console.rest import comment, log_in, publish
from tests.console.steps import TIMEOUT_MS, TITLE, WIDE, open_user, sign_in

NARROW = ViewportSize(width=360, height=800)

RECORD_POLICY_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.effectiveDirective} ${event.blockedURI}`);
});
"""


def _findings(page: Page) -> dict[str, Any]:
    """What is wrong with the page shown now (empty lists: nothing)."""
    expect(page).to_have_title(TITLE)
    wide = blocking_violations(page)
    page.set_viewport_size(NARROW)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    narrow = blocking_violations(page)
    page.set_viewport_size(WIDE)
    return {
        "axe at 1280 px": wide,
        "axe at 360 px": narrow,
        "csp": page.evaluate("window.__csp"),
        "sideways at 360 px": [f"{overflow} px"] if overflow > 0 else [],
    }


def _sweep(browser: Browser, console_url: str, account: Account | None) -> Page:
    context = browser.new_context(base_url=console_url, viewport=WIDE)
    context.set_default_timeout(TIMEOUT_MS)
    equip(context)
    context.add_init_script(RECORD_POLICY_VIOLATIONS)
    page = context.new_page()
    if account is not None:
        sign_in(page, account)
    return page


def _confirmation(page: Page, text: str) -> None:
    """The deletion's confirmation page, from the ``Delete`` button of the row showing
    ``text`` (on the list page shown now)."""
    page.get_by_role("row").filter(has_text=text).get_by_role("button", name="Delete").click()
    expect(page.get_by_role("button", name="Confirm")).to_be_visible()


def test_every_console_page_passes_the_accessibility_check(
    browser: Browser, console_url: str, staff: Backstage, admin: Account, api: httpx.Client
) -> None:
    author = staff.register("author")
    log_in(api, author, user_agent="Phone browser")
    title = unique("Checked ")
    slug = publish(api, author, title)
    remark = unique("A remark ")
    comment(api, author, slug, remark)

    findings: dict[str, dict[str, Any]] = {}

    def check(name: str, reach: Callable[[], object]) -> None:
        reach()
        findings[name] = _findings(page)

    page = _sweep(browser, console_url, None)
    check("sign-in", lambda: page.goto("/admin/sign-in"))
    page.context.close()

    page = _sweep(browser, console_url, staff.register("reader"))
    check("forbidden", lambda: page.goto("/admin"))
    page.context.close()

    page = _sweep(browser, console_url, admin)
    check("overview", lambda: page.goto("/admin"))
    check("users", lambda: page.goto("/admin/users"))
    check("user", lambda: open_user(page, author.username))
    check("articles", lambda: page.goto("/admin/articles"))
    check("article deletion", lambda: _confirmation(page, title))
    check("comments", lambda: page.goto("/admin/comments"))
    check("comment deletion", lambda: _confirmation(page, remark))
    check("audit", lambda: page.goto("/admin/audit"))
    page.context.close()

    clean: dict[str, list[object]] = {
        "axe at 1280 px": [],
        "axe at 360 px": [],
        "csp": [],
        "sideways at 360 px": [],
    }
    assert findings == dict.fromkeys(findings, clean)
