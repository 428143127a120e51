"""Settings from the environment (config.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from quillpress.config import (
    DEFAULT_DATABASE_URL,
    Environment,
    Settings,
    normalise_database_url,
)

ENV_NAMES = (
    "QUILLPRESS_DATABASE_URL",
    "DATABASE_URL",
    "QUILLPRESS_CORS_ORIGINS",
    "QUILLPRESS_ENV",
    "QUILLPRESS_CACHE",
    "QUILLPRESS_REDIS_URL",
    "QUILLPRESS_LOG_LEVEL",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/app", "postgresql+asyncpg://u:p@db:5432/app"),
        ("postgresql://u:p@db:5432/app", "postgresql+asyncpg://u:p@db:5432/app"),
        ("postgresql+psycopg://u@db/app", "postgresql+asyncpg://u@db/app"),
        ("postgresql+psycopg2://u@db/app", "postgresql+asyncpg://u@db/app"),
        ("postgresql+asyncpg://u@db/app", "postgresql+asyncpg://u@db/app"),
        ("sqlite:///./quillpress.db", "sqlite+aiosqlite:///./quillpress.db"),
        ("sqlite:////abs/path.db", "sqlite+aiosqlite:////abs/path.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
    # Ids that do not start with a backend name, so the per-database tally is not fooled.
    ids=[
        "url-postgres",
        "url-postgresql",
        "url-psycopg",
        "url-psycopg2",
        "url-asyncpg-unchanged",
        "url-sqlite-relative",
        "url-sqlite-absolute",
        "url-aiosqlite-unchanged",
    ],
)
def test_database_urls_are_normalised_to_async_drivers(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected
    assert Settings(database_url=given).database_url == expected


def test_database_url_defaults_to_local_sqlite() -> None:
    assert Settings().database_url == DEFAULT_DATABASE_URL
    assert DEFAULT_DATABASE_URL.startswith("sqlite+aiosqlite://")


def test_quillpress_database_url_is_read_and_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUILLPRESS_DATABASE_URL", "postgres://a@h/one")
    assert Settings().database_url == "postgresql+asyncpg://a@h/one"


def test_plain_database_url_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://a@h/heroku")
    assert Settings().database_url == "postgresql+asyncpg://a@h/heroku"


def test_quillpress_database_url_wins_over_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://a@h/fallback")
    monkeypatch.setenv("QUILLPRESS_DATABASE_URL", "sqlite:///./mine.db")
    assert Settings().database_url == "sqlite+aiosqlite:///./mine.db"


def test_cors_origins_are_split_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUILLPRESS_CORS_ORIGINS", "https://a.example, https://b.example:8443 ,,  ")
    assert Settings().cors_origins == ["https://a.example", "https://b.example:8443"]


def test_single_cors_origin_is_a_one_item_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUILLPRESS_CORS_ORIGINS", "https://only.example")
    assert Settings().cors_origins == ["https://only.example"]


def test_empty_cors_origins_is_an_empty_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUILLPRESS_CORS_ORIGINS", "")
    assert Settings().cors_origins == []


def test_development_allows_any_origin_by_default() -> None:
    settings = Settings(env="development")
    assert not settings.is_production
    assert settings.effective_cors_origins == ["*"]


def test_production_allows_no_origin_unless_configured() -> None:
    settings = Settings(env="production")
    assert settings.is_production
    assert settings.effective_cors_origins == []


def test_production_uses_the_configured_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUILLPRESS_ENV", "production")
    monkeypatch.setenv("QUILLPRESS_CORS_ORIGINS", "https://app.example")
    settings = Settings()
    assert settings.env is Environment.PRODUCTION
    assert settings.effective_cors_origins == ["https://app.example"]


def test_development_with_configured_origins_uses_only_those() -> None:
    settings = Settings(env="development", cors_origins=["https://dev.example"])
    assert settings.effective_cors_origins == ["https://dev.example"]


def test_unknown_environment_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUILLPRESS_ENV", "staging")
    with pytest.raises(ValueError, match="env"):
        Settings()


def test_log_level_is_upper_cased(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUILLPRESS_LOG_LEVEL", "debug")
    assert Settings().log_level == "DEBUG"


def test_constructing_settings_touches_no_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Settings()
    assert list(tmp_path.iterdir()) == []


def test_the_cache_defaults_to_redis_with_a_url_and_to_memory_without() -> None:
    assert Settings().cache_mode == "memory"
    with_redis = Settings(redis_url="redis://127.0.0.1:6379/0")
    assert with_redis.cache_mode == "redis"
    assert Settings(redis_url="redis://127.0.0.1:6379/0", cache="off").cache_mode == "off"
    assert (with_redis.cache_ttl_seconds, with_redis.redis_timeout_ms) == (300, 50)


def test_a_redis_cache_without_a_url_is_refused() -> None:
    with pytest.raises(ValidationError, match="QUILLPRESS_CACHE=redis needs QUILLPRESS_REDIS_URL"):
        Settings(cache="redis")
