"""The ``quillpress`` command: serve, migrate, seed and create users.

Each command only loads settings, calls one lower-layer function and reports the
outcome; no SQL and no business rules live here. Failures a user can fix print one
clear line on stderr instead of a traceback, with an exit status that says which kind:
2 for configuration (a bad setting, a database that cannot be reached, a weak production
key, a missing password), 1 for everything else (a taken username, a database that is
not empty). ``QUILLPRESS_LOG_LEVEL=DEBUG`` adds the traceback.

Every command imports what it needs when it runs, never at the top of this module: the
application (FastAPI, the GraphQL schema, SQLAlchemy, pydantic settings) takes over a
second to load, and ``--version``, ``--help`` or a mistyped option should not wait for it
(tests/cli/test_cli_front.py checks they load none of it)."""

from __future__ import annotations

import ipaddress
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from typer._click.exceptions import NoArgsIsHelpError, UsageError  # click, vendored by Typer
from typer.core import TyperCommand, TyperGroup

from quillpress import __version__
from quillpress.seeding import plan as demo_plan

if TYPE_CHECKING:  # imported where they are used: `--help` must not load the application
    from collections.abc import AsyncIterator
    from types import FrameType

    from quillpress.config import CacheMode, Settings
    from quillpress.db.database import Database
    from quillpress.domain.auth import Role
    from quillpress.domain.commands import AuditFilter, RegisterUser
    from quillpress.domain.views import AuditEventView, DeviceSessionView
    from quillpress.infra.security import Security
    from quillpress.seeding import seed as seed_service

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

FAILURE = 1
CONFIGURATION_ERROR = 2  # also what click uses for a wrong option or argument


@contextmanager
def reporting_configuration_errors() -> Iterator[None]:
    """Turn a ``ConfigurationError``, or ``Settings`` rejecting a value, into one line on
    stderr and exit status 2.

    The traceback is noise to someone who typed a wrong value, so it is shown only when
    ``QUILLPRESS_LOG_LEVEL=DEBUG`` (read raw: the level itself may be the bad setting)."""
    try:
        yield
    except Exception as error:
        line = _configuration_problem(error)
        if line is None:
            raise
        if os.environ.get("QUILLPRESS_LOG_LEVEL", "").strip().upper() == "DEBUG":
            import traceback

            typer.echo("".join(traceback.format_exception(error)).rstrip(), err=True)
        typer.echo(f"Error: {line}", err=True)
        raise typer.Exit(code=CONFIGURATION_ERROR) from None


def _configuration_problem(error: Exception) -> str | None:
    """The one line for a configuration error, ``None`` for anything else. Neither kind
    can be raised before ``quillpress.config`` (and with it pydantic) is loaded, so a
    command that never loads it pays nothing for the check."""
    config = sys.modules.get("quillpress.config")
    if config is None:
        return None
    from pydantic import ValidationError

    if isinstance(error, config.ConfigurationError):
        return str(error)
    if isinstance(error, ValidationError) and error.title == config.Settings.__name__:
        return str(config.describe_validation_error(error))
    return None  # not a setting: some other model's invalid data is a bug, not config


@contextmanager
def reporting_usage_errors() -> Iterator[None]:
    """A wrong option or argument (``--port abc``, ``--port 70000``, an unknown option) in
    one line on stderr, exit status 2, like the configuration errors above, instead of the
    usage text and a framed panel."""
    try:
        yield
    except NoArgsIsHelpError:
        raise  # not an error: the help is what was asked for
    except UsageError as error:
        where = f" (see {error.ctx.command_path} --help)" if error.ctx is not None else ""
        typer.echo(f"Error: {error.format_message().rstrip('.')}{where}", err=True)
        raise typer.Exit(code=CONFIGURATION_ERROR) from None


def _flags_as_flags(params: list[Any]) -> list[Any]:
    """Typer's help shows a boolean flag with a ``<bool>`` value it does not take
    (``--reload <bool>``); an empty metavar shows it as the bare flag it is."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


class _Command(TyperCommand):
    """Every command: its flags shown as flags."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _flags_as_flags(super().get_params(ctx))


class _Group(TyperGroup):
    """Every group (``db``, ``audit``…): its flags shown as flags."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _flags_as_flags(super().get_params(ctx))


class _Commands(_Group):
    """The root group: every command and sub-command runs inside it, so the error rules
    above are written once and hold for all of them."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:  # the root's own options
        with reporting_usage_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:  # a typer.Context; its base class is vendored
        with reporting_usage_errors(), reporting_configuration_errors():
            return super().invoke(ctx)


app = typer.Typer(
    cls=_Commands,
    help="Quillpress: a RealWorld-compatible blogging backend.",
    no_args_is_help=True,
    add_completion=False,
)


