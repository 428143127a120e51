"""Attack-style tests of the REST rate limits, on SQLite and PostgreSQL, limits on with
the defaults unless a test lowers one rule to keep the attack short."""

from __future__ import annotations

import logging

from sqlalchemy import text

from tests.conftest import make_settings
from tests.helpers import PASSWORD, register
from tests.limiting import (
    TOO_MANY,
    assert_rate_limited,
    client_at,
    limiter_log,
    login,
    running,
)


async def test_ten_failed_logins_lock_the_account_for_that_ip_even_with_the_right_password(
    database_url: str,
) -> None:
    async with running(make_settings(database_url)) as app, client_at(app, "198.51.100.7") as http:
        await register(http, "ann")
        for _ in range(10):
            assert (await login(http, "ann", "wrong-password")).status_code == 401
        assert_rate_limited(await login(http, "ann", "wrong-password"), limit=10)
        locked = await login(http, "ann")  # the right password changes nothing while locked
        assert_rate_limited(locked, limit=10)
        async with client_at(app, "198.51.100.8") as elsewhere:  # the owner, from elsewhere
            assert (await login(elsewhere, "ann")).status_code == 200


async def test_a_429_says_when_to_retry(database_url: str) -> None:
    async with running(make_settings(database_url)) as app, client_at(app, "198.51.100.9") as http:
        await register(http, "ann")
        for _ in range(10):
            await login(http, "ann", "wrong-password")
        response = await login(http, "ann", "wrong-password")
        values = assert_rate_limited(response, limit=10)
        assert values["RateLimit-Reset"] <= 300  # the 5-minute window
        assert values["Retry-After"] >= 290  # the oldest failure was just now


async def test_successful_logins_never_count_against_the_failure_rules(database_url: str) -> None:
    async with running(make_settings(database_url)) as app, client_at(app, "198.51.100.10") as http:
        await register(http, "ann")
        for _ in range(25):
            assert (await login(http, "ann")).status_code == 200
        for _ in range(10):  # still ten failures to go before the lockout
            assert (await login(http, "ann", "wrong-password")).status_code == 401
        assert (await login(http, "ann", "wrong-password")).status_code == 429


async def test_brute_force_spread_over_many_ips_hits_the_account_ceiling(
    database_url: str,
) -> None:
    settings = make_settings(database_url, rate_limit_login_account="30/5minutes")
    async with running(settings) as app:
        async with client_at(app, "203.0.113.1") as http:
            await register(http, "victim")
        for attacker in range(10):  # 3 guesses from each of 10 addresses
            async with client_at(app, f"10.0.0.{attacker + 1}") as http:
                for _ in range(3):
                    assert (await login(http, "victim", "guess")).status_code == 401
        async with client_at(app, "10.0.1.1") as fresh:  # a new address gains nothing
            assert_rate_limited(await login(fresh, "victim", "guess"), limit=30)
            assert_rate_limited(await login(fresh, "victim"), limit=30)
            await register(fresh, "bystander")  # other accounts are not affected
            assert (await login(fresh, "bystander")).status_code == 200


async def test_one_ip_guessing_over_many_accounts_hits_the_ip_ceiling(database_url: str) -> None:
    settings = make_settings(database_url, rate_limit_login_ip="20/5minutes")
    async with running(settings) as app:
        async with client_at(app, "192.0.2.50") as attacker:
            for n in range(20):
                assert (await login(attacker, f"user{n}", "guess")).status_code == 401
            assert_rate_limited(await login(attacker, "someone-new", "guess"), limit=20)
        async with client_at(app, "192.0.2.51") as other:
            assert (await login(other, "someone-new", "guess")).status_code == 401


