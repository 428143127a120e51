"""``api.cors``: which origins are trusted with credentials in each mode (the rule behind
credentialed CORS and the CSRF origin check); the HTTP behaviour is pinned in
``tests/rest/test_cookie_mode.py``."""

from __future__ import annotations

import pytest

from quillpress.api.cors import credentialed, listed_origins
from quillpress.config import Settings

SECRET = "s" + "0123456789abcdefghijklmnopqrstuvwxyz"
LOOPBACK = ["http://localhost:3000", "http://127.0.0.1", "https://[::1]:8443", "http://LocalHost:1"]
NOT_LOOPBACK = [
    "null",
    "https://app.example",
    "http://localhost.evil.example",
    "http://127.0.0.1.evil.example",
    "http://127.0.0.2:3000",
    "ftp://localhost",
    "http://localhost:3000/path",
]


def trusted(settings: Settings, origin: str) -> bool:
    return credentialed(origin, settings, listed_origins(settings))


@pytest.mark.parametrize("origin", LOOPBACK)
def test_development_trusts_loopback_origins(origin: str) -> None:
    assert trusted(Settings(env="development"), origin)


@pytest.mark.parametrize("origin", NOT_LOOPBACK)
def test_development_trusts_no_other_origin_by_default(origin: str) -> None:
    assert not trusted(Settings(env="development"), origin)
    assert not trusted(Settings(env="development", cors_origins=["*"]), origin)


@pytest.mark.parametrize("origin", [*LOOPBACK, *NOT_LOOPBACK])
def test_production_trusts_nothing_unless_listed(origin: str) -> None:
    assert not trusted(Settings(env="production", secret_key=SECRET), origin)


def test_listed_origins_are_trusted_in_either_mode_as_browsers_spell_them() -> None:
    listed = ["https://App.example/", "https://b.example:8443"]
    for env in ("development", "production"):
        settings = Settings(env=env, secret_key=SECRET, cors_origins=listed)
        assert trusted(settings, "https://app.example")
        assert trusted(settings, "https://b.example:8443")
        assert not trusted(settings, "https://b.example")
        assert trusted(settings, "http://localhost:3000") is (env == "development")