def _group(name: str, help: str, **options: Any) -> typer.Typer:
    group = typer.Typer(cls=_Group, help=help, **options)
    app.add_typer(group, name=name)
    return group


def _command(group: typer.Typer, name: str | None = None) -> Callable[[F], F]:
    """``@group.command()``, with flags shown as flags."""
    return group.command(name, cls=_Command)


db_app = _group("db", "Apply or revert the packaged database migrations.", no_args_is_help=True)
audit_app = _group("audit", "Print the newest security events, or prune old ones.")
cache_app = _group("cache", "Operate the response cache.", no_args_is_help=True)
demo_app = _group("demo", "Runnable lessons.", no_args_is_help=True)

APP_FACTORY = "quillpress.app:create_app"

log = logging.getLogger("quillpress.cli")


def main() -> None:
    """Console entry point (``quillpress`` and ``python -m quillpress``)."""
    app()


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"quillpress {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Options of the command itself (the group's help text is set on ``app``)."""


# --- helpers -------------------------------------------------------------------------


def _load_settings(*, database: bool = False) -> Settings:
    """Validated settings; with ``database``, the database is checked to be usable too."""
    from quillpress.config import Settings
    from quillpress.infra.logging import configure_logging

    settings = Settings()
    configure_logging(settings)
    from quillpress.db.preflight import require_database_url

    require_database_url(settings)  # every command uses the database: before any warning
    if database:
        _check_database(settings)
    return settings


def _check_database(settings: Settings) -> None:
    """Reachable, existing, writable? One line (exit 2) if not, before any real work."""
    from quillpress.db.preflight import check_database

    _run(check_database(settings))


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    import asyncio

    return asyncio.run(coroutine)


def _say(settings: Settings, message: str, *, level: int = logging.INFO) -> None:
    """A progress line of a running server: plain text on the console in development
    (a warning in bold yellow on a terminal), a log record (so one JSON line, like every
    other) in production."""
    if settings.is_production:
        log.log(level, message)
    elif level >= logging.WARNING:  # bold yellow on a terminal, plain text anywhere else
        typer.secho(message, err=True, fg=typer.colors.YELLOW, bold=True)
    else:
        typer.echo(message, err=True)


def _fail(message: str, code: int = FAILURE) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code=code)


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[Database]:
    """A database handle outside the app; the engine is disposed when the command ends.

    Every write through it also bumps the cache epoch in its own transaction, so running
    servers drop what they cached before it within their poll interval."""
    from quillpress.db.database import Database
    from quillpress.db.engine import create_engine

    engine = create_engine(settings.database_url, null_pool=True)
    try:
        yield Database(engine, bump_epoch_on_write=True)
    finally:
        await engine.dispose()


def _seeded(summary: seed_service.SeedSummary, *notes: str) -> str:
    """``Seeded 50 users, 500 articles, … (every demo user's password is "…")``."""
    from quillpress.seeding import seed as seed_service

    counts = ", ".join(f"{count} {name}" for name, count in summary.counts.items())
    password = f'every demo user\'s password is "{seed_service.DEMO_PASSWORD}"'
    return f"Seeded {counts} ({'; '.join((*notes, password))})"


# --- serve ---------------------------------------------------------------------------


def prepare_serve(
    settings: Settings,
    *,
    demo: bool,
    local_url: str = demo_plan.LOCAL_URL,
    migrate_first: bool = True,
) -> None:
    """Everything ``serve`` does once in the parent process, before any worker starts.

    Resolving the secret here creates the development key file exactly once, so every
    worker reads the same key; migrating here means workers never race on the schema.
    A weak production key raises ``InsecureSecretError`` here, so no worker (where
    ``create_app`` would meet it again) ever starts with it."""
    from quillpress.infra.secrets import resolve_secret

    _check_database(settings)  # first: a bad URL is one line, not a key warning and a line
    resolve_secret(settings)
    _run(_prepare_database(settings, demo=demo, local_url=local_url, migrate_first=migrate_first))


async def _prepare_database(
    settings: Settings, *, demo: bool, local_url: str, migrate_first: bool
) -> None:
    from quillpress.db import migrate
    from quillpress.infra.passwords import PasswordHasher
    from quillpress.seeding import seed as seed_service

    async with _database(settings) as db:
        if migrate_first:
            await migrate.upgrade(db.engine)
            await _search_language(settings, db)
        else:
            await _require_head(db)
        if demo and not await seed_service.database_has_users(db):
            _say(settings, "Seeding demo data into the empty database…")
            plan = demo_plan.SeedPlan(public_url=settings.public_url or local_url)
            hasher = PasswordHasher.from_settings(settings)
            summary = await seed_service.seed_demo(db, hasher, plan)
            _say(settings, _seeded(summary))


