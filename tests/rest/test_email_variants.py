"""Spellings of one email address are one account, on SQLite and PostgreSQL alike:
fullwidth letters, compatibility forms (the ``ﬁ`` ligature, circled letters), ``ß``
and ``ss``, case, surrounding spaces. The rate limits count the account the address
found, so a locked account stays locked through every spelling, and an address that
names no account is counted in its normalised form. ``İ`` folds to ``i̇`` (i with a
combining dot), never to a plain ``i``: PostgreSQL's ``lower()`` said ``i``, and signing
in through ``alİ@…`` to the account ``ali@…`` bypassed its lockout."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from tests.conftest import make_settings
from tests.helpers import PASSWORD
from tests.limiting import assert_rate_limited, client_at, running

FIONA = "fiona.straße@example.com"
FIONA_VARIANTS = [
    "FIONA.STRASSE@EXAMPLE.COM",  # case, and ß written ss
    "\ufb01ona.strasse@example.com",  # the ﬁ ligature (an NFKC compatibility form)
    "\uff46\uff49\uff4f\uff4e\uff41.straße@example.com",  # fullwidth letters
    "\u24d5iona.straße@example.com",  # a circled letter
    "  fiona.straße@example.com\t",  # surrounding spaces
    "fiona.straße\uff20example.com",  # a fullwidth at sign
]
INCI = "İnci@example.com"
INCI_VARIANTS = ["i\u0307nci@example.com", "İNCI@example.com", " \u0130nci@EXAMPLE.com "]


async def _register(http: httpx.AsyncClient, username: str, email: str) -> httpx.Response:
    body = {"user": {"username": username, "email": email, "password": PASSWORD}}
    return await http.post("/api/users", json=body)


async def _login(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await http.post(
        "/api/users/login", json={"user": {"email": email, "password": password}}
    )


async def test_every_spelling_signs_in_to_the_account_which_keeps_the_address_as_given(
    database_url: str,
) -> None:
    async with running(make_settings(database_url)) as app, client_at(app, "192.0.2.20") as http:
        assert (await _register(http, "fiona", FIONA)).status_code == 201
        assert (await _register(http, "inci", INCI)).status_code == 201
        for email in [FIONA, *FIONA_VARIANTS]:
            response = await _login(http, email)
            assert response.status_code == 200, (email, response.text)
            assert response.json()["user"]["email"] == FIONA
        for email in INCI_VARIANTS:
            assert (await _login(http, email)).json()["user"]["username"] == "inci"
        assert (await _login(http, "inci@example.com")).status_code == 401  # a plain i
        async with app.state.resources.database.read() as conn:
            stored = (
                await conn.execute(text("SELECT email, email_normalized FROM app_user ORDER BY id"))
            ).all()
        assert [tuple(row) for row in stored] == [
            (FIONA, "fiona.strasse@example.com"),
            (INCI, "i\u0307nci@example.com"),
        ]


async def test_a_locked_account_stays_locked_through_every_spelling(database_url: str) -> None:
    async with running(make_settings(database_url)) as app, client_at(app, "192.0.2.21") as http:
        assert (await _register(http, "fiona", FIONA)).status_code == 201
        assert (await _register(http, "inci", INCI)).status_code == 201
        spellings = [FIONA, *FIONA_VARIANTS]
        for n in range(10):  # ten failures, spread over the spellings: one budget
            assert (await _login(http, spellings[n % len(spellings)], "wrong")).status_code == 401
        for email in spellings:  # the right password, through any spelling: still locked
            assert_rate_limited(await _login(http, email), limit=10)

        for n in range(10):
            assert (await _login(http, INCI_VARIANTS[n % 3], "wrong")).status_code == 401
        for email in [INCI, *INCI_VARIANTS]:
            assert_rate_limited(await _login(http, email), limit=10)


async def test_a_dotted_capital_i_never_reaches_the_plain_i_account(database_url: str) -> None:
    """The reported bypass: ``ali``'s account locked, the right password through
    ``alİ@…`` (PostgreSQL's ``lower()`` matched it to ``ali@…``, the limiter did not)."""
    async with running(make_settings(database_url)) as app, client_at(app, "192.0.2.22") as http:
        assert (await _register(http, "ali", "ali@example.com")).status_code == 201
        assert (await _login(http, "alİ@example.com")).status_code == 401  # not this account
        for _ in range(10):
            await _login(http, "ali@example.com", "wrong")
        assert_rate_limited(await _login(http, "ali@example.com"), limit=10)
        for email in ["alİ@example.com", "ALİ@example.com", "ali\u0307@example.com"]:
            assert (await _login(http, email)).status_code == 401, email


async def test_an_unknown_address_is_counted_in_its_normalised_form(database_url: str) -> None:
    async with running(make_settings(database_url)) as app, client_at(app, "192.0.2.23") as http:
        spellings = [
            "ghost.straße@example.com",
            "GHOST.STRASSE@example.com",
            " ghost.strasse@example.com",
        ]
        for n in range(10):
            assert (await _login(http, spellings[n % 3], "guess")).status_code == 401
        for email in spellings:
            assert_rate_limited(await _login(http, email, "guess"), limit=10)


async def test_registering_or_taking_a_spelling_of_a_used_address_is_refused(
    database_url: str,
) -> None:
    async with running(make_settings(database_url)) as app, client_at(app, "192.0.2.24") as http:
        assert (await _register(http, "fiona", FIONA)).status_code == 201
        for n, email in enumerate(FIONA_VARIANTS):
            response = await _register(http, f"other{n}", email)
            if "\uff20" in email:  # not an address at all until normalised: invalid
                assert response.status_code == 422, response.text
                assert "email" in response.json()["errors"]
            else:
                assert response.status_code == 409, (email, response.text)
                assert response.json() == {"errors": {"email": ["has already been taken"]}}

        other = await _register(http, "ozan", "ozan@example.com")
        headers = {"Authorization": f"Token {other.json()['user']['token']}"}
        taken = await http.put(
            "/api/user", json={"user": {"email": FIONA_VARIANTS[0]}}, headers=headers
        )
        assert taken.status_code == 409
        assert taken.json() == {"errors": {"email": ["has already been taken"]}}
        own = await http.put(
            "/api/user", json={"user": {"email": "OZAN@example.com"}}, headers=headers
        )
        assert own.status_code == 200  # a spelling of one's own address is one's own
        assert own.json()["user"]["email"] == "OZAN@example.com"
        assert (await _login(http, "ozan@example.com")).status_code == 200
