"""A form post that did not come from the console's own page changes nothing: no CSRF
token, another session's token, or another site's Origin (the sign-in form included:
login CSRF)."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, BrowserContext, Page

from quillpress.domain.auth import Role
from tests.console.backstage import Account, Backstage
from tests.console.rest import admin_user
from tests.console.steps import form_of, open_user, sign_in

FOREIGN_ORIGIN = "http://attacker.example"


def _token_of_another_session(
    browser: Browser, console_url: str, staff: Backstage, username: str
) -> str:
    """The CSRF token another admin's console session puts in the same form."""
    other = browser.new_context(base_url=console_url)
    try:
        page = other.new_page()
        sign_in(page, staff.register("admin", role=Role.ADMIN))
        open_user(page, username)
        return str(form_of(page, "Ban")[1]["csrf_token"])
    finally:
        other.close()


def test_a_form_post_without_the_csrf_token_or_from_another_origin_is_refused(
    admin_page: Page,
    browser: Browser,
    context: BrowserContext,
    admin: Account,
    staff: Backstage,
    console_url: str,
    api: httpx.Client,
) -> None:
    user = staff.register("target")
    open_user(admin_page, user.username)
    admin_page.get_by_label("Reason").fill("forged")
    action, fields = form_of(admin_page, "Ban")
    assert fields.get("csrf_token")
    tokenless = {name: value for name, value in fields.items() if name != "csrf_token"}

    # The context's request API sends the console's session cookie, as a browser would
    # with a form another site makes it post.
    posts = {
        "no token": context.request.post(
            action, form=tokenless, headers={"Origin": console_url}, max_redirects=0
        ),
        "foreign origin": context.request.post(
            action, form=fields, headers={"Origin": FOREIGN_ORIGIN}, max_redirects=0
        ),
        "another session's token": context.request.post(
            action,
            form={
                **fields,
                "csrf_token": _token_of_another_session(browser, console_url, staff, user.username),
            },
            headers={"Origin": console_url},
            max_redirects=0,
        ),
    }
    assert {name: response.status for name, response in posts.items()} == dict.fromkeys(posts, 403)
    assert admin_user(api, admin, user.username)["banned"] is False

    # The same post with the page's token and Origin is accepted: the refusals above were
    # for the token and the Origin, nothing else.
    accepted = context.request.post(
        action, form=fields, headers={"Origin": console_url}, max_redirects=0
    )
    assert accepted.status == 303
    assert admin_user(api, admin, user.username)["banned"] is True


def test_the_sign_in_form_refuses_another_sites_origin(
    page: Page, context: BrowserContext, admin: Account
) -> None:
    page.goto("/admin/sign-in")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(admin.password)
    action, fields = form_of(page, "Sign in")
    response = context.request.post(
        action, form=fields, headers={"Origin": FOREIGN_ORIGIN}, max_redirects=0
    )
    assert response.status == 403
    assert not [cookie for cookie in context.cookies() if "qp_session" in cookie["name"]]
