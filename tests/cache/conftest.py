"""Cache fixtures: each test runs with the in-process store and with real Redis (its own
key prefix, deleted afterwards); the Redis leg skips when ``QUILLPRESS_TEST_REDIS_URL``
is unset (and fails with ``CI=true``, through the ``redis_server`` fixture)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from quillpress.config import Settings
from tests.conftest import make_settings

SettingsFactory = Callable[..., Settings]


@pytest.fixture(params=["memory", "redis"])
def cache_mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def redis_settings(request: pytest.FixtureRequest) -> dict[str, object]:
    """Settings values selecting this test's own slice of the shared Redis. The timeout is
    generous here: these tests pin what a working Redis does (hits, single flight), and on a
    loaded machine 50 ms would turn some reads into bypasses. ``test_redis_failure.py``
    keeps the production timeout for what a failing Redis does."""
    return {
        "cache": "redis",
        "redis_url": request.getfixturevalue("redis_server"),
        "redis_prefix": request.getfixturevalue("redis_prefix"),
        "redis_timeout_ms": 1000,
    }


@pytest.fixture
def cached_settings(
    request: pytest.FixtureRequest, database_url: str, cache_mode: str
) -> SettingsFactory:
    """Settings for an app with the cache on, in this test's mode (extra values on top)."""
    values: dict[str, object] = {"cache": "memory"}
    if cache_mode == "redis":
        values = request.getfixturevalue("redis_settings")

    def build(**overrides: object) -> Settings:
        return make_settings(database_url, **{**values, **overrides})

    return build


@pytest.fixture
def settings(cached_settings: SettingsFactory) -> Settings:
    """The ``app`` and ``client`` fixtures of this directory run with the cache on."""
    return cached_settings()
