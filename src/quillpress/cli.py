"""The ``quillpress`` command: serve, migrate, seed and create users.

Each command only loads settings, calls one lower-layer function and reports the
outcome; no SQL and no business rules live here. Failures a user can fix print one
clear line on stderr instead of a traceback, with an exit status that says which kind:
2 for configuration (a bad setting, a database that cannot be reached, a weak production
key, a missing password), 1 for everything else (a taken username, a database that is
not empty). ``QUILLPRESS_LOG_LEVEL=DEBUG`` adds the traceback."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import traceback
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from types import FrameType
from typing import Annotated, Any, NoReturn

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from quillpress import __version__
from quillpress.api.graphql.schema import sdl
from quillpress.api.rest import openapi
from quillpress.config import (
    CacheMode,
    ConfigurationError,
    Settings,
    describe_validation_error,
    parse_workers,
    resolve_workers,
    unknown_variables,
)
from quillpress.db import migrate, search_language
from quillpress.db.database import Database
from quillpress.db.engine import create_engine
from quillpress.db.preflight import check_database
from quillpress.demo import n_plus_one
from quillpress.domain.auth import Role
from quillpress.domain.commands import AuditFilter, RegisterUser, make_page
from quillpress.domain.errors import DomainError
from quillpress.domain.validation import parse
from quillpress.domain.views import isoformat
from quillpress.infra.display import visible
from quillpress.infra.epoch import CacheEpoch
from quillpress.infra.logging import configure_logging
from quillpress.infra.metrics import MULTIPROC_ENV
from quillpress.infra.passwords import PasswordHasher
from quillpress.infra.resources import open_resources
from quillpress.infra.secrets import resolve_secret, weak_key_warning
from quillpress.infra.security import Security
from quillpress.seeding import plan as demo_plan
from quillpress.seeding import seed as seed_service
from quillpress.services import audit as audit_service
from quillpress.services import users as user_service

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
    except (ConfigurationError, ValidationError) as error:
        if isinstance(error, ValidationError) and error.title != Settings.__name__:
            raise  # not a setting: some other model's invalid data is a bug, not config
        if os.environ.get("QUILLPRESS_LOG_LEVEL", "").strip().upper() == "DEBUG":
            typer.echo("".join(traceback.format_exception(error)).rstrip(), err=True)
        line = describe_validation_error(error) if isinstance(error, ValidationError) else error
        typer.echo(f"Error: {line}", err=True)
        raise typer.Exit(code=CONFIGURATION_ERROR) from None


class _Commands(TyperGroup):
    """The root group: every command and sub-command runs inside it, so the error rule
    above is written once and holds for all of them."""

    def invoke(self, ctx: Any) -> Any:  # a typer.Context; its base class is vendored
        with reporting_configuration_errors():
            return super().invoke(ctx)


app = typer.Typer(
    cls=_Commands,
    help="Quillpress: a RealWorld-compatible blogging backend.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Apply or revert the packaged database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")

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
    settings = Settings()
    configure_logging(settings)
    if database:
        _check_database(settings)
    return settings


def _check_database(settings: Settings) -> None:
    """Reachable, existing, writable? One line (exit 2) if not, before any real work."""
    asyncio.run(check_database(settings))


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
    engine = create_engine(settings.database_url, null_pool=True)
    try:
        yield Database(engine, bump_epoch_on_write=True)
    finally:
        await engine.dispose()


def _seeded(summary: seed_service.SeedSummary, *notes: str) -> str:
    """``Seeded 50 users, 500 articles, … (every demo user's password is "…")``."""
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
    _check_database(settings)  # first: a bad URL is one line, not a key warning and a line
    resolve_secret(settings)
    asyncio.run(
        _prepare_database(settings, demo=demo, local_url=local_url, migrate_first=migrate_first)
    )


async def _prepare_database(
    settings: Settings, *, demo: bool, local_url: str, migrate_first: bool
) -> None:
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
    if await search_language.apply(db.engine, settings.search_language):
        _say(settings, f"Search index rebuilt in {settings.search_language}.")


async def _require_head(db: Database) -> None:
    """``serve --no-migrate`` (deployments, where a one-shot job migrates): a database
    behind the code is one line and exit 2, so the replica restarts until the job is done,
    rather than serving a schema it does not know."""
    current, head = await migrate.current_revision(db.engine), migrate.head_revision()
    if current != head:
        raise ConfigurationError(
            f"the database is at revision {current or 'base (no schema)'}, not {head}: "
            "run `quillpress db upgrade` first (serve --no-migrate does not migrate)"
        )


def _cache_for_workers(settings: Settings, workers: int) -> None:
    """An in-process cache per worker cannot see the other workers' purges: with several
    workers and no Redis, an implied memory cache is turned off (one warning), and an
    explicit ``QUILLPRESS_CACHE=memory`` is a configuration error (exit 2)."""
    if workers <= 1 or settings.cache_mode is not CacheMode.MEMORY:
        return
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


def _replicas_for_workers(settings: Settings, workers: int) -> None:
    """Commit positions kept in process are seen by one worker only: another worker
    could read a replica that lacks this worker's write. Several workers need Redis."""
    if workers > 1 and settings.database_replica_urls and not settings.redis_url:
        raise ConfigurationError(
            "QUILLPRESS_DATABASE_REPLICA_URLS with --workers > 1 needs QUILLPRESS_REDIS_URL "
            "(the workers share commit positions through it)"
        )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.", metavar="HOST")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="Port to bind.", metavar="PORT", min=1, max=65_535)
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
    settings = _load_settings()
    processes = _worker_count(settings, workers)
    _replicas_for_workers(settings, processes)
    _cache_for_workers(settings, processes)
    _check_can_listen(host, port)
    local_url = f"http://{host}:{port}"
    prepare_serve(settings, demo=demo, local_url=local_url, migrate_first=not no_migrate)
    for warning in serve_warnings(settings, host, os.environ):
        _say(settings, f"Warning: {warning}", level=logging.WARNING)
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


def serve_warnings(settings: Settings, host: str, environ: Mapping[str, str]) -> list[str]:
    """What ``serve`` starts with but should not pass in silence (after every check that
    refuses to start, so an error stays one line): variables no setting reads, development
    defaults reachable from other machines, a weak key in development."""
    warnings = [
        f"{name} is not a setting and is ignored"
        + (f"; did you mean {close}?" if close else " (the README lists every setting)")
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
    async with _database(settings) as db:
        if action == "upgrade":
            await migrate.upgrade(db.engine, revision)
            await _search_language(settings, db)
        elif action == "downgrade":
            await migrate.downgrade(db.engine, revision)
        return await migrate.current_revision(db.engine)


def _report_revision(revision: str | None) -> None:
    typer.echo(f"Database at revision: {revision or 'base (no schema)'}")


@db_app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    _report_revision(asyncio.run(_migrate(_load_settings(database=True), "upgrade", revision)))


@db_app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")] = "-1",
) -> None:
    """Revert migrations down to REVISION (default: one step)."""
    settings = _load_settings(database=True)
    _report_revision(asyncio.run(_migrate(settings, "downgrade", revision)))


@db_app.command()
def current() -> None:
    """Print the revision the database is at."""
    _report_revision(asyncio.run(_migrate(_load_settings(database=True), "current", "")))


# --- seed ----------------------------------------------------------------------------


async def _seed(
    settings: Settings, plan: demo_plan.SeedPlan, progress: seed_service.Progress
) -> seed_service.SeedSummary:
    async with _database(settings) as db:
        await migrate.upgrade(db.engine)
        hasher = PasswordHasher.from_settings(settings)
        return await seed_service.seed_demo(db, hasher, plan, progress)


@app.command("seed")
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
            summary = asyncio.run(_seed(settings, plan, report))
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
    async with open_resources(
        settings, security=security, null_pool=True, outside_server=True
    ) as resources:
        await migrate.upgrade(resources.database.engine)
        session = await user_service.register(resources.database, security, command, role=role)
    return session.user.id


# --- audit ---------------------------------------------------------------------------

audit_app = typer.Typer(help="Print the newest security events, or prune old ones.")
app.add_typer(audit_app, name="audit")


async def _audit_events(settings: Settings, filters: AuditFilter, limit: int) -> list[Any]:
    async with _database(settings) as db:
        await migrate.upgrade(db.engine)  # as serve and create-user do: the table exists
        page = await audit_service.list_events(db, filters, make_page(limit, max_limit=limit))
    return list(page.items)


async def _audit_prune(settings: Settings) -> int:
    async with _database(settings) as db:
        await migrate.upgrade(db.engine)
        return await audit_service.prune(db, retention_days=settings.audit_retention_days)


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
) -> None:
    """Print the newest security events as a table (filters combine)."""
    if ctx.invoked_subcommand is not None:
        return
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
    events = asyncio.run(_audit_events(settings, filters, limit))
    table = Table("at", "actor", "action", "target", "ip", "outcome", "request id")
    for event in events:
        table.add_row(
            *(
                _as_text(value)
                for value in (
                    isoformat(event.at),
                    event.actor,
                    event.action,
                    event.target,
                    event.ip,
                    event.outcome,
                    event.request_id,
                )
            )
        )
    console = Console()
    console.print(table)
    console.print(f"{len(events)} event{'s' if len(events) != 1 else ''}")