async def test_registrations_are_limited_per_client_ip(database_url: str) -> None:
    settings = make_settings(database_url, rate_limit_register_ip="3/hour")
    async with running(settings) as app:
        async with client_at(app, "192.0.2.60") as http:
            for n in range(3):
                await register(http, f"bot{n}")
            body = {"user": {"username": "bot9", "email": "bot9@example.com", "password": PASSWORD}}
            refused = await http.post("/api/users", json=body)
            assert_rate_limited(refused, limit=3)
        async with client_at(app, "192.0.2.61") as other:
            await register(other, "human")


async def test_writes_are_limited_per_user_and_reads_are_not(database_url: str) -> None:
    settings = make_settings(database_url, rate_limit_writes_user="5/minute")
    async with running(settings) as app, client_at(app, "192.0.2.70") as http:
        ann = await register(http, "ann")
        bob = await register(http, "bob")
        for _ in range(3):  # five writes: follow/unfollow, a profile edit…
            assert (await http.post("/api/profiles/bob/follow", headers=ann)).status_code == 200
        assert (await http.delete("/api/profiles/bob/follow", headers=ann)).status_code == 200
        edit = {"user": {"bio": "fifth write"}}
        assert (await http.put("/api/user", json=edit, headers=ann)).status_code == 200
        article = {"article": {"title": "Sixth", "description": "d", "body": "b"}}
        refused = await http.post("/api/articles", json=article, headers=ann)
        assert_rate_limited(refused, limit=5)
        assert (await http.get("/api/articles", headers=ann)).status_code == 200  # reads pass
        assert (await http.get("/api/user", headers=ann)).status_code == 200
        assert (await http.post("/api/articles", json=article, headers=bob)).status_code == 201
        # GraphQL mutations draw on the same budget (one per mutation field).
        mutation = {"query": 'mutation { follow(username: "bob") { username } }'}
        graphql = await http.post("/graphql", json=mutation, headers=ann)
        assert graphql.status_code == 429
        assert graphql.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_rate_limits_off_turns_every_rule_off(database_url: str) -> None:
    settings = make_settings(database_url, rate_limits="off")
    async with running(settings) as app, client_at(app, "192.0.2.80") as http:
        await register(http, "ann")
        for _ in range(15):
            assert (await login(http, "ann", "wrong-password")).status_code == 401
        assert (await login(http, "ann")).status_code == 200


async def test_a_lockout_is_logged_once_and_recorded_in_the_audit_log(database_url: str) -> None:
    async with running(make_settings(database_url)) as app, client_at(app, "192.0.2.90") as http:
        await register(http, "ann")
        with limiter_log() as log:
            for _ in range(14):  # 10 failures, the lockout, then 4 refused attempts
                await login(http, "Ann", "wrong-password")  # the key is the account found
        lockouts = log.extras("rate limit lockout")
        assert len(lockouts) == 1, log.messages()
        assert lockouts[0]["levelno"] == logging.WARNING
        assert lockouts[0]["rule"] == "login_account_ip"
        assert lockouts[0]["account"] == "user:ann"
        assert lockouts[0]["ip"] == "192.0.2.90"
        async with app.state.resources.database.read() as conn:
            rows = (
                await conn.execute(
                    text("SELECT target, ip, outcome, detail FROM audit_event WHERE action = :a"),
                    {"a": "rate.lockout"},
                )
            ).all()
        assert [(r.target, r.ip, r.outcome) for r in rows] == [
            ("user:ann", "192.0.2.90", "failure")
        ]
        assert "login_account_ip" in str(rows[0].detail)


async def test_a_refused_request_has_the_realworld_body(database_url: str) -> None:
    settings = make_settings(database_url, rate_limit_register_ip="1/hour")
    async with running(settings) as app, client_at(app, "192.0.2.99") as http:
        await register(http, "ann")
        body = {"user": {"username": "bob", "email": "bob@example.com", "password": PASSWORD}}
        response = await http.post("/api/users", json=body)
        assert response.status_code == 429
        assert response.json() == TOO_MANY
        assert response.headers["content-type"].startswith("application/json")