async def _search_language(settings: Settings, db: Database) -> None:
    """After migrating: the search index in ``QUILLPRESS_SEARCH_LANGUAGE`` (rebuilt, once,
    when it changed)."""
    from quillpress.db import search_language

    if await search_language.apply(db.engine, settings.search_language):
        _say(settings, f"Search index rebuilt in {settings.search_language}.")


async def _require_head(db: Database) -> None:
    """``serve --no-migrate`` (deployments, where a one-shot job migrates): a database
    behind the code is one line and exit 2, so the replica restarts until the job is done,
    rather than serving a schema it does not know."""
    from quillpress.config import ConfigurationError
    from quillpress.db import migrate

    current, head = await migrate.current_revision(db.engine), migrate.head_revision()
    if current != head:
        raise ConfigurationError(
            f"the database is at revision {current or 'base (no schema)'}, not {head}: "
            "run `quillpress db upgrade` first (serve --no-migrate does not migrate)"
        )


def _cache_for_workers(settings: Settings, workers: int) -> CacheMode:
    """An in-process cache per worker cannot see the other workers' purges: with several
    workers and no Redis, an implied memory cache is turned off (one warning), and an
    explicit ``QUILLPRESS_CACHE=memory`` is a configuration error (exit 2). Returns the
    cache the workers will use."""
    from quillpress.config import CacheMode, ConfigurationError

    if workers <= 1 or settings.cache_mode is not CacheMode.MEMORY:
        return settings.cache_mode
    if settings.cache is CacheMode.MEMORY:
        raise ConfigurationError(
            "QUILLPRESS_CACHE=memory cannot serve --workers > 1 (each worker would keep "
            "its own cache and miss the others' purges); set QUILLPRESS_REDIS_URL, or "
            "QUILLPRESS_CACHE=off"
        )
    _say(
        settings,
        f"Warning: {workers} workers and no QUILLPRESS_REDIS_URL: the cache is off "
        "(per-process caches cannot see each other's purges)",
        level=logging.WARNING,
    )
    os.environ["QUILLPRESS_CACHE"] = CacheMode.OFF.value  # workers read the environment
    return CacheMode.OFF


def _replicas_for_workers(settings: Settings, workers: int) -> None:
    """Commit positions kept in process are seen by one worker only: another worker
    could read a replica that lacks this worker's write. Several workers need Redis."""
    from quillpress.config import ConfigurationError

    if workers > 1 and settings.database_replica_urls and not settings.redis_url:
        raise ConfigurationError(
            "QUILLPRESS_DATABASE_REPLICA_URLS with --workers > 1 needs QUILLPRESS_REDIS_URL "
            "(the workers share commit positions through it)"
        )


def _port(value: str | int) -> int:
    text = str(value).strip()
    if not text.isdecimal() or not 1 <= int(text) <= 65_535:
        raise typer.BadParameter(f"{text!r} is not a port: give a number from 1 to 65535")
    return int(text)


@_command(app)
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.", metavar="HOST")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="Port to bind (1-65535).", metavar="PORT", parser=_port)
    ] = 8000,
    workers: Annotated[
        str | None,
        typer.Option(
            help="Processes, or auto (per CPU).",
            metavar="N|auto",
            show_default=False,
        ),
    ] = None,
    reload: Annotated[
        bool, typer.Option("--reload", help="Restart on code changes (dev).")
    ] = False,
    demo: Annotated[bool, typer.Option("--demo", help="Seed demo data if it is empty.")] = False,
    no_migrate: Annotated[
        bool, typer.Option("--no-migrate", help="Only check the schema is newest.")
    ] = False,
) -> None:
    """Migrate the database, then serve the REST and GraphQL APIs."""
    import uvicorn

    settings = _load_settings()
    processes = _worker_count(settings, workers)
    _replicas_for_workers(settings, processes)
    cache = _cache_for_workers(settings, processes)
    _check_can_listen(host, port)
    local_url = f"http://{host}:{port}"
    prepare_serve(settings, demo=demo, local_url=local_url, migrate_first=not no_migrate)
    for warning in serve_warnings(settings, host, os.environ):
        _say(settings, f"Warning: {warning}", level=logging.WARNING)
    summary = startup_summary(settings, cache=cache, workers=processes, local_url=local_url)
    log.info("startup", extra=summary)
    with _stopping_quietly(), _metrics_directory(processes), _announcing(settings, host, port):
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=processes,
            reload=reload,
            access_log=False,  # the app writes one structured line per request itself
            log_config=None,  # keep configure_logging's handler: one format for every line
            # SIGTERM: stop accepting, let requests in flight finish for this long, then
            # run the lifespan's shutdown (which closes the pools).
            timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
            **proxy_options(settings),
        )


