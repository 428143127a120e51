"""The ban action with the keyboard only: Tab reaches the reason and the button, each focused
element shows where the focus is, and Enter acts."""

from __future__ import annotations

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.console.backstage import Account, Backstage
from tests.console.rest import admin_user
from tests.console.steps import open_user

MAX_TABS = 60  # every focusable element of a user's page, with room to spare

# The focus ring as the browser draws it: an outline (or a box shadow, the other common
# way to draw one) that is really there, not ``outline: none`` or a zero width.
FOCUS_RING = """
el => {
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return {
    outline,
    shadow: style.boxShadow !== "none",
    focusVisible: el.matches(":focus-visible"),
    describe: `${el.tagName} ${el.getAttribute("name") || ""} ${el.textContent.trim()}`,
  };
}
"""


def tab_to(page: Page, target: Locator) -> list[str]:
    """Press Tab until ``target`` has the focus; every element passed on the way must show
    its focus ring. The elements without one, by tag, name and text."""
    unringed: list[str] = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        ring = page.evaluate(f"({FOCUS_RING})(document.activeElement)")
        if not ring["focusVisible"] or not (ring["outline"] or ring["shadow"]):
            unringed.append(ring["describe"])
        if target.evaluate("el => el === document.activeElement"):
            return unringed
    raise AssertionError(f"Tab never reached {target} in {MAX_TABS} presses")


def test_an_admin_bans_with_the_keyboard_alone(
    admin_page: Page, admin: Account, staff: Backstage, api: httpx.Client
) -> None:
    user = staff.register("keyboard")
    page = admin_page
    open_user(page, user.username)

    reason = page.get_by_label("Reason")
    assert tab_to(page, reason) == []
    expect(reason).to_be_focused()
    page.keyboard.type("Posting malware links")
    ban = page.get_by_role("button", name="Ban", exact=True)
    assert tab_to(page, ban) == []
    expect(ban).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Banned", exact=True)).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text="Posting malware links")).to_be_visible()
    assert admin_user(api, admin, user.username)["banned"] is True
