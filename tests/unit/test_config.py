"""Settings from the environment (config.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from quillpress.config import (
    DEFAULT_DATABASE_URL,
    ENV_PREFIX,
    Environment,
    Settings,
    describe_validation_error,
    mask_url,
    normalise_database_url,
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX) or name == "DATABASE_URL":
            monkeypatch.delenv(name)


def rejection(monkeypatch: pytest.MonkeyPatch, **variables: str) -> str:
    """The one line describing why the environment's settings were refused."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    return describe_validation_error(caught.value)


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


def test_production_refuses_any_origin_in_the_cors_allow_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every listed origin gets credentialed CORS: ``*`` would be every site."""
    assert rejection(monkeypatch, QUILLPRESS_ENV="production", QUILLPRESS_CORS_ORIGINS="*") == (
        "QUILLPRESS_CORS_ORIGINS='*' is refused with QUILLPRESS_ENV=production: '*' would "
        "send credentialed CORS to any site (accepted: the exact origins of your front ends, "
        "comma-separated, e.g. https://blog.example.com)"
    )


def test_the_null_origin_is_refused_in_the_cors_allow_list_in_every_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``null`` is every sandboxed frame's and local file's origin, never one site's."""
    line = rejection(monkeypatch, QUILLPRESS_CORS_ORIGINS="https://app.example, null")
    assert line.startswith(
        "QUILLPRESS_CORS_ORIGINS='https://app.example,null' is refused: 'null' is the origin "
        "of every sandboxed frame and local file, not a site (accepted: "
    )


def test_development_may_list_any_origin_which_means_its_fallback() -> None:
    assert Settings(env="development", cors_origins=["*"]).cors_origins == ["*"]


def test_unknown_environment_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    assert rejection(monkeypatch, QUILLPRESS_ENV="staging") == (
        "QUILLPRESS_ENV='staging' is not supported (accepted: development, production)"
    )


@pytest.mark.parametrize("given", ["PRODUCTION", "Production", " production "])
def test_environment_is_case_insensitive(monkeypatch: pytest.MonkeyPatch, given: str) -> None:
    monkeypatch.setenv("QUILLPRESS_ENV", given)
    assert Settings().env is Environment.PRODUCTION


def test_log_level_is_upper_cased(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUILLPRESS_LOG_LEVEL", "debug")
    assert Settings().log_level == "DEBUG"


def test_unknown_log_level_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    assert rejection(monkeypatch, QUILLPRESS_LOG_LEVEL="LOUD") == (
        "QUILLPRESS_LOG_LEVEL='LOUD' is not supported "
        "(accepted: DEBUG, INFO, WARNING, ERROR, CRITICAL)"
    )


@pytest.mark.parametrize("algorithm", ["HS256", "HS384", "HS512"])
def test_hmac_jwt_algorithms_are_accepted(monkeypatch: pytest.MonkeyPatch, algorithm: str) -> None:
    monkeypatch.setenv("QUILLPRESS_JWT_ALGORITHM", algorithm)
    assert Settings().jwt_algorithm == algorithm


@pytest.mark.parametrize("algorithm", ["none", "RS256", "hs256", "eddsa", ""])
def test_other_jwt_algorithms_are_rejected(monkeypatch: pytest.MonkeyPatch, algorithm: str) -> None:
    assert rejection(monkeypatch, QUILLPRESS_JWT_ALGORITHM=algorithm) == (
        f"QUILLPRESS_JWT_ALGORITHM={algorithm!r} is not supported "
        "(accepted: HS256, HS384, HS512, EdDSA)"
    )


def test_eddsa_without_a_private_key_file_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "QUILLPRESS_JWT_PRIVATE_KEY_FILE" in rejection(
        monkeypatch, QUILLPRESS_JWT_ALGORITHM="EdDSA"
    )


def test_default_page_size_above_the_maximum_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    line = rejection(monkeypatch, QUILLPRESS_DEFAULT_PAGE_SIZE="500")
    assert line == (
        "QUILLPRESS_DEFAULT_PAGE_SIZE=500 is larger than QUILLPRESS_MAX_PAGE_SIZE=100 "
        "(accepted: 1 to 100)"
    )


def test_default_page_size_may_equal_a_raised_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUILLPRESS_DEFAULT_PAGE_SIZE", "500")
    monkeypatch.setenv("QUILLPRESS_MAX_PAGE_SIZE", "500")
    assert Settings().default_page_size == 500


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("garbage", "is not a database URL"),
        ("", "is not a database URL"),
        ("mysql://root@db/app", "names an unsupported database"),
        ("postgresql+pg8000://u@db/app", "names an unsupported database"),
        ("sqlite+pysqlite:///x.db", "names an unsupported database"),
    ],
    ids=["url-garbage", "url-empty", "url-mysql", "url-pg8000", "url-pysqlite"],
)
def test_unusable_database_urls_are_rejected(
    monkeypatch: pytest.MonkeyPatch, given: str, problem: str
) -> None:
    line = rejection(monkeypatch, QUILLPRESS_DATABASE_URL=given)
    assert line.startswith(f"QUILLPRESS_DATABASE_URL={given!r} {problem} (accepted: ")
    assert "sqlite:///" in line
    assert "postgresql://" in line


def test_a_rejected_url_names_the_fallback_variable_it_came_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    line = rejection(monkeypatch, DATABASE_URL="mysql://root@db/app")
    assert line.startswith("DATABASE_URL='mysql://root@db/app' names an unsupported database")


@pytest.mark.parametrize(
    "given",
    ["mysql://root:hunter2@db/app", "postgres//root:hunter2@db/app"],
    ids=["url-unsupported", "url-unparsable"],
)
def test_a_rejected_url_never_shows_its_password(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    line = rejection(monkeypatch, QUILLPRESS_DATABASE_URL=given)
    assert "hunter2" not in line
    assert "root:***@db/app" in line


def test_the_validation_error_itself_hides_rejected_input(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a DEBUG traceback prints: pydantic's own message, without the value."""
    monkeypatch.setenv("QUILLPRESS_DATABASE_URL", "mysql://root:hunter2@db/app")
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert "hunter2" not in str(caught.value)


def test_mask_url_hides_only_the_password() -> None:
    assert mask_url("postgresql://u:pw@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert mask_url("postgresql://u@h/db") == "postgresql://u@h/db"


def test_an_out_of_range_number_names_its_variable_and_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert rejection(monkeypatch, QUILLPRESS_DATABASE_POOL_SIZE="0") == (
        "QUILLPRESS_DATABASE_POOL_SIZE='0' is not accepted: "
        "input should be greater than or equal to 1"
    )


def test_several_bad_values_are_all_named_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    line = rejection(monkeypatch, QUILLPRESS_ENV="staging", QUILLPRESS_LOG_LEVEL="LOUD")
    assert "\n" not in line
    assert "QUILLPRESS_ENV='staging'" in line
    assert "QUILLPRESS_LOG_LEVEL='LOUD'" in line


def test_an_empty_secret_key_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUILLPRESS_SECRET_KEY", "  ")
    assert Settings().secret_key is None


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
