"""Signing in and out of the console: the cookie session, login CSRF (the Origin), the
session-bound CSRF field on every other form, ``next`` kept to the console, admins only,
and the headers of every page (``Referrer-Policy: same-origin``, the strict CSP)."""

from __future__ import annotations

import httpx
import pytest

from quillpress.api.console.forms import safe_next
from tests.api.console.conftest import FORM, csrf_of, post_form, sign_in
from tests.helpers import register


async def test_an_anonymous_visitor_is_sent_to_the_sign_in_form_and_back(
    admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    client.cookies.clear()
    response = await client.get("/admin/users?q=ro")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/sign-in?next=%2Fadmin%2Fusers%3Fq%3Dro"
    form = await client.get(response.headers["location"])
    assert form.status_code == 200
    assert "<title>Sign in — Quillpress admin</title>" in form.text
    assert '<label for="email">Email</label>' in form.text
    assert '<label for="password">Password</label>' in form.text
    assert '<button type="submit">Sign in</button>' in form.text
    assert 'name="next" value="/admin/users?q=ro"' in form.text
    signed = await sign_in(client, "root", next_path="/admin/users?q=ro")
    assert signed.status_code == 303
    assert signed.headers["location"] == "/admin/users?q=ro"
    assert "qp_session" in signed.cookies
    page = await client.get("/admin/users?q=ro")
    assert page.status_code == 200
    assert "root" in page.text


async def test_console_pages_send_their_own_referrer_policy_and_a_strict_csp(
    admin: httpx.AsyncClient,
) -> None:
    for path in ("/admin/sign-in", "/admin/users", "/admin/no-such-page"):
        response = await admin.get(path)
        assert response.headers["referrer-policy"] == "same-origin", path
        assert response.headers["cache-control"] == "no-store", path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp, path
        assert "style-src 'self'" in csp, path
        assert "unsafe-inline" not in csp, path
    redirect = await admin.post("/admin/sign-in", data={}, headers=FORM)
    assert redirect.headers["referrer-policy"] == "same-origin"


async def test_an_unknown_console_path_is_a_page_and_the_trailing_slash_is_forgiven(
    admin: httpx.AsyncClient,
) -> None:
    missing = await admin.get("/admin/no-such-page")
    assert missing.status_code == 404
    assert "<title>Not found — Quillpress admin</title>" in missing.text
    slash = await admin.get("/admin/")
    assert slash.status_code == 303
    assert slash.headers["location"] == "/admin"


async def test_the_stylesheet_is_served_from_the_console(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/static/console.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "origin", [{}, {"Origin": "https://evil.example"}, {"Origin": "null"}], ids=str
)
async def test_the_sign_in_form_refuses_a_missing_or_foreign_origin(
    admin: httpx.AsyncClient, client: httpx.AsyncClient, origin: dict[str, str]
) -> None:
    client.cookies.clear()
    response = await client.post(
        "/admin/sign-in",
        data={"email": "root@example.com", "password": "correct-horse-battery"},
        headers=origin,
    )
    assert response.status_code == 403
    reason = "origin missing" if not origin else "origin not allowed"
    assert f"The form was refused: {reason}" in response.text
    assert "qp_session" not in response.cookies


async def test_wrong_credentials_show_the_form_again_with_a_message(
    admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    client.cookies.clear()
    response = await client.post(
        "/admin/sign-in",
        data={"email": "root@example.com", "password": "wrong password!"},
        headers=FORM,
    )
    assert response.status_code == 401
    assert "Wrong email or password." in response.text
    assert 'value="root@example.com"' in response.text
    assert "qp_session" not in response.cookies


async def test_a_signed_in_non_admin_gets_a_forbidden_page_with_a_way_out(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "ann")
    await sign_in(client, "ann")
    page = await client.get("/admin/users")
    assert page.status_code == 403
    assert "Forbidden" in page.text
    assert "— Quillpress admin</title>" in page.text
    assert 'href="/admin/users"' not in page.text  # no navigation to pages refused anyway
    out = await client.post("/admin/sign-out", data={"csrf_token": csrf_of(page)}, headers=FORM)
    assert out.status_code == 303
    assert out.headers["location"] == "/admin/sign-in?notice=signed-out"


async def test_signing_out_ends_the_session_itself(admin: httpx.AsyncClient) -> None:
    cookie = admin.cookies["qp_session"]
    out = await post_form(admin, "/admin/users", "/admin/sign-out")
    assert out.status_code == 303
    notice = await admin.get(out.headers["location"])
    assert "You have signed out." in notice.text
    admin.cookies.set("qp_session", cookie)  # the old cookie, kept by someone
    again = await admin.get("/admin/users")
    assert again.status_code == 303
    assert again.headers["location"].startswith("/admin/sign-in")
    rest = await admin.get("/api/user", headers={"Authorization": f"Token {cookie}"})
    assert rest.status_code == 401


@pytest.mark.parametrize(
    ("fields", "headers", "reason"),
    [
        ({}, FORM, "token missing"),
        ({"csrf_token": "not-the-token"}, FORM, "token mismatch"),
        ({"csrf_token": "SESSION"}, {"Origin": "https://evil.example"}, "origin not allowed"),
        ({"csrf_token": "SESSION"}, {}, "origin missing"),
    ],
)
async def test_a_form_post_without_the_session_s_token_or_from_elsewhere_is_refused(
    admin: httpx.AsyncClient,
    fields: dict[str, str],
    headers: dict[str, str],
    reason: str,
) -> None:
    page = await admin.get("/admin/users")
    if fields.get("csrf_token") == "SESSION":
        fields = {"csrf_token": csrf_of(page)}
    await register(admin, "ann")
    response = await admin.post(
        "/admin/users/ann", data={**fields, "action": "ban"}, headers=headers
    )
    assert response.status_code == 403
    assert "Forbidden" in response.text
    assert f"The form was refused: {reason}" in response.text
    listed = await admin.get("/admin/users?banned=yes")
    assert "/admin/users/ann" not in listed.text


async def test_the_referer_stands_in_for_a_missing_origin_as_for_the_api(
    admin: httpx.AsyncClient,
) -> None:
    """A browser under ``same-origin`` may send only ``Referer``: it is the same proof."""
    page = await admin.get("/admin/users")
    response = await admin.post(
        "/admin/sign-out",
        data={"csrf_token": csrf_of(page)},
        headers={"Referer": "http://testserver/admin/users"},
    )
    assert response.status_code == 303


@pytest.mark.parametrize(
    ("asked", "followed"),
    [
        ("/admin/users?q=a", "/admin/users?q=a"),
        ("/admin", "/admin"),
        ("https://evil.example/admin", "/admin"),
        ("//evil.example/admin", "/admin"),
        ("/admin//evil.example", "/admin"),
        ("/admin/../api/user", "/admin"),
        ("/administrator", "/admin"),
        ("/admin\\@evil.example", "/admin"),
        ("javascript:alert(1)", "/admin"),
        ("", "/admin"),
        (None, "/admin"),
    ],
)
def test_next_only_ever_leads_to_a_console_path(asked: str | None, followed: str) -> None:
    assert safe_next(asked) == followed


async def test_sign_in_refuses_to_follow_next_off_the_console(
    admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    client.cookies.clear()
    response = await sign_in(client, "root", next_path="https://evil.example/admin")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin"


async def test_a_banned_user_cannot_sign_in_and_is_told_so(
    admin: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    await register(admin, "ann")
    await post_form(admin, "/admin/users/ann", "/admin/users/ann", action="ban", reason="spam")
    async with browser:
        response = await sign_in(browser, "ann")
    assert response.status_code == 403
    assert "This account is banned. Reason: spam" in response.text


async def test_the_sign_in_form_is_held_to_the_login_rate_limits(
    admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    """Ten failures per account and address (the default rule), then even the right
    password waits: the same lockout as ``POST /api/users/login``."""
    client.cookies.clear()
    wrong = {"email": "root@example.com", "password": "not the password"}
    for _ in range(10):
        response = await client.post("/admin/sign-in", data=wrong, headers=FORM)
        assert response.status_code == 401
    locked = await sign_in(client, "root")
    assert locked.status_code == 429
    assert "Too many attempts" in locked.text
    assert int(locked.headers["retry-after"]) >= 1
    assert "qp_session" not in locked.cookies
