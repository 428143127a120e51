"""What users and their clients wrote is shown as text: a bio, a user agent (in the
sessions and the audit log) and a ban reason (in the profile and the audit log) holding
``<script>`` and markup appear character for character, create no element, and run
nothing.

A username cannot hold markup (usernames are letters, digits, ``.``, ``-`` and ``_``), so
the user agent stands in for it: the audit log shows it beside the username, from the
same kind of column."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Dialog, Page, expect

from tests.console.backstage import Account, Backstage
from tests.console.rest import log_in

# Each would run or make an element if interpreted: a script, an inline handler, a tag.
BIO = '<script>window.__ran = "bio"</script><b id="bio-markup">bold</b>'
AGENT = '<img src="x" id="agent-markup" onerror="window.__ran = \'agent\'"> Agent/1.0'
REASON = "<i id=\"reason-markup\">spam</i><script>window.__ran = 'reason'</script>"
INJECTED = "#bio-markup, #agent-markup, #reason-markup"


def _nothing_ran(page: Page, dialogs: list[Dialog]) -> None:
    assert page.locator(INJECTED).count() == 0
    assert page.evaluate("window.__ran") is None
    assert dialogs == []


def test_markup_in_a_bio_a_user_agent_and_a_reason_is_shown_as_text(
    admin_page: Page, admin: Account, staff: Backstage, api: httpx.Client
) -> None:
    user = staff.register("marked")
    token = log_in(api, user, user_agent=AGENT)
    updated = api.put(
        "/api/user", json={"user": {"bio": BIO}}, headers={"Authorization": f"Token {token}"}
    )
    assert updated.status_code == 200, updated.text
    page = admin_page
    dialogs: list[Dialog] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog))

    page.goto(f"/admin/users/{user.username}")
    expect(page.get_by_text(BIO, exact=True)).to_be_visible()
    sessions = page.get_by_role("table", name=re.compile("sessions", re.IGNORECASE))
    expect(sessions.get_by_text(AGENT, exact=True)).to_be_visible()
    page.get_by_label("Reason").fill(REASON)
    page.get_by_role("button", name="Ban", exact=True).click()
    expect(page.get_by_text("Banned", exact=True)).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text=REASON)).to_be_visible()
    _nothing_ran(page, dialogs)

    page.goto("/admin/audit")
    page.get_by_label("Target").fill(user.username)
    page.get_by_label("Target").press("Enter")
    rows = page.get_by_role("row")
    expect(rows.filter(has_text="user.login").first).to_contain_text(AGENT)
    expect(rows.filter(has_text="admin.ban")).to_contain_text(REASON)
    _nothing_ran(page, dialogs)
