"""Moderating accounts in the console: find, ban, unban, revoke, demote; each takes effect
for the REST API at the next request and leaves its audit row."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.console.backstage import Account, Backstage
from tests.console.rest import admin_user, current_user, log_in, make_sole_admin
from tests.console.steps import open_user


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


def test_a_ban_refuses_the_users_token_at_the_next_request_and_is_audited_then_lifted(
    admin_page: Page, staff: Backstage, admin: Account, api: httpx.Client
) -> None:
    user = staff.register("banned")
    assert current_user(api, user.token).status_code == 200
    page = admin_page
    open_user(page, user.username)
    page.get_by_label("Reason").fill("Spam in every comment")
    page.get_by_role("button", name="Ban", exact=True).click()

    expect(page.get_by_text("Banned", exact=True)).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text="Spam in every comment")).to_be_visible()
    refused = current_user(api, user.token)
    assert refused.status_code == 401, refused.text  # the ban ended every session
    signing_in = api.post(
        "/api/users/login", json={"user": {"email": user.email, "password": user.password}}
    )
    assert signing_in.status_code == 403
    assert signing_in.json()["errors"] == {
        "user": ["banned"],
        "banned": ["Spam in every comment"],
    }

    page.goto("/admin/audit")
    page.get_by_label("Target").fill(user.username)
    page.get_by_label("Action").fill("admin.ban")
    page.get_by_label("Action").press("Enter")
    row = page.get_by_role("row").filter(has_text=f"user:{user.username}")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("admin.ban")
    expect(row).to_contain_text(admin.username)

    open_user(page, user.username)
    page.get_by_role("button", name="Unban").click()
    expect(page.get_by_role("button", name="Ban", exact=True)).to_be_visible()
    expect(page.get_by_text("Banned", exact=True)).to_have_count(0)
    assert admin_user(api, admin, user.username)["banned"] is False
    log_in(api, user, user_agent="after-unban")  # signs in again


def test_revoking_one_session_ends_that_session_only(
    admin_page: Page, staff: Backstage, api: httpx.Client
) -> None:
    user = staff.register("twodevices", user_agent="Desk browser")
    laptop = log_in(api, user, user_agent="Laptop browser")
    page = admin_page
    open_user(page, user.username)
    sessions = page.get_by_role("table", name=re.compile("sessions", re.IGNORECASE))
    expect(sessions.get_by_role("button", name="Revoke", exact=True)).to_have_count(2)
    laptop_row = sessions.get_by_role("row").filter(has_text="Laptop browser")
    expect(laptop_row).to_contain_text("127.0.0.1")
    laptop_row.get_by_role("button", name="Revoke", exact=True).click()

    expect(sessions.get_by_role("button", name="Revoke", exact=True)).to_have_count(1)
    expect(sessions.get_by_role("row").filter(has_text="Laptop browser")).to_have_count(0)
    expect(sessions.get_by_role("row").filter(has_text="Desk browser")).to_have_count(1)
    assert current_user(api, laptop).status_code == 401
    assert current_user(api, user.token).status_code == 200


def test_demoting_the_last_admin_is_refused_with_a_message(
    admin_page: Page, admin: Account, api: httpx.Client
) -> None:
    make_sole_admin(api, admin)
    page = admin_page
    open_user(page, admin.username)
    page.get_by_role("button", name="Demote").click()
    expect(page.get_by_text(re.compile("last admin", re.IGNORECASE))).to_be_visible()
    assert admin_user(api, admin, admin.username)["role"] == "admin"
    page.goto("/admin/users")  # still an admin: the console still answers
    expect(page.get_by_label("Search users")).to_be_visible()
