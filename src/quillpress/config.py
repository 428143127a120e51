"""Settings read from the environment (``QUILLPRESS_*``); nothing here connects or touches disk.

Every value is validated here, so a bad one is reported before anything starts: the
CLI turns a ``ConfigurationError`` into one line naming the variable, the value
(secrets masked) and what is accepted. Every knob is documented by the docstring under its
field (the documentation's configuration reference is generated from them; a field without
one fails the docs build) and in ``.env.example``; keep the two in step.

Size: one field and one docstring per setting (the configuration reference is generated from
them), in one class so every setting is in one place.
"""

from __future__ import annotations

import difflib
import importlib.util
import ipaddress
import os
import re
from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import Annotated, Any, Literal, Self, get_args, get_origin
from urllib.parse import urlsplit

from limits import parse as parse_limit
from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from quillpress.cpus import available_cpus

ENV_PREFIX = "QUILLPRESS_"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./quillpress.db"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
DATABASE_URL_FORMS = "sqlite:///path/to/file.db, postgresql://user:password@host:5432/name"
REDIS_URL_FORMS = (
    "redis://[:password@]host:6379/0, rediss://host:6380/0, unix:///path/to/redis.sock"
)
MASK = "***"
TRACE_EXPORTERS = ("otlp", "console", "none")
LIMIT_FORMS = "10/5minutes, 50/hour, 300 per minute"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
# EdDSA (Ed25519, a key pair from QUILLPRESS_JWT_PRIVATE_KEY_FILE) next to the HMAC family.
JwtAlgorithm = Literal["HS256", "HS384", "HS512", "EdDSA"]


class ConfigurationError(Exception):
    """A setting, or what it points at, that stops the service from starting.

    The message is one line a person can act on; commands exit with status 2. (A value
    ``Settings`` itself rejects is a pydantic ``ValidationError``, described by
    ``describe_validation_error``.)"""


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


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***``, also when it does not parse."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(//[^/@:]*:)[^/@]*@", rf"\1{MASK}@", url)


def database_url_variable() -> str:
    """The variable the database URL was read from (``DATABASE_URL`` is the fallback)."""
    if ENV_PREFIX + "DATABASE_URL" not in os.environ and "DATABASE_URL" in os.environ:
        return "DATABASE_URL"
    return ENV_PREFIX + "DATABASE_URL"


MAX_WORKERS = 256


def parse_workers(value: str) -> int | Literal["auto"]:
    """``auto`` or a number of processes from 1 to 256 (``QUILLPRESS_WORKERS`` and
    ``serve --workers`` accept the same)."""
    text = value.strip().lower()
    if text == "auto":
        return "auto"
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise ValueError(f"must be auto or a number of processes from 1 to {MAX_WORKERS}")
    return int(text)


def resolve_workers(workers: int | Literal["auto"]) -> int:
    """``auto`` is the CPUs this process may use: its affinity mask (what a container's
    cpuset grants) capped by its cgroup's CPU quota (``docker run --cpus``, a Kubernetes
    CPU limit), not every core of the host (see :mod:`quillpress.cpus`)."""
    if workers != "auto":
        return workers
    return available_cpus()


