"""The console's tests drive it as a browser without JavaScript would: a cookie jar,
form posts with the page's hidden CSRF field and the app's own Origin."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import PASSWORD, make_admin

OWN = "http://testserver"
FORM = {"Origin": OWN}
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


async def sign_in(
    client: httpx.AsyncClient, name: str, *, next_path: str = "/admin/users"
) -> httpx.Response:
    """Post the sign-in form as the browser does (the cookie lands in the client's jar)."""
    return await client.post(
        "/admin/sign-in",
        data={"email": f"{name}@example.com", "password": PASSWORD, "next": next_path},
        headers=FORM,
    )


def csrf_of(page: httpx.Response) -> str:
    """The hidden ``csrf_token`` of a page's forms."""
    found = CSRF_FIELD.search(page.text)
    assert found, page.text
    return found.group(1)


async def post_form(
    client: httpx.AsyncClient, page: str, to: str, /, **fields: str
) -> httpx.Response:
    """Open ``page``, then post ``fields`` and its CSRF token to ``to`` (a form's action)."""
    opened = await client.get(page)
    assert opened.status_code == 200, opened.text
    return await client.post(to, data={"csrf_token": csrf_of(opened), **fields}, headers=FORM)


@pytest.fixture
async def admin(app: FastAPI, client: httpx.AsyncClient) -> httpx.AsyncClient:
    """``client`` signed into the console as the admin ``root``."""
    await make_admin(app, client, "root")
    response = await sign_in(client, "root")
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
async def browser(app: FastAPI) -> httpx.AsyncClient:
    """A second cookie jar on the same app (another person's browser)."""
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url=OWN)
