"""Sessions and rate limits are the cluster's, not an instance's: both live in the
topology's database and Redis, so what one instance decides the other enforces."""

from __future__ import annotations

import httpx

from tests.cluster.conftest import unique
from tests.helpers import register, sign_in

INVALID_TOKEN = {"errors": {"token": ["is invalid"]}}
FAILED_LOGINS_ALLOWED = 10  # the default rule: failed logins per account and address


async def test_a_session_revoked_on_one_instance_is_refused_on_the_other(
    instances: list[httpx.AsyncClient],
) -> None:
    first, second = instances[:2]
    name = unique("ann")
    laptop = await register(first, name)
    phone = await sign_in(first, name)
    for _ in range(2):  # the second instance has looked the session up (and cached it)
        assert (await second.get("/api/user", headers=phone)).status_code == 200
    listed = (await first.get("/api/user/sessions", headers=phone)).json()["sessions"]
    phone_id = next(entry["id"] for entry in listed if entry["current"])
    assert (await first.delete(f"/api/user/sessions/{phone_id}", headers=laptop)).status_code == 204
    refused = await second.get("/api/user", headers=phone)
    assert refused.status_code == 401
    assert refused.json() == INVALID_TOKEN
    assert (await second.get("/api/user", headers=laptop)).status_code == 200


async def test_failed_logins_are_counted_across_instances(
    instances: list[httpx.AsyncClient],
) -> None:
    """Ten failed logins for one account from 127.0.0.1, alternating between the two
    instances: the eleventh attempt is refused with 429, whichever instance it reaches."""
    first, second = instances[:2]
    name = unique("target")
    await register(first, name)
    wrong = {"user": {"email": f"{name}@example.com", "password": "not-the-password"}}
    for attempt in range(FAILED_LOGINS_ALLOWED):
        client = (first, second)[attempt % 2]
        response = await client.post("/api/users/login", json=wrong)
        assert response.status_code == 401, (attempt, response.text)
    for client in (first, second):
        limited = await client.post("/api/users/login", json=wrong)
        assert limited.status_code == 429, limited.text