def _as_text(value: str | None) -> Text:
    """A stored value (much of it written by clients: an email, a request id) as a table
    cell: a ``Text`` object, so Rich reads no markup in it (``[/x]`` would be a
    ``MarkupError``, ``[link=…]`` a hyperlink), with its control characters escaped
    (``infra.display``), so none reaches the operator's terminal."""
    return Text(visible(value) if value else "-")


@audit_app.command("prune")
def audit_prune() -> None:
    """Delete events older than the retention (days).

    The retention is QUILLPRESS_AUDIT_RETENTION_DAYS (default 90)."""
    settings = _load_settings(database=True)
    removed = asyncio.run(_audit_prune(settings))
    typer.echo(
        f"Removed {removed} audit event{'s' if removed != 1 else ''} older than "
        f"{settings.audit_retention_days} days."
    )


# --- cache ---------------------------------------------------------------------------

cache_app = typer.Typer(help="Operate the response cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


async def _flush_cache(settings: Settings) -> str:
    async with _database(settings) as db:
        await migrate.upgrade(db.engine)  # as the other commands do: the table exists
        return await CacheEpoch(db).flush("operator")


@cache_app.command("flush")
def cache_flush() -> None:
    """Retire every cached entry on every running server.

    It bumps the cache epoch kept in the database.
    Running servers drop older entries within a second.
    Run it after restoring the database or editing rows with raw SQL."""
    settings = _load_settings(database=True)
    try:
        token = asyncio.run(_flush_cache(settings))
    except DomainError as error:
        _fail(f"cannot flush the cache: {error.describe()}")
    typer.echo(f"Cache flushed (epoch {token[:8]}…): servers drop older entries within a second.")


demo_app = typer.Typer(help="Runnable lessons.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")


@demo_app.command("n-plus-one")
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
    try:
        n_plus_one.main(posts=posts, database_url=database_url, full_sql=sql)
    except n_plus_one.LessonError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(code=2) from None


@app.command("graphql-schema")
def graphql_schema() -> None:
    """Print the GraphQL schema (SDL), as kept in schema.graphql."""
    typer.echo(sdl(), nl=False)


@app.command("openapi")
def openapi_document() -> None:
    """Print the OpenAPI document, as kept in openapi.json."""
    typer.echo(openapi.render(openapi.document(Settings())), nl=False)


@app.command("create-user")
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
    settings = _load_settings()
    security = Security.from_settings(settings)
    secret = _password(password, from_stdin=password_stdin)
    _check_database(settings)
    role = Role.ADMIN if admin else Role.USER
    try:
        command = parse(RegisterUser, {"username": username, "email": email, "password": secret})
        user_id = asyncio.run(_create_user(settings, security, command, role))
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
