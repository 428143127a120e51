"""Swagger UI's Authorize button works: a user of /docs can paste a token and call an
authenticated operation from the page.

Driven with Playwright (its wheel carries the driver) against Debian's Chromium, since
browser downloads (``playwright install``) cannot work here. The same call is made before
authorizing too, so the test proves the token the dialog took is what turns 401 into 200.

``QUILLPRESS_SWAGGER_SCREENSHOT=docs/img/swagger.png`` also saves the page afterwards (the
screenshot in docs/api/rest.md is made this way).
"""

from __future__ import annotations

import os

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

TIMEOUT_MS = 20_000
OPERATION = "#operations-User_and_Authentication-GetCurrentUser"


def register(server_url: str, username: str) -> str:
    response = httpx.post(
        f"{server_url}/api/users",
        json={
            "user": {
                "username": username,
                "email": f"{username}@example.com",
                "password": "swagger-pw-123",
            }
        },
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["user"]["token"]
    return token


def execute(page: Page, operation: Locator, *, expect_status: int) -> str | None:
    """Press Execute, wait until the page shows ``expect_status``; return the Authorization
    header the page sent."""
    with page.expect_response(lambda response: response.url.endswith("/api/user")) as sent:
        operation.locator("button.execute").click()
    shown = operation.locator(".live-responses-table tbody .response")
    expect(shown.locator(".response-col_status")).to_have_text(str(expect_status))
    assert sent.value.status == expect_status
    return sent.value.request.headers.get("authorization")


@pytest.mark.parametrize(
    ("scheme", "field", "value"),
    [
        ("Token", "#api_key_value", "Token {token}"),
        ("Bearer", "#auth-bearer-value", "{token}"),
    ],
)
def test_authorize_then_get_current_user(
    browser: Browser, server_url: str, scheme: str, field: str, value: str
) -> None:
    username = f"swagger-{scheme.lower()}"
    token = register(server_url, username)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{server_url}/docs")
        operation = page.locator(OPERATION)
        operation.locator(".opblock-summary").first.click()
        operation.locator("button.try-out__btn").click()

        assert execute(page, operation, expect_status=401) is None

        page.locator(".scheme-container .btn.authorize").click()
        dialog = page.locator(".auth-container").filter(
            has=page.locator("h4 code", has_text=scheme)
        )
        dialog.locator(field).fill(value.format(token=token))
        dialog.locator("button.authorize").click()
        dialog.locator("h6", has_text="Authorized").wait_for()
        page.locator(".modal-ux .close-modal").click()

        assert execute(page, operation, expect_status=200) == f"{scheme} {token}"
        body = operation.locator(".live-responses-table tbody .response-col_description")
        expect(body).to_contain_text(f'"username": "{username}"')
        if target := os.environ.get("QUILLPRESS_SWAGGER_SCREENSHOT"):
            page.screenshot(path=target, full_page=False)
    finally:
        page.close()
