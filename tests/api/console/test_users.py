"""The users pages and their actions, each checked by its effect through the API: a ban
with a reason refuses the user's token at their next request; unban, promote, demote,
the last-admin refusal as a notice; revoking one session or all."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.api.console.conftest import post_form
from tests.helpers import register, sign_in

Headers = dict[str, str]


async def test_the_user_list_searches_filters_and_links_each_user(
    admin: httpx.AsyncClient,
) -> None:
    for name in ("ann", "annie", "bob"):
        await register(admin, name)
    page = await admin.get("/admin/users?q=AnN")
    assert page.status_code == 200
    assert "<title>Users — Quillpress admin</title>" in page.text
    assert '<label for="q">Search users</label>' in page.text
    assert 'href="/admin/users/ann"' in page.text
    assert 'href="/admin/users/annie"' in page.text
    assert 'href="/admin/users/bob"' not in page.text
    admins = await admin.get("/admin/users?role=admin")
    assert 'href="/admin/users/root"' in admins.text
    assert 'href="/admin/users/ann"' not in admins.text


async def test_the_user_list_pages_keep_the_filters(admin: httpx.AsyncClient) -> None:
    for index in range(27):
        await register(admin, f"user{index:02d}")
    first = await admin.get("/admin/users?q=user")
    assert "1 to 25 of 27 users" in first.text
    assert 'href="/admin/users?q=user&amp;offset=25"' in first.text
    second = await admin.get("/admin/users?q=user&offset=25")
    assert "26 to 27 of 27 users" in second.text
    assert 'href="/admin/users?q=user"' in second.text  # back to the first page
    bad = await admin.get("/admin/users?offset=minus-one")
    assert bad.status_code == 422
    assert "offset: must be a whole number" in bad.text


async def test_a_ban_with_a_reason_refuses_the_user_s_token_at_the_next_request(
    admin: httpx.AsyncClient,
) -> None:
    ann = await register(admin, "ann")
    assert (await admin.get("/api/user", headers=ann)).status_code == 200
    response = await post_form(
        admin, "/admin/users/ann", "/admin/users/ann", action="ban", reason="spam <b>links</b>"
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/users/ann?notice=banned"
    assert (await admin.get("/api/user", headers=ann)).status_code == 401
    page = await admin.get(response.headers["location"])
    assert "The user is banned" in page.text
    assert "<strong>Banned</strong>" in page.text
    assert "spam &lt;b&gt;links&lt;/b&gt;" in page.text  # the reason, and in the audit rows
    assert "admin.ban" in page.text
    listed = await admin.get("/admin/users?banned=yes")
    assert 'href="/admin/users/ann"' in listed.text
    unbanned = await post_form(admin, "/admin/users/ann", "/admin/users/ann", action="unban")
    assert unbanned.headers["location"] == "/admin/users/ann?notice=unbanned"
    assert (
        await admin.post(
            "/api/users/login",
            json={"user": {"email": "ann@example.com", "password": "correct-horse-battery"}},
        )
    ).status_code == 200


async def test_promote_and_demote_apply_at_the_user_s_next_request(
    admin: httpx.AsyncClient,
) -> None:
    ann = await register(admin, "ann")
    promoted = await post_form(admin, "/admin/users/ann", "/admin/users/ann", action="promote")
    assert promoted.headers["location"] == "/admin/users/ann?notice=promoted"
    assert (await admin.get("/api/admin/users", headers=ann)).status_code == 200
    demoted = await post_form(admin, "/admin/users/ann", "/admin/users/ann", action="demote")
    assert demoted.headers["location"] == "/admin/users/ann?notice=demoted"
    assert (await admin.get("/api/admin/users", headers=ann)).status_code == 403


async def test_demoting_the_last_admin_is_refused_with_a_clear_notice(
    admin: httpx.AsyncClient,
) -> None:
    response = await post_form(admin, "/admin/users/root", "/admin/users/root", action="demote")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/users/root?notice=last-admin"
    page = await admin.get(response.headers["location"])
    assert 'role="alert"' in page.text
    assert "last admin" in page.text
    assert "<dt>Role</dt><dd>admin</dd>" in page.text


async def test_a_session_is_revoked_alone_or_with_all_the_others(
    admin: httpx.AsyncClient,
) -> None:
    await register(admin, "ann")
    phone = await sign_in(admin, "ann", agent="Phone/1.0")
    laptop = await sign_in(admin, "ann", agent="Laptop/2.0")
    page = await admin.get("/admin/users/ann")
    assert "Phone/1.0" in page.text
    assert "Laptop/2.0" in page.text
    assert page.text.count(">Revoke</button>") == 3  # the registration's session too
    sessions = await admin.get("/api/user/sessions", headers=phone)
    phone_id = next(s["id"] for s in sessions.json()["sessions"] if s["current"])
    revoked = await post_form(admin, "/admin/users/ann", f"/admin/users/ann/sessions/{phone_id}")
    assert revoked.headers["location"] == "/admin/users/ann?notice=session-revoked"
    assert (await admin.get("/api/user", headers=phone)).status_code == 401
    assert (await admin.get("/api/user", headers=laptop)).status_code == 200
    again = await post_form(admin, "/admin/users/ann", f"/admin/users/ann/sessions/{phone_id}")
    assert again.headers["location"] == "/admin/users/ann?notice=session-gone"
    every = await post_form(admin, "/admin/users/ann", "/admin/users/ann/sessions")
    assert every.headers["location"] == "/admin/users/ann?notice=sessions-revoked"
    assert (await admin.get("/api/user", headers=laptop)).status_code == 401
    assert "No live session." in (await admin.get("/admin/users/ann")).text


async def test_an_unknown_user_is_a_not_found_page(admin: httpx.AsyncClient) -> None:
    page = await admin.get("/admin/users/nobody")
    assert page.status_code == 404
    assert "<title>Not found — Quillpress admin</title>" in page.text


async def test_a_demoted_admin_is_refused_from_the_next_page(
    app: FastAPI, admin: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    from tests.api.console.conftest import sign_in as console_sign_in

    await register(admin, "ann")
    await post_form(admin, "/admin/users/ann", "/admin/users/ann", action="promote")
    async with browser:
        await console_sign_in(browser, "ann")
        assert (await browser.get("/admin/users")).status_code == 200
        await post_form(admin, "/admin/users/ann", "/admin/users/ann", action="demote")
        refused = await browser.get("/admin/users")
        assert refused.status_code == 403
        assert "Forbidden" in refused.text
