"""Who gets in: the sign-in page for a visitor, the console for an admin, a 403 page for
everyone else; sign-out ends the session."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.console.backstage import Account, Backstage
from tests.console.steps import TITLE, sign_in


def test_an_anonymous_visitor_is_sent_to_the_sign_in_page(page: Page) -> None:
    page.goto("/admin/users")
    expect(page).to_have_url(re.compile(r"/admin/sign-in"))
    expect(page).to_have_title(TITLE)
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()


def test_an_admin_signs_in_and_out(page: Page, admin: Account) -> None:
    page.goto("/admin/users")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(admin.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))  # back where they were going
    expect(page.get_by_label("Search users")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/admin/sign-in"))
    page.goto("/admin/users")
    expect(page).to_have_url(re.compile(r"/admin/sign-in"))


def test_a_signed_in_non_admin_gets_the_forbidden_page(page: Page, staff: Backstage) -> None:
    user = staff.register("reader")
    sign_in(page, user)
    response = page.goto("/admin/users")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_text("Forbidden")).to_be_visible()
    expect(page).to_have_title(TITLE)
    expect(page.get_by_label("Search users")).to_have_count(0)
