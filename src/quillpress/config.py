"""Settings read from the environment (``QUILLPRESS_*``); nothing here connects or touches disk.

Every knob is documented in the README's configuration table; keep the two in step.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./quillpress.db"


class CacheMode(StrEnum):
    REDIS = "redis"
    MEMORY = "memory"
    OFF = "off"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste (``postgres://``, ``postgresql://``, ``sqlite://``)
    and point them at the async drivers this service runs on."""
    for prefix, replacement in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgresql+psycopg://", "postgresql+asyncpg://"),
        ("postgresql+psycopg2://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(prefix):
            return replacement + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUILLPRESS_", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("QUILLPRESS_DATABASE_URL", "DATABASE_URL"),
    )
    database_echo: bool = False
    database_pool_size: int = Field(default=10, ge=1, le=200)

    secret_key: SecretStr | None = None
    secret_file: str = ".quillpress-secret"  # noqa: S105 (a path, not a secret)
    jwt_algorithm: str = "HS256"
    token_lifetime_seconds: int = Field(default=86_400, ge=60, le=31 * 86_400)

    # argon2id cost (RFC 9106 "low memory" profile by default).
    password_time_cost: int = Field(default=3, ge=1, le=20)
    password_memory_kib: int = Field(default=65_536, ge=8, le=4_194_304)
    password_parallelism: int = Field(default=4, ge=1, le=64)
    password_hash_concurrency: int = Field(default=2, ge=1, le=64)

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, ge=1_024)
    default_page_size: int = Field(default=20, ge=1)
    max_page_size: int = Field(default=100, ge=1, le=1_000)
    log_level: str = "INFO"

    # GraphQL protections (a rejected query gets a clear error before anything runs).
    graphql_max_depth: int = Field(default=15, ge=1, le=100)
    graphql_max_aliases: int = Field(default=30, ge=0, le=1_000)
    graphql_max_cost: int = Field(default=10_000, ge=1)
    graphql_introspection: bool | None = None  # default: on in development, off in production
    graphql_debug: bool = False  # SQL statement count and time in each response's extensions
    graphql_document_cache_size: int = Field(default=512, ge=0)

    # Cache (see infra.cache). ``cache`` unset: redis when a Redis URL is given, else memory
    # (the CLI's ``serve --workers`` > 1 turns an implied memory cache off).
    cache: CacheMode | None = None
    redis_url: str | None = None
    cache_ttl_seconds: int = Field(default=300, ge=1, le=86_400)
    redis_timeout_ms: int = Field(default=50, ge=1, le=1_000)
    redis_max_connections: int = Field(default=32, ge=1, le=1_000)
    redis_prefix: str = "qp:"

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _redis_needs_a_url(self) -> Settings:
        if self.cache is CacheMode.REDIS and not self.redis_url:
            raise ValueError("QUILLPRESS_CACHE=redis needs QUILLPRESS_REDIS_URL")
        return self

    @property
    def cache_mode(self) -> CacheMode:
        if self.cache is not None:
            return self.cache
        return CacheMode.REDIS if self.redis_url else CacheMode.MEMORY

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def introspection_enabled(self) -> bool:
        if self.graphql_introspection is not None:
            return self.graphql_introspection
        return not self.is_production

    @property
    def effective_cors_origins(self) -> list[str]:
        """Development allows any origin; production only the configured allow-list."""
        if self.cors_origins:
            return self.cors_origins
        return [] if self.is_production else ["*"]
