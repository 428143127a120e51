"""Moderating accounts in the console: find, ban, unban, revoke, demote; each takes effect
for the REST API at the next request and leaves its audit row."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.console.backstage import Account, Backstage


def test_typing_part_of_a_name_finds_the_user(
    admin_page: Page, staff: Backstage, admin: Account
) -> None:
    wanted = staff.register("findme")
    other = staff.register("other")
    page = admin_page
    page.goto("/admin/users")
    search = page.get_by_label("Search users")
    search.fill(wanted.username[2:-2])  # a part from the middle of the name
    search.press("Enter")
    expect(page.get_by_role("link", name=wanted.username, exact=True)).to_have_attribute(
        "href", f"/admin/users/{wanted.username}"
    )
    expect(page.get_by_role("link", name=other.username, exact=True)).to_have_count(0)
    page.get_by_role("link", name=wanted.username, exact=True).click()
    expect(page).to_have_url(re.compile(f"/admin/users/{wanted.username}$"))