def startup_summary(
    settings: Settings, *, cache: CacheMode, workers: int, local_url: str
) -> dict[str, str | int]:
    """The fields of the one ``startup`` record ``serve`` logs before it starts serving:
    what this server runs with, so nobody has to infer it (the cache mode from keys in
    Redis, the database from the environment). The database password is masked; a Redis
    cache is pinged once (``redis (reachable)`` or ``redis (unreachable)``: the server
    starts either way and degrades to the database until Redis answers)."""
    from quillpress.config import CacheMode, mask_url

    shown_cache = cache.value
    if cache is CacheMode.REDIS:
        assert settings.redis_url is not None  # Settings refuses redis without a URL
        shown_cache = f"redis ({'reachable' if _redis_answers(settings) else 'unreachable'})"
    if not settings.rate_limits:
        limits = "off"
    elif settings.redis_url:
        limits = "on (redis)"
    else:
        limits = "on (memory, per worker)" if workers > 1 else "on (memory)"
    return {
        "env": settings.env.value,
        "database": mask_url(settings.database_url),
        "replicas": len(settings.database_replica_urls),
        "cache": shown_cache,
        "rate_limits": limits,
        "workers": workers,
        "public_url": settings.public_url or local_url,
    }


def _redis_answers(settings: Settings) -> bool:
    from quillpress.infra.redis_pool import answers_ping

    assert settings.redis_url is not None
    return _run(answers_ping(settings.redis_url, timeout_seconds=settings.redis_timeout_ms / 1000))


def serve_warnings(settings: Settings, host: str, environ: Mapping[str, str]) -> list[str]:
    """What ``serve`` starts with but should not pass in silence (after every check that
    refuses to start, so an error stays one line): variables no setting reads, development
    defaults reachable from other machines, a weak key in development."""
    from quillpress.config import unknown_variables
    from quillpress.infra.secrets import weak_key_warning

    everything = " (docs/operating/configuration.md lists every setting)"
    warnings = [
        f"{name} is not a setting and is ignored"
        + (f"; did you mean {close}?" if close else everything)
        for name, close in unknown_variables(environ)
    ]
    if not settings.is_production and not _only_loopback(host):
        warnings.append(_exposed_development(settings, host))
    weak = weak_key_warning(settings)
    if weak is not None:
        warnings.append(weak)
    return warnings


