"""The limiter on its own, in memory: named rules, exact counting, cost weighting, and
the values a refusal carries for the ``Retry-After`` and ``RateLimit-*`` headers."""

from __future__ import annotations

import pytest

from quillpress.config import Settings
from quillpress.domain.errors import RateLimited
from quillpress.infra.limits import Limiter


def _limiter(**rules: str) -> Limiter:
    return Limiter.from_settings(Settings(**rules))  # type: ignore[arg-type]


async def test_the_hit_past_the_limit_is_refused_with_what_the_headers_need() -> None:
    limiter = _limiter(rate_limit_register_ip="3/hour")
    try:
        for _ in range(3):
            await limiter.hit("register_ip", "192.0.2.1")
        with pytest.raises(RateLimited) as refused:
            await limiter.hit("register_ip", "192.0.2.1")
        error = refused.value
        assert (error.rule, error.limit, error.remaining) == ("register_ip", 3, 0)
        assert 3_590 <= error.retry_after <= 3_600
        assert error.reset_seconds == 3_600
        assert error.headers() == {
            "Retry-After": str(error.retry_after),
            "RateLimit-Limit": "3",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": "3600",
        }
        await limiter.hit("register_ip", "192.0.2.2")  # another key has its own quota
    finally:
        await limiter.close()


async def test_check_counts_nothing() -> None:
    limiter = _limiter(rate_limit_login_ip="2/minute")
    try:
        for _ in range(5):
            await limiter.check("login_ip", "192.0.2.1")
        window = await limiter.hit("login_ip", "192.0.2.1", report=True)
        assert window is not None
        assert window.remaining == 1
    finally:
        await limiter.close()


async def test_cost_is_charged_by_weight() -> None:
    limiter = _limiter(rate_limit_graphql_cost="1000/minute")
    try:
        await limiter.hit("graphql_cost", "ip:192.0.2.1", cost=600)
        await limiter.hit("graphql_cost", "ip:192.0.2.1", cost=400)
        with pytest.raises(RateLimited):
            await limiter.hit("graphql_cost", "ip:192.0.2.1", cost=1)
    finally:
        await limiter.close()


async def test_rate_limits_off_knows_no_rules() -> None:
    limiter = Limiter.from_settings(Settings(rate_limits="off"))  # type: ignore[arg-type]
    assert not limiter.enabled
    for _ in range(1_000):
        assert await limiter.hit("login_account_ip", "ann@example.com", "192.0.2.1") is None
    await limiter.close()


@pytest.mark.parametrize("value", ["10/5minutes", "300 per minute", "50/hour", "1/second"])
def test_a_rule_is_one_limits_rate(value: str) -> None:
    assert Settings(rate_limit_writes_user=value).rate_limit_writes_user == value


@pytest.mark.parametrize(("raw", "on"), [("on", True), ("off", False), ("OFF", False)])
def test_the_switch_reads_on_and_off(raw: str, on: bool) -> None:
    assert Settings(rate_limits=raw).rate_limits is on  # type: ignore[arg-type]


def test_trusted_proxies_are_ips_or_networks() -> None:
    settings = Settings(trusted_proxies=" 127.0.0.1, 10.0.0.0/8 ,::1")  # type: ignore[arg-type]
    assert settings.trusted_proxies == ["127.0.0.1", "10.0.0.0/8", "::1"]
    assert Settings().trusted_proxies == []


async def test_rules_with_the_same_rate_over_the_same_key_count_apart() -> None:
    limiter = _limiter(rate_limit_login_ip="2/hour", rate_limit_register_ip="2/hour")
    try:
        for _ in range(2):
            await limiter.hit("register_ip", "192.0.2.1")
        await limiter.check("login_ip", "192.0.2.1")  # the registrations are not logins
        await limiter.hit("login_ip", "192.0.2.1")
    finally:
        await limiter.close()
