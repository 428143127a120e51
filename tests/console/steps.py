"""What a moderator does in the console, by what they see: labels, button names, text.

The names are the ones issue 22 fixes for the pages ("Names the pages must use"), so these
steps also show a user how to drive the console from their own browser tests."""

from __future__ import annotations

import re

from playwright.sync_api import Page, ViewportSize, expect

from tests.console.backstage import Account

TIMEOUT_MS = 15_000
WIDE = ViewportSize(width=1280, height=900)
Fields = dict[str, str | float | bool]  # a form as Playwright's request API posts it
TITLE = re.compile(r"— Quillpress admin$")


def sign_in(page: Page, account: Account) -> None:
    """Through the sign-in form, as a person would; ends on the page it leads to."""
    page.goto("/admin/sign-in")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/admin/sign-in"))


def open_user(page: Page, username: str) -> None:
    page.goto(f"/admin/users/{username}")
    expect(page.get_by_role("heading", name=username)).to_be_visible()


def form_of(page: Page, button: str) -> tuple[str, Fields]:
    """Where the button named ``button`` posts its form, and every field it would send now
    (hidden ones and the button's own ``name=value`` included): what another program needs
    to post the same form by hand."""
    submitter = page.get_by_role("button", name=button, exact=True)
    # Not ``form.action``: a field named "action" (the user page's buttons) shadows it.
    action = submitter.evaluate(
        "button => new URL(button.form.getAttribute('action') || '', document.baseURI).href"
    )
    fields = submitter.evaluate("button => Object.fromEntries(new FormData(button.form, button))")
    return str(action), {str(name): str(value) for name, value in fields.items()}