class Settings(BaseSettings):
    # hide_input_in_errors: a traceback (QUILLPRESS_LOG_LEVEL=DEBUG) must not print a URL
    # with its password; the one-line message shows the value itself, masked.
    # use_attribute_docstrings: the docstring under each field is its description, from
    # which the documentation's configuration reference is generated (tools/docs).
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="ignore",
        hide_input_in_errors=True,
        use_attribute_docstrings=True,
    )

    env: Environment = Environment.DEVELOPMENT
    """`development` or `production` (any case). Production refuses to start without a strong secret
    key, turns GraphQL introspection off, CORS to the allow-list (development also trusts loopback
    origins) and `/metrics` off unless a token is set; development on an address other than
    loopback is a loud warning (see Configuration warnings)."""
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("QUILLPRESS_DATABASE_URL", "DATABASE_URL"),
    )
    """The database: `sqlite://…`, `postgresql://…` and `postgres://…` are accepted and pointed at
    the async drivers (aiosqlite, asyncpg). The embedded default is a SQLite file in the working
    directory."""
    database_echo: bool = False
    """Log every SQL statement, through the normal log pipeline (parameters are never logged)."""
    database_pool_size: int = Field(default=10, ge=1, le=200)
    """PostgreSQL connections per worker, kept open (no overflow: requests wait for a pooled
    connection rather than open new ones). Replicas x workers x this must fit PostgreSQL's
    `max_connections`."""
    database_timeout_ms: int = Field(default=5_000, ge=10, le=600_000)
    """The database deadline (10 to 600000 ms): how long a request's unit of work may wait on
    the database in all (a pooled connection, connecting, each statement, SQLite's write lock)
    before it is answered 503 with `Retry-After` and its connection discarded (see Database
    outages). The server's connections only: migrations, `seed`, the admin commands and the
    bench loader keep no limit."""
    # Streaming replicas of a PostgreSQL primary (comma-separated URLs): reads go to one
    # only when it has replayed every write committed before the read began (db.replicas).
    database_replica_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """PostgreSQL streaming replicas for reads, comma-separated URLs (PostgreSQL primary only). A
    read uses a replica only when it has replayed every committed write, else the primary (see
    Scale-out); several instances or workers share commit positions through `QUILLPRESS_REDIS_URL`.
    """

    secret_key: SecretStr | None = None
    """JWT signing key. Unset in development: one is generated once into `QUILLPRESS_SECRET_FILE`
    (mode 0600) with a warning. Production requires at least 32 characters (at least 12 distinct
    ones); in development a weaker key is a warning from `serve`."""
    secret_file: str = ".quillpress-secret"  # noqa: S105 (a path, not a secret)
    """Where the generated development signing key is kept."""
    jwt_algorithm: JwtAlgorithm = "HS256"
    """`HS256`, `HS384`, `HS512` or `EdDSA` (with `QUILLPRESS_JWT_PRIVATE_KEY_FILE`); pinned per key
    id on verification."""
    # Comma-separated keys that only verify (rotation: the old key, until its tokens expire).
    previous_secret_keys: SecretStr | None = None
    """Comma-separated former signing keys that still verify but never sign (key rotation: keep the
    old key here until its tokens expire)."""
    jwt_private_key_file: str | None = None  # PEM Ed25519 private key, for EdDSA
    """PEM Ed25519 private key used with `EdDSA` (from `openssl genpkey -algorithm ed25519`); the
    public key is served at `/.well-known/jwks.json`."""
    token_lifetime_seconds: int = Field(default=86_400, ge=60, le=31 * 86_400)
    """Access token (JWT) lifetime, 60 s to 31 days."""
    # Cookie mode (``?session=cookie``): Secure cookies, and ``__Host-qp_session``.
    cookie_secure: bool | None = None  # default: on in production, off in development
    """Cookie mode: `Secure` cookies and the `__Host-qp_session` name. Unset: on in production, off
    in development."""
    # Refresh tokens (see services.refresh): an absolute lifetime from the sign-in, an
    # idle lifetime from the last refresh, and the grace window for a spent token.
    refresh_lifetime_seconds: int = Field(default=30 * 86_400, ge=60, le=366 * 86_400)
    """Absolute refresh lifetime of a session from its sign-in (30 days)."""
    refresh_idle_seconds: int = Field(default=7 * 86_400, ge=60, le=366 * 86_400)
    """A session not refreshed for this long cannot refresh any more (7 days)."""
    refresh_grace_seconds: int = Field(default=10, ge=0, le=300)
    """A spent refresh token presented again within this window gets the same successor (two tabs
    refreshing at once); later it counts as theft and revokes the session."""

    # argon2id cost (RFC 9106 "low memory" profile by default).
    password_time_cost: int = Field(default=3, ge=1, le=20)
    """argon2id time cost (RFC 9106 low-memory profile)."""
    password_memory_kib: int = Field(default=65_536, ge=8, le=4_194_304)
    """argon2id memory per hash, in KiB (64 MiB by default)."""
    password_parallelism: int = Field(default=4, ge=1, le=64)
    """argon2id parallelism."""
    password_hash_concurrency: int = Field(default=2, ge=1, le=64)
    """Password hashes running at once, in threads, never on the event loop."""

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Comma-separated origins trusted with credentialed CORS and by the CSRF origin check. Empty:
    loopback origins in development (other origins get CORS without credentials), none in
    production. `*` is refused in production, `null` always."""
    max_body_bytes: int = Field(default=1_048_576, ge=1_024)
    """Larger request bodies get 413."""
    default_page_size: int = Field(default=20, ge=1)
    """REST `limit` and GraphQL `first` when the client gives none; may not exceed
    `QUILLPRESS_MAX_PAGE_SIZE`."""
    max_page_size: int = Field(default=100, ge=1, le=1_000)
    """Largest REST `limit` and GraphQL `first`; out of range is 422 / `BAD_USER_INPUT`, never
    clamped."""
    # How long a create's Idempotency-Key answers retries with its first result (1 h to 30 days).
    idempotency_ttl_hours: int = Field(default=24, ge=1, le=720)
    """How long a create's `Idempotency-Key` (`POST /api/articles`, `POST
    /api/articles/{slug}/comments`, GraphQL `createArticle`/`addComment`) answers a retry with the
    first result; 1 to 720."""
    log_level: LogLevel = "INFO"
    """`DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`; console lines in development, JSON lines
    in production; `DEBUG` also shows CLI error tracebacks."""
    public_url: str | None = None  # where browsers reach the app; demo avatar URLs start with it
    """Absolute `http(s)://` base where browsers reach the app (with any path prefix), no trailing
    slash. Demo avatar URLs are stored under it when seeding (unset: the `serve` address). When set,
    the `Link` header of paged lists and the links of `/` are built under it whatever `Host` a
    request carries; unset, from the request's scheme and `Host` (with `Vary: Host`). Set it in
    production."""
    # Strict-Transport-Security on every response (api.security_headers). Off by default:
    # only a deployment that is reached over HTTPS, on every subdomain too, may turn it on.
    hsts: bool = False
    """Send `Strict-Transport-Security: max-age=…; includeSubDomains` on every response; only for a
    site served over HTTPS, subdomains included."""
    hsts_max_age: int = Field(default=31_536_000, ge=0, le=63_072_000)  # 0 tells browsers to forget
    """Its `max-age` in seconds (0 to 63072000; `0` tells browsers to forget it)."""

    # GraphQL protections (a rejected query gets a clear error before anything runs).
    graphql_max_depth: int = Field(default=15, ge=1, le=100)
    """Deepest allowed GraphQL selection (introspection fields excluded)."""
    graphql_max_aliases: int = Field(default=30, ge=0, le=1_000)
    """Aliases per GraphQL document."""
    graphql_max_cost: int = Field(default=10_000, ge=1)
    """Estimated cost per GraphQL operation (1 per field, a list's selection times its page size).
    """
    graphql_introspection: bool | None = None  # default: on in development, off in production
    """Force GraphQL introspection on or off. Unset: on in development, off in production."""
    graphql_debug: bool = False  # SQL statement count and time in each response's extensions
    """Add `extensions.sql` (statements, ms) to GraphQL responses."""
    graphql_document_cache_size: int = Field(default=512, ge=0)
    """Parsed and validated GraphQL documents kept."""
    # Automatic persisted queries (Apollo's APQ, see infra.persisted_queries): off answers
    # PERSISTED_QUERY_NOT_SUPPORTED. Shared through Redis when the cache is (TTL 0: none).
    graphql_persisted_queries: bool = True
    """Automatic persisted queries (Apollo's APQ); `false` answers `PERSISTED_QUERY_NOT_SUPPORTED`.
    """
    graphql_persisted_query_ttl_seconds: int = Field(default=604_800, ge=0)
    """Life of a registered persisted query in Redis (with `QUILLPRESS_CACHE=redis`); `0`: no
    expiry."""
    graphql_persisted_query_cache_size: int = Field(default=1_000, ge=0)
    """Persisted queries kept in each process (the whole store without Redis, the hot ones with it).
    """
    # Freeze what startup built out of the garbage collector (bench/tail.py: full
    # collections of ~160 ms every few seconds under load became ~4 ms). The test suite,
    # which builds hundreds of apps in one process, turns it off: each freeze costs a full
    # collection of that process's large heap.
    gc_freeze: bool = True
    """Freeze what startup built out of the garbage collector (full-collection pauses of ~160 ms
    under load became ~4 ms)."""
    # ``serve``'s worker processes: a number, or ``auto`` for one per CPU this process may
    # use, its cgroup's CPU quota included (the container image sets auto). ``serve
    # --workers`` overrides it.
    workers: int | Literal["auto"] = 1
    """Worker processes of `serve`: 1 to 256, or `auto` for one per CPU the process may use: its
    affinity mask (what a container's cpuset grants) capped by its cgroup's CPU quota
    (`docker run --cpus 2`, a Kubernetes CPU limit: 2 workers, rounded down, at least 1;
    `src/quillpress/cpus.py`). The Docker image sets `auto`. `serve --workers` overrides it."""
    # On SIGTERM, how long requests in flight may take to finish before they are cancelled
    # (uvicorn's timeout_graceful_shutdown); the pools are closed after them either way.
    # Keep it below the orchestrator's kill grace (Kubernetes: 30 s by default).
    shutdown_timeout_seconds: int = Field(default=20, ge=0, le=3_600)
    """On SIGTERM, how long (0 to 3600 s) the requests in flight get to finish before they are
    cancelled; the pools are closed afterwards either way. Keep it below the orchestrator's kill
    deadline (Kubernetes: `terminationGracePeriodSeconds` minus the `preStop` pause)."""

    # Cache (see infra.cache). ``cache`` unset: redis when a Redis URL is given, else memory
    # (the CLI's ``serve --workers`` > 1 turns an implied memory cache off).
    cache: CacheMode | None = None
    """`redis`, `memory` or `off`. Unset: `redis` with a Redis URL, else `memory` (`serve --workers
    N` > 1 without Redis turns it off, with a warning; an explicit `memory` with several workers is
    refused)."""
    redis_url: str | None = None
    """Redis for the cache, shared sessions, the rate limits and replica commit positions, e.g.
    `redis://127.0.0.1:6379/0` (`redis://`, `rediss://` or `unix://`; anything redis-py would not
    read is a configuration error, exit 2)."""
    cache_ttl_seconds: int = Field(default=300, ge=1, le=86_400)
    """Longest life of a cached entry (a backstop: writes purge)."""
    redis_timeout_ms: int = Field(default=50, ge=1, le=1_000)
    """Per Redis operation (at most 1000); past it the request reads the database."""
    redis_max_connections: int = Field(default=32, ge=1, le=1_000)
    """Redis connections per worker (a blocking pool)."""
    redis_prefix: str = "qp:"
    """Prefix of every Redis key this deployment writes."""
    # How often each instance reads the cache epoch from the primary (infra.epoch): a
    # write outside the server or an undelivered purge reaches every instance within
    # this; an epoch unread for twice this long bypasses the cache and checks sessions
    # in the database. The 2-second staleness bound holds up to 1000.
    cache_epoch_interval_ms: int = Field(default=1_000, ge=50, le=60_000)
    """How often (50 to 60000 ms) each instance reads the cache epoch from the primary; an epoch
    unread for twice this long bypasses the cache. The 2 s staleness bound holds up to 1000."""

    # Operations (see infra.metrics, infra.tracing). Production serves /metrics only with a
    # token (Authorization: Bearer …); development serves it openly unless one is set.
    metrics_token: SecretStr | None = None
    """Bearer token `GET /metrics` requires (`Authorization: Bearer …`). Unset: `/metrics` is off
    (404) in production and open in development."""
    # OpenTelemetry traces (the ``otel`` extra), configured by the standard OTEL_* variables.
    tracing: bool = False
    """OpenTelemetry traces (needs the `otel` extra); exporter, endpoint, sampler and service name
    come from the standard `OTEL_*` variables."""

    # Full-text search (see repositories.search): the one language articles are stemmed
    # in, a PostgreSQL text search configuration (english, german, simple…). ``serve`` and
    # ``db upgrade`` re-index when it changes; SQLite stems English only (porter), any
    # other language is indexed without stemming.
    search_language: str = "english"
    """The one language articles are stemmed in for full-text search: a PostgreSQL text search
    configuration (`english`, `german`, `simple`…). `serve` and `db upgrade` rebuild the index
    once when it changes; SQLite stems English only (porter), any other language is indexed
    without stemming."""

    # Audit log: ``quillpress audit prune`` deletes events older than this.
    audit_retention_days: int = Field(default=90, ge=1, le=36_500)
    """Days an audit event is kept (1 to 36500); `quillpress audit prune` deletes older ones."""

    # Rate limits (see infra.limits and services.limits): ``off`` turns every rule off,
    # for benchmarks and bulk seeding through the API. Each rule is one ``limits`` string.
    rate_limits: bool = True
    """`false` (or `off`) turns every rate-limit rule off (benchmarks, bulk seeding through the
    API)."""
    rate_limit_login_account_ip: str = "10/5minutes"  # failed logins per (account, IP)
    """Failed logins per (account, client IP); while exhausted every login for the pair is 429. Each
    `QUILLPRESS_RATE_LIMIT_*` is one rate in the `limits` syntax (`10/5minutes`, `50/hour`, `300 per
    minute`), at least 1."""
    rate_limit_login_account: str = "100/5minutes"  # failed logins per account, any IP
    """Failed logins per account from any IP (a higher ceiling, so nobody cheaply locks a victim
    out)."""
    rate_limit_login_ip: str = "100/5minutes"  # failed logins per client IP
    """Failed logins per client IP over every account."""
    rate_limit_register_ip: str = "50/hour"  # registrations per client IP
    """Registrations per client IP."""
    rate_limit_writes_user: str = "300/minute"  # unsafe authenticated operations per user
    """Unsafe authenticated operations per user (REST POST/PUT/DELETE, one per GraphQL mutation
    field)."""
    rate_limit_graphql_cost: str = "200000/minute"  # GraphQL query cost per client
    """GraphQL query cost per user (per client IP when anonymous)."""
    rate_limit_search: str = "60/minute"  # full-text searches (REST ?q=) per client
    """Full-text searches (`GET /api/articles?q=`) per client (the user, or the client IP when
    anonymous); answers from the cache are not counted."""
    # Peers whose X-Forwarded-For / X-Forwarded-Proto uvicorn believes (IPs or CIDRs).
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Comma-separated proxy IPs or CIDR networks whose `X-Forwarded-For` / `X-Forwarded-Proto`
    `serve` lets uvicorn apply. Empty: none (the client IP is the TCP peer). Set it behind any
    reverse proxy (every shipped deployment does): forwarding headers from a peer outside it log one
    warning per process naming this setting."""

    @field_validator("env", mode="before")
    @classmethod
    def _lower_env(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("secret_key", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: object) -> object:
        """``QUILLPRESS_SECRET_KEY=`` (empty) means "not set", never an empty signing key."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _blank_token_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _supported_url(cls, value: str) -> str:
        url = normalise_database_url(value.strip())
        try:
            driver = make_url(url).drivername
        except (ArgumentError, ValueError):
            raise PydanticCustomError(
                "database_url_unparsable", f"is not a database URL (accepted: {DATABASE_URL_FORMS})"
            ) from None
        if driver not in SUPPORTED_DRIVERS:
            raise PydanticCustomError(
                "database_url_unsupported",
                f"names an unsupported database (accepted: {DATABASE_URL_FORMS})",
            )
        return url

    @field_validator("redis_url", mode="before")
    @classmethod
    def _blank_redis_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        """Checked as redis-py reads it, here rather than when the lifespan connects: a
        bad URL there was a 55-line traceback from every worker and exit 3."""
        if value is None:
            return None
        url = value.strip()
        problem = _redis_url_problem(url)
        if problem is not None:
            raise PydanticCustomError(
                "redis_url_invalid", f"is not a Redis URL: {problem} (accepted: {REDIS_URL_FORMS})"
            )
        return url

    @field_validator("database_replica_urls", mode="before")
    @classmethod
    def _split_replicas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("database_replica_urls")
    @classmethod
    def _replicas_are_postgres(cls, value: list[str]) -> list[str]:
        urls = [normalise_database_url(url) for url in value]
        for url in urls:
            try:
                backend = make_url(url).drivername
            except (ArgumentError, ValueError):
                raise PydanticCustomError(
                    "database_url_unparsable",
                    "is not a list of database URLs (accepted: comma-separated "
                    "postgresql://user:password@host:5432/name)",
                ) from None
            if backend != "postgresql+asyncpg":
                raise PydanticCustomError(
                    "database_url_unsupported",
                    "names a replica that is not PostgreSQL (accepted: comma-separated "
                    "postgresql://user:password@host:5432/name)",
                )
        return urls

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator(
        "rate_limit_login_account_ip",
        "rate_limit_login_account",
        "rate_limit_login_ip",
        "rate_limit_register_ip",
        "rate_limit_writes_user",
        "rate_limit_graphql_cost",
        "rate_limit_search",
    )
    @classmethod
    def _one_limit(cls, value: str) -> str:
        """Exactly one ``limits`` rate such as ``10/5minutes`` or ``300 per minute``."""
        text = value.strip()
        try:
            item = parse_limit(text)
        except ValueError:
            item = None
        if item is None or item.amount < 1 or any(sep in text for sep in ";,|"):
            raise ValueError(f"must be one rate of at least 1, such as {LIMIT_FORMS}")
        return text

    @field_validator("search_language", mode="before")
    @classmethod
    def _search_language(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().lower()
            if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value):
                raise ValueError(
                    "must name a PostgreSQL text search configuration, such as english, "
                    "german or simple"
                )
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        """IP addresses or CIDR networks only: uvicorn silently treats anything else as a
        literal host name that never matches, which would hide a typo."""
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or CIDR network "
                    "(accepted: e.g. 10.0.0.5, 10.0.0.0/8, ::1)"
                ) from None
        return value

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        """An absolute http(s) base such as ``https://blog.example.com`` or
        ``http://127.0.0.1:8000/quill``: paths are appended to it, so no trailing slash."""
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an absolute http:// or https:// URL")
        if parts.query or parts.fragment or value.endswith("/"):
            raise ValueError("must have no trailing slash, query or fragment")
        return value

    @field_validator("workers", mode="before")
    @classmethod
    def _parse_workers(cls, value: object) -> object:
        if isinstance(value, str | int) and not isinstance(value, bool):
            try:
                return parse_workers(str(value))
            except ValueError as error:
                raise PydanticCustomError("workers", str(error)) from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _default_page_fits(self) -> Self:
        if self.default_page_size > self.max_page_size:
            raise PydanticCustomError(
                "default_page_too_large",
                f"{ENV_PREFIX}DEFAULT_PAGE_SIZE={self.default_page_size} is larger than "
                f"{ENV_PREFIX}MAX_PAGE_SIZE={self.max_page_size} (accepted: 1 to "
                f"{self.max_page_size})",
            )
        return self

    @model_validator(mode="after")
    def _cors_origins_trustworthy(self) -> Self:
        """Every listed origin gets credentialed CORS (``api.cors``): ``*`` would hand any
        site the user's cookies in production, and ``null`` is the shared origin of every
        sandboxed frame and local file, never one site."""
        for origin in self.cors_origins:
            if origin == "*" and self.is_production:
                why = (
                    " with QUILLPRESS_ENV=production: '*' would send credentialed CORS to any site"
                )
            elif origin.lower() == "null":
                why = ": 'null' is the origin of every sandboxed frame and local file, not a site"
            else:
                continue
            raise PydanticCustomError(
                "cors_origin_untrusted",
                f"QUILLPRESS_CORS_ORIGINS={','.join(self.cors_origins)!r} is refused{why} "
                "(accepted: the exact origins of your front ends, comma-separated, "
                "e.g. https://blog.example.com)",
            )
        return self

    @model_validator(mode="after")
    def _eddsa_needs_a_key(self) -> Self:
        if self.jwt_algorithm == "EdDSA" and not self.jwt_private_key_file:
            raise PydanticCustomError(
                "eddsa_needs_a_key",
                "QUILLPRESS_JWT_ALGORITHM=EdDSA needs QUILLPRESS_JWT_PRIVATE_KEY_FILE "
                "(accepted: a PEM Ed25519 private key, e.g. from "
                "`openssl genpkey -algorithm ed25519`)",
            )
        return self

    @model_validator(mode="after")
    def _replicas_need_postgres(self) -> Self:
        if self.database_replica_urls and not self.database_url.startswith("postgresql"):
            raise PydanticCustomError(
                "replicas_need_postgres",
                "QUILLPRESS_DATABASE_REPLICA_URLS needs a PostgreSQL QUILLPRESS_DATABASE_URL "
                "(replicas are PostgreSQL streaming replicas; SQLite has none)",
            )
        return self

    @model_validator(mode="after")
    def _tracing_needs_the_extra(self) -> Self:
        if not self.tracing:
            return self
        if not _otel_sdk_installed():
            raise PydanticCustomError(
                "tracing_needs_otel",
                "QUILLPRESS_TRACING=true needs the OpenTelemetry SDK "
                "(accepted: install the extra, pip install 'quillpress[otel]', or "
                "QUILLPRESS_TRACING=false)",
            )
        raw = os.environ.get("OTEL_TRACES_EXPORTER", "otlp")
        unknown = [n for n in raw.split(",") if n.strip().lower() not in TRACE_EXPORTERS]
        if unknown:
            raise PydanticCustomError(
                "tracing_exporter",
                f"OTEL_TRACES_EXPORTER={raw!r} is not supported with QUILLPRESS_TRACING=true "
                f"(accepted: {', '.join(TRACE_EXPORTERS)}, comma-separated)",
            )
        return self

    @property
    def previous_secrets(self) -> list[str]:
        if self.previous_secret_keys is None:
            return []
        raw = self.previous_secret_keys.get_secret_value()
        return [part.strip() for part in raw.split(",") if part.strip()]

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
    def worker_count(self) -> int:
        return resolve_workers(self.workers)

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def database_url_given(self) -> bool:
        """Whether a database URL was set (``QUILLPRESS_DATABASE_URL``, ``DATABASE_URL`` or
        an argument), rather than the development default."""
        return "database_url" in self.model_fields_set

    @property
    def cookies_secure(self) -> bool:
        return self.is_production if self.cookie_secure is None else self.cookie_secure

    @property
    def introspection_enabled(self) -> bool:
        if self.graphql_introspection is not None:
            return self.graphql_introspection
        return not self.is_production

    @property
    def hsts_max_age_sent(self) -> int | None:
        """The ``max-age`` of the Strict-Transport-Security header, or ``None``: not sent."""
        return self.hsts_max_age if self.hsts else None


def _redis_url_problem(url: str) -> str | None:
    """What redis-py would refuse in ``url``, or silently ignore (a database that is not a
    number), in a few words; ``None`` when it is fine."""
    from redis.asyncio.connection import parse_url  # only where a Redis URL is given

    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        return "the scheme must be redis, rediss or unix"
    try:
        parse_url(url)
    except ValueError as error:
        return str(error).rstrip(".")
    if parts.scheme == "unix":
        return None if parts.path else "a unix URL needs the socket's path"
    database = parts.path.strip("/")
    if database and not database.isdigit():
        return f"the database {database!r} is not a number"
    return None


def _otel_sdk_installed() -> bool:
    try:
        return importlib.util.find_spec("opentelemetry.sdk") is not None
    except (ImportError, ValueError):  # a parent package missing, or blocked (``None``)
        return False


TOOLING_PREFIXES = (
    "QUILLPRESS_TEST_",  # the test suite: QUILLPRESS_TEST_POSTGRES_URL, …_REDIS_URL, …_CLUSTER
    "QUILLPRESS_LOCAL_",  # deploy/local/up.sh and down.sh: …_DIR, …_TIMEOUT, …_STOP_TIMEOUT
    "QUILLPRESS_BENCH_",  # benchmark scripts
    "QUILLPRESS_CONFORMANCE_",  # tests/conformance: …_EXAMPLES
    "QUILLPRESS_SWAGGER_",  # tests/docs: …_SCREENSHOT
)
TOOLING_VARIABLES = frozenset(
    {
        "QUILLPRESS_NGINX",  # deploy/local/up.sh: the nginx binary
        "QUILLPRESS_PGBIN",  # deploy/local/up.sh: PostgreSQL's binaries
        "QUILLPRESS_BIN",  # deploy/local/up.sh: the quillpress command
        "QUILLPRESS_IMAGE",  # compose.yaml: the image to run
    }
)
"""``QUILLPRESS_*`` variables the project's own tooling reads (tests, benchmarks, the
deployment scripts): not settings, and not typos either, so ``serve`` says nothing about
them. A new tool variable goes here (tests/unit/test_unknown_variables.py checks the
repository names no other)."""


def setting_variables() -> frozenset[str]:
    """Every ``QUILLPRESS_*`` name a setting is read from."""
    names = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {str(choice) for choice in alias.choices if str(choice).startswith(ENV_PREFIX)}
    return frozenset(names)


def unknown_variables(environ: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """The ``QUILLPRESS_*`` variables in ``environ`` that no setting reads and no tool of
    the project uses, each with the setting it most resembles (``None`` if none does):
    ``QUILLPRESS_DATABSE_URL`` is silently ignored otherwise, and the app serves SQLite.

    Names are compared without the prefix, which every name shares (and which would make
    any two names look alike); like the settings, case does not matter."""
    known = setting_variables()
    by_suffix = {name.removeprefix(ENV_PREFIX): name for name in known}
    found: list[tuple[str, str | None]] = []
    for variable in sorted(environ):
        name = variable.upper()
        if not name.startswith(ENV_PREFIX) or name in known or name in TOOLING_VARIABLES:
            continue
        if name.startswith(TOOLING_PREFIXES):
            continue
        close = difflib.get_close_matches(name.removeprefix(ENV_PREFIX), by_suffix, 1, 0.7)
        found.append((variable, by_suffix[close[0]] if close else None))
    return found


def describe_validation_error(error: ValidationError) -> str:
    """One line for every rejected setting, e.g.
    ``QUILLPRESS_JWT_ALGORITHM='none' is not supported (accepted: HS256, HS384, HS512)``."""
    return "; ".join(_describe(detail) for detail in error.errors(include_url=False))


def _describe(detail: ErrorDetails) -> str:
    if not detail["loc"]:  # a rule across fields: its message names the variables itself
        return detail["msg"]
    name = _field_name(str(detail["loc"][0]))
    field = Settings.model_fields.get(name)
    if field is None:  # not a setting of ours; say what pydantic said
        return f"{name}: {detail['msg']}"
    variable = database_url_variable() if name == "database_url" else ENV_PREFIX + name.upper()
    shown = f"{variable}={_shown_value(name, field.annotation, detail['input'])}"
    accepted = _accepted_values(field.annotation)
    if detail["type"] in {"enum", "literal_error"} and accepted:
        return f"{shown} is not supported (accepted: {', '.join(accepted)})"
    if detail["type"].startswith(("database_url_", "redis_url_")):
        return f"{shown} {detail['msg']}"
    message = detail["msg"]
    return f"{shown} is not accepted: {message[:1].lower()}{message[1:]}"


def _field_name(location: str) -> str:
    """Errors are located by alias (``QUILLPRESS_DATABASE_URL``) for aliased fields."""
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices) and location in alias.choices:
            return name
    return location


def _shown_value(name: str, annotation: Any, value: object) -> str:
    if _is_secret(annotation):
        return repr(MASK)
    if name in {"database_url", "redis_url"} and isinstance(value, str):
        return repr(mask_url(value))
    if name == "database_replica_urls":
        parts = value.split(",") if isinstance(value, str) else value
        if isinstance(parts, list):
            return repr(",".join(mask_url(str(part).strip()) for part in parts))
    return repr(value)


def _is_secret(annotation: Any) -> bool:
    return annotation is SecretStr or SecretStr in get_args(annotation)


def _accepted_values(annotation: Any) -> list[str]:
    if get_origin(annotation) is Literal:
        return [str(value) for value in get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(member.value) for member in annotation]
    return []