def _only_loopback(host: str) -> bool:
    """Whether every address ``host`` binds is this machine's loopback (127.0.0.0/8,
    ::1); ``0.0.0.0``, ``::`` and an empty host bind every interface."""
    try:
        addresses = socket.getaddrinfo(host or None, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(addresses) and all(
        ipaddress.ip_address(str(address[4][0]).split("%")[0]).is_loopback for address in addresses
    )


def _exposed_development(settings: Settings, host: str) -> str:
    """The loud one: development's defaults are for one person's machine."""
    defaults = []
    if not settings.cors_origins:
        defaults.append("credentialed CORS")
    if settings.metrics_token is None:
        defaults.append("/metrics without a token")
    if settings.introspection_enabled:
        defaults.append("GraphQL introspection")
    if not settings.cookies_secure:
        defaults.append("cookies without Secure")
    what = f" ({', '.join(defaults)})" if defaults else ""
    return (
        f"DEVELOPMENT MODE ON {host or '0.0.0.0'}, reachable from other machines, with "  # noqa: S104
        f"development's defaults{what}: set QUILLPRESS_ENV=production (and "
        "QUILLPRESS_SECRET_KEY) for anything but a trial on this machine"
    )


def _worker_count(settings: Settings, option: str | None) -> int:
    """``--workers`` when given, else ``QUILLPRESS_WORKERS``; ``auto`` is the CPU count."""
    from quillpress.config import ConfigurationError, parse_workers, resolve_workers

    if option is None:
        return settings.worker_count
    try:
        return resolve_workers(parse_workers(option))
    except ValueError as error:
        raise ConfigurationError(f"--workers={option!r} is not accepted: {error}") from None


@contextmanager
def _metrics_directory(workers: int) -> Iterator[None]:
    """Several workers: a fresh, empty ``PROMETHEUS_MULTIPROC_DIR`` for this server run,
    set before the workers start (they inherit it and keep their metric values in files
    there, which a scrape adds up), and removed when the server stops. A directory left
    from an earlier run would add that run's counts to this one's."""
    from quillpress.infra.metrics import MULTIPROC_ENV

    if workers <= 1:
        yield
        return
    previous = os.environ.get(MULTIPROC_ENV)
    directory = tempfile.mkdtemp(prefix="quillpress-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    try:
        yield
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        if previous is None:
            os.environ.pop(MULTIPROC_ENV, None)
        else:
            os.environ[MULTIPROC_ENV] = previous


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's forwarded-header handling from ``QUILLPRESS_TRUSTED_PROXIES`` alone.

    uvicorn's default trusts ``X-Forwarded-For`` from 127.0.0.1 (or ``$FORWARDED_ALLOW_IPS``),
    so any local client could pick the IP the rate limits count. With no trusted proxy
    the middleware is off (the client IP is the TCP peer's); with some, only their
    headers rewrite ``scope["client"]``, the one place the app reads the client IP."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(settings.trusted_proxies)}


@contextmanager
def _stopping_quietly() -> Iterator[None]:
    """Ctrl-C and SIGTERM are how a server is meant to stop, so they end it with status 0.

    uvicorn shuts down gracefully, then re-raises the signal it caught (with the previous
    handlers back in place) so the process dies of it; a parent like ``make`` then reports
    "*** Interrupt" / "Terminated" as a failure. Handlers that only note the signal make
    that re-raise harmless, and ``serve`` returns normally."""
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, _note_stop) for sig in stop_signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _note_stop(signum: int, _frame: FrameType | None) -> None:
    """Reached only after uvicorn has shut down (it installs its own handlers meanwhile)."""


@contextmanager
def _announcing(settings: Settings, host: str, port: int) -> Iterator[None]:
    """Print one line once the port accepts connections, however many workers serve it.

    A thread in this (the parent) process connects until the server answers: with one
    worker that is uvicorn's own socket after startup, with several the first worker
    accepting on the shared socket. So the line is printed once and only when true,
    where a line from each worker's startup would repeat N times."""
    bracketed = f"[{host}]" if ":" in host else host
    line = f"Quillpress is serving http://{bracketed}:{port} (docs /docs, GraphQL /graphql)"
    probe = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    done = threading.Event()
    args = (settings, probe, port, line, done)
    threading.Thread(target=_announce, args=args, daemon=True).start()
    try:
        yield
    finally:
        done.set()


def _check_can_listen(host: str, port: int) -> None:
    """Bind and release the address first, so a port in use (``make run`` twice) or a
    host that is not this machine's is one line before migrating, not a uvicorn error
    after it. Options as uvicorn binds: SO_REUSEADDR, every address the host names."""
    from quillpress.config import ConfigurationError

    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        for family, kind, proto, _, address in addresses:
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        raise ConfigurationError(
            f"cannot listen on {host}:{port}: {reason} "
            "(choose another --host/--port; with make: make run HOST=… PORT=…)"
        ) from error


def _announce(settings: Settings, probe: str, port: int, line: str, done: threading.Event) -> None:
    while not done.wait(0.1):
        if _accepts_connections(probe, port):
            _say(settings, line)
            return


def _accepts_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


# --- db ------------------------------------------------------------------------------


async def _migrate(settings: Settings, action: str, revision: str) -> str | None:
    from quillpress.db import migrate

    async with _database(settings) as db:
        if action == "upgrade":
            await migrate.upgrade(db.engine, revision)
            await _search_language(settings, db)
        elif action == "downgrade":
            await migrate.downgrade(db.engine, revision)
        return await migrate.current_revision(db.engine)


def _report_revision(revision: str | None) -> None:
    typer.echo(f"Database at revision: {revision or 'base (no schema)'}")


@_command(db_app)
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    _report_revision(_run(_migrate(_load_settings(database=True), "upgrade", revision)))


@_command(db_app)
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")] = "-1",
) -> None:
    """Revert migrations down to REVISION (default: one step)."""
    settings = _load_settings(database=True)
    _report_revision(_run(_migrate(settings, "downgrade", revision)))


@_command(db_app)
def current() -> None:
    """Print the revision the database is at."""
    _report_revision(_run(_migrate(_load_settings(database=True), "current", "")))


# --- seed ----------------------------------------------------------------------------


async def _seed(
    settings: Settings, plan: demo_plan.SeedPlan, progress: seed_service.Progress
) -> seed_service.SeedSummary:
    from quillpress.db import migrate
    from quillpress.infra.passwords import PasswordHasher
    from quillpress.seeding import seed as seed_service

    async with _database(settings) as db:
        await migrate.upgrade(db.engine)
        hasher = PasswordHasher.from_settings(settings)
        return await seed_service.seed_demo(db, hasher, plan, progress)


@_command(app, "seed")
def seed_command(
    users: Annotated[int, typer.Option(help="Demo users to create.", metavar="N", min=1)] = 50,
    articles: Annotated[
        int, typer.Option(help="Demo articles to create.", metavar="N", min=0)
    ] = 500,
    seed_value: Annotated[
        int, typer.Option("--seed", help="Random seed (same seed, same data).", metavar="N")
    ] = 42,
    tags: Annotated[
        int,
        typer.Option(help="Tag pool size.", metavar="N", min=1, max=demo_plan.MAX_TAGS),
    ] = demo_plan.DEFAULT_TAGS,
) -> None:
    """Fill an empty database with deterministic demo data.

    The database is migrated first; the same --seed always gives the same data.
    Every demo user signs in with the password "password123".
    Avatar URLs start with QUILLPRESS_PUBLIC_URL (or http://127.0.0.1:8000).
    The benchmarks seed with --tags 300."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from quillpress.domain.errors import DomainError

    settings = _load_settings(database=True)
    plan = demo_plan.SeedPlan(
        users=users,
        articles=articles,
        seed=seed_value,
        tags=tags,
        public_url=settings.public_url or demo_plan.LOCAL_URL,
    )
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description:<13}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        # Hidden until the first rows are written, so a refusal prints no empty bar.
        task = bar.add_task("", total=None, visible=False)

        def report(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total, visible=True)

        try:
            summary = _run(_seed(settings, plan, report))
        except DomainError as error:
            bar.stop()
            _fail(f"refusing to seed: {error.describe()}")
    typer.echo(_seeded(summary, f"seed {seed_value}"))


# --- create-user ---------------------------------------------------------------------


async def _create_user(
    settings: Settings, security: Security, command: RegisterUser, role: Role
) -> int:
    # Through the typed resources, so the write's after-commit purge reaches a shared
    # cache (Redis) that running servers read.
    from quillpress.db import migrate
    from quillpress.db.database import opened
    from quillpress.domain.clients import ClientInfo
    from quillpress.infra.limits import Limiter
    from quillpress.services import users as user_service
    from quillpress.wiring import open_resources

    async with open_resources(
        settings, security=security, null_pool=True, outside_server=True
    ) as resources:
        await migrate.upgrade(opened(resources.database).engine)
        session = await user_service.register(
            resources.database,
            security,
            command,
            role=role,
            client=ClientInfo(),
            limiter=Limiter.disabled(),
        )
    return session.user.id


# --- listings: audit, sessions --------------------------------------------------------

JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object per line, every field.")]
WideOption = Annotated[bool, typer.Option("--wide", help="Every column (wider than 80).")]


def _print_listing(
    rows: Sequence[Mapping[str, Any]],
    columns: Mapping[str, str],
    *,
    as_json: bool,
    wide: bool,
    noun: str,
    fixed: frozenset[str] = frozenset(),
) -> None:
    """A listing on stdout: a table of ``columns`` (heading → field) and a count line, or
    with ``--json`` one JSON object per row with every field and nothing else (ASCII:
    anything a client stored is escaped, never sent to the terminal as it is).

    The table keeps one line per row. It fits the terminal (80 columns when it is no
    terminal): the ``fixed`` fields show whole, the others are cut with an ellipsis when
    space runs out. With ``wide`` nothing is cut: the table is as wide as it takes."""
    import json

    if as_json:
        for row in rows:
            typer.echo(json.dumps(dict(row), ensure_ascii=True, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for heading, field in columns.items():
        table.add_column(heading, no_wrap=field in fixed or wide)
    for row in rows:
        table.add_row(*(_as_text(_shown(row[field])) for field in columns.values()))
    console = Console()
    if wide:
        whole = console.measure(table, options=console.options.update_width(100_000))
        console = Console(width=max(console.width, whole.maximum))
    console.print(table)
    console.print(f"{len(rows)} {noun}{'s' if len(rows) != 1 else ''}")


def _shown(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    import json

    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def _as_text(value: str | None) -> Any:
    """A stored value (much of it written by clients: an email, a request id) as a table
    cell: a ``Text`` object, so Rich reads no markup in it (``[/x]`` would be a
    ``MarkupError``, ``[link=…]`` a hyperlink), with its control characters escaped
    (``infra.display``), so none reaches the operator's terminal."""
    from rich.text import Text

    from quillpress.infra.display import visible

    return Text(visible(value) if value else "-", no_wrap=True, overflow="ellipsis")


def _minute(moment: Any) -> str:
    """``2026-01-02 03:04`` (UTC): the narrow table's time; ``--wide`` shows it whole."""
    from quillpress.domain.views import isoformat

    return isoformat(moment)[:16].replace("T", " ")


async def _audit_events(
    settings: Settings, filters: AuditFilter, limit: int
) -> list[AuditEventView]:
    from quillpress.db import migrate
    from quillpress.domain.commands import make_page
    from quillpress.services import audit as audit_service

    async with _database(settings) as db:
        await migrate.upgrade(db.engine)  # as serve and create-user do: the table exists
        page = await audit_service.list_events(db, filters, make_page(limit, max_limit=limit))
    return list(page.items)


async def _audit_prune(settings: Settings) -> int:
    from quillpress.db import migrate
    from quillpress.services import audit as audit_service

    async with _database(settings) as db:
        await migrate.upgrade(db.engine)
        return await audit_service.prune(db, retention_days=settings.audit_retention_days)


AUDIT_COLUMNS = {
    "at (UTC)": "minute",
    "actor": "actor",
    "action": "action",
    "target": "target",
    "outcome": "outcome",
}
AUDIT_COLUMNS_WIDE = {
    "at": "at",
    "actor": "actor",
    "action": "action",
    "target": "target",
    "ip": "ip",
    "outcome": "outcome",
    "request id": "request_id",
    "user agent": "user_agent",
    "detail": "detail",
}


@audit_app.callback(invoke_without_command=True)
def audit(
    ctx: typer.Context,
    user: Annotated[
        str | None, typer.Option("--user", metavar="NAME", help="Events by this actor.")
    ] = None,
    action: Annotated[
        str | None, typer.Option(metavar="ACTION", help="Only this action (admin.ban…).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(metavar="ISO", help="Events at or after this ISO-8601 time."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, metavar="N", help="Rows.")] = 50,
    as_json: JsonOption = False,
    wide: WideOption = False,
) -> None:
    """Print the newest security events, newest first (filters combine).

    The table shows when, who, what, on what and the outcome;
    --wide adds the IP, the request id, the user agent and the detail."""
    if ctx.invoked_subcommand is not None:
        return
    from quillpress.domain.commands import AuditFilter
    from quillpress.domain.errors import DomainError
    from quillpress.domain.validation import parse
    from quillpress.domain.views import isoformat

    try:
        filters = parse(AuditFilter, {"actor": user, "action": action, "since": since})
    except DomainError as error:
        options = {"actor": "--user", "action": "--action", "since": "--since"}
        _fail(
            "; ".join(
                f"{options.get(key, key)} {message}"
                for key, messages in error.fields.items()
                for message in messages
            ),
            CONFIGURATION_ERROR,
        )
    settings = _load_settings(database=True)
    events = _run(_audit_events(settings, filters, limit))
    rows = [
        {
            "id": event.id,
            "at": isoformat(event.at),
            "minute": _minute(event.at),
            "actor": event.actor,
            "action": event.action,
            "target": event.target,
            "ip": event.ip,
            "outcome": event.outcome,
            "request_id": event.request_id,
            "user_agent": event.user_agent,
            "detail": event.detail,
        }
        for event in events
    ]
    if as_json:
        for row in rows:
            del row["minute"]
    columns = AUDIT_COLUMNS_WIDE if wide else AUDIT_COLUMNS
    fixed = frozenset({"minute", "action", "outcome"})
    _print_listing(rows, columns, as_json=as_json, wide=wide, noun="event", fixed=fixed)


@_command(audit_app, "prune")
def audit_prune() -> None:
    """Delete events older than the retention (days).

    The retention is QUILLPRESS_AUDIT_RETENTION_DAYS (default 90)."""
    settings = _load_settings(database=True)
    removed = _run(_audit_prune(settings))
    typer.echo(
        f"Removed {removed} audit event{'s' if removed != 1 else ''} older than "
        f"{settings.audit_retention_days} days."
    )


async def _user_sessions(settings: Settings, username: str) -> list[DeviceSessionView]:
    from quillpress.db import migrate
    from quillpress.services import sessions as session_service

    async with _database(settings) as db:
        await migrate.upgrade(db.engine)
        return await session_service.sessions_of(db, username)


SESSION_COLUMNS = {"id": "id", "last seen (UTC)": "last_seen", "ip": "ip", "device": "user_agent"}
SESSION_COLUMNS_WIDE = {
    "id": "id",
    "created": "created_at",
    "last seen": "last_seen_at",
    "ip": "ip",
    "user agent": "user_agent",
}


@_command(app, "sessions")
def sessions(
    username: Annotated[str, typer.Argument(help="Whose sessions.", metavar="USERNAME")],
    as_json: JsonOption = False,
    wide: WideOption = False,
) -> None:
    """List a user's live sessions (sign-ins), newest first.

    Each is a device or browser the user is signed in on.
    The user ends one with DELETE /api/user/sessions/{id}; a ban ends them all."""
    from quillpress.domain.errors import DomainError
    from quillpress.domain.views import isoformat

    settings = _load_settings(database=True)
    try:
        found = _run(_user_sessions(settings, username))
    except DomainError as error:
        _fail(f"cannot list sessions: {error.describe()}")
    rows = [
        {
            "id": session.id,
            "created_at": isoformat(session.created_at),
            "last_seen_at": isoformat(session.last_seen_at),
            "last_seen": _minute(session.last_seen_at),
            "ip": session.ip,
            "user_agent": session.user_agent,
        }
        for session in found
    ]
    if as_json:
        for row in rows:
            del row["last_seen"]
    columns = SESSION_COLUMNS_WIDE if wide else SESSION_COLUMNS
    fixed = frozenset({"id", "last_seen"})
    _print_listing(rows, columns, as_json=as_json, wide=wide, noun="session", fixed=fixed)


# --- cache ---------------------------------------------------------------------------


async def _flush_cache(settings: Settings) -> str:
    from quillpress.db import migrate
    from quillpress.infra.epoch import CacheEpoch

    async with _database(settings) as db:
        await migrate.upgrade(db.engine)  # as the other commands do: the table exists
        return await CacheEpoch(db).flush("operator")


@_command(cache_app, "flush")
def cache_flush() -> None:
    """Retire every cached entry on every running server.

    It bumps the cache epoch kept in the database.
    Running servers drop older entries within a second.
    Run it after restoring the database or editing rows with raw SQL."""
    from quillpress.domain.errors import DomainError

    settings = _load_settings(database=True)
    try:
        token = _run(_flush_cache(settings))
    except DomainError as error:
        _fail(f"cannot flush the cache: {error.describe()}")
    typer.echo(f"Cache flushed (epoch {token[:8]}…): servers drop older entries within a second.")


# --- the rest ------------------------------------------------------------------------


@_command(demo_app, "n-plus-one")
def demo_n_plus_one(
    posts: Annotated[int, typer.Option(min=1, max=100, metavar="N", help="Posts to load.")] = 10,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL server to run it on.",
            metavar="URL",
        ),
    ] = None,
    sql: Annotated[bool, typer.Option("--sql", help="Print every statement in full.")] = False,
) -> None:
    """Load posts and comments three ways; compare their SQL cost.

    They are loaded naively (N+1 statements), eagerly and through a DataLoader.
    Each way prints its SQL statements and the time they took.
    By default in a temporary SQLite file; with --database-url, in a database it
    creates on that PostgreSQL server and drops afterwards."""
    from quillpress.demo import n_plus_one

    try:
        n_plus_one.main(posts=posts, database_url=database_url, full_sql=sql)
    except n_plus_one.LessonError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(code=2) from None


@_command(app, "graphql-schema")
def graphql_schema() -> None:
    """Print the GraphQL schema (SDL), as kept in schema.graphql."""
    from quillpress.api.graphql.schema import sdl

    typer.echo(sdl(), nl=False)


@_command(app, "openapi")
def openapi_document() -> None:
    """Print the OpenAPI document, as kept in openapi.json."""
    from quillpress.api.rest import openapi
    from quillpress.app import openapi_document as document
    from quillpress.config import Settings

    typer.echo(openapi.render(document(Settings())), nl=False)


@_command(app, "create-user")
def create_user(
    username: Annotated[str, typer.Argument(help="Unique username.")],
    email: Annotated[str, typer.Argument(help="Unique email address.")],
    password: Annotated[
        str | None, typer.Option(help="The password (visible to other local users).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    admin: Annotated[
        bool, typer.Option("--admin", help="Make an administrator (may delete anything).")
    ] = False,
) -> None:
    """Create an account; the only way to create an administrator.

    Without --password or --password-stdin, the password is prompted for (hidden).
    """
    from quillpress.domain.auth import Role
    from quillpress.domain.commands import RegisterUser
    from quillpress.domain.errors import DomainError
    from quillpress.domain.validation import parse
    from quillpress.infra.security import Security

    settings = _load_settings()
    security = Security.from_settings(settings)
    secret = _password(password, from_stdin=password_stdin)
    _check_database(settings)
    role = Role.ADMIN if admin else Role.USER
    try:
        command = parse(RegisterUser, {"username": username, "email": email, "password": secret})
        user_id = _run(_create_user(settings, security, command, role))
    except DomainError as error:
        _fail(f"cannot create user: {error.describe()}")
    typer.echo(f"Created {role.value} {command.username} (id {user_id}).")


def _password(given: str | None, *, from_stdin: bool) -> str:
    """The password from --password, from stdin, or from a hidden, confirmed prompt.

    Prompting needs a terminal: in a script with neither flag, waiting on a prompt nobody
    sees (or reading a password from a pipe meant for something else) would be worse
    than refusing."""
    if given is not None and from_stdin:
        _fail(
            "give the password with --password or --password-stdin, not both",
            CONFIGURATION_ERROR,
        )
    if given is not None:
        return given
    if from_stdin:
        piped = sys.stdin.read().rstrip("\r\n")
        if not piped:
            _fail("--password-stdin read no password from standard input", CONFIGURATION_ERROR)
        return piped
    if not sys.stdin.isatty():
        _fail(
            "no password given and no terminal to prompt on "
            "(pipe it in with --password-stdin, or pass --password)",
            CONFIGURATION_ERROR,
        )
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
