"""The ``quillpress`` command: serve, migrate, seed and create users.

Each command only loads settings, calls one lower-layer function and reports the
outcome; no SQL and no business rules live here. Failures a user can fix (a weak
production key, a taken username, a database that is not empty) print one clear line
on stderr and exit with status 1 instead of a traceback."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, NoReturn

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from quillpress.api.graphql.schema import sdl
from quillpress.config import CacheMode, Settings
from quillpress.db import migrate
from quillpress.db.database import Database
from quillpress.db.engine import create_engine
from quillpress.demo import n_plus_one
from quillpress.domain.auth import Role
from quillpress.domain.commands import RegisterUser
from quillpress.domain.errors import DomainError
from quillpress.domain.validation import parse
from quillpress.infra.logging import configure_logging
from quillpress.infra.passwords import PasswordHasher
from quillpress.infra.resources import open_resources
from quillpress.infra.secrets import InsecureSecretError, resolve_secret
from quillpress.infra.security import Security
from quillpress.services import demo_data
from quillpress.services import seed as seed_service
from quillpress.services import users as user_service

app = typer.Typer(
    help="Quillpress: a RealWorld-compatible blogging backend.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Apply or revert the packaged database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")

APP_FACTORY = "quillpress.app:create_app"


def main() -> None:
    """Console entry point (``quillpress`` and ``python -m quillpress``)."""
    app()


# --- helpers -------------------------------------------------------------------------


def _load_settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level)
    return settings


def _fail(message: str) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code=1)


@asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[Database]:
    """A database handle outside the app; the engine is disposed when the command ends."""
    engine = create_engine(settings.database_url, null_pool=True)
    try:
        yield Database(engine)
    finally:
        await engine.dispose()


def _password_hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.password_time_cost,
        memory_kib=settings.password_memory_kib,
        parallelism=settings.password_parallelism,
        concurrency=settings.password_hash_concurrency,
    )


# --- serve ---------------------------------------------------------------------------


def prepare_serve(settings: Settings, *, demo: bool) -> None:
    """Everything ``serve`` does once in the parent process, before any worker starts.

    Resolving the secret here creates the development key file exactly once, so every
    worker reads the same key; migrating here means workers never race on the schema."""
    try:
        resolve_secret(settings)
    except InsecureSecretError as error:
        _fail(str(error))
    asyncio.run(_prepare_database(settings, demo=demo))


async def _prepare_database(settings: Settings, *, demo: bool) -> None:
    async with _database(settings) as db:
        await migrate.upgrade(db.engine)
        if demo and not await seed_service.database_has_users(db):
            typer.echo("Seeding demo data into the empty database…", err=True)
            await seed_service.seed_demo(db, _password_hasher(settings), demo_data.SeedPlan())


def _cache_for_workers(settings: Settings, workers: int) -> None:
    """An in-process cache per worker cannot see the other workers' purges: with several
    workers and no Redis, an implied memory cache is turned off (one warning), and an
    explicit ``QUILLPRESS_CACHE=memory`` is a configuration error (exit 2)."""
    if workers <= 1 or settings.cache_mode is not CacheMode.MEMORY:
        return
    if settings.cache is CacheMode.MEMORY:
        typer.echo(
            "Error: QUILLPRESS_CACHE=memory cannot serve --workers > 1 (each worker would keep "
            "its own cache and miss the others' purges); set QUILLPRESS_REDIS_URL, or "
            "QUILLPRESS_CACHE=off",
            err=True,
        )
        raise typer.Exit(code=2)
    typer.echo(
        f"Warning: {workers} workers and no QUILLPRESS_REDIS_URL: the cache is off "
        "(per-process caches cannot see each other's purges)",
        err=True,
    )
    os.environ["QUILLPRESS_CACHE"] = CacheMode.OFF.value  # workers read the environment


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.", min=1, max=65_535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (one per core).", min=1)] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    demo: Annotated[
        bool, typer.Option(help="Seed demo data first, if the database has no users.")
    ] = False,
) -> None:
    """Migrate the database, then serve the REST API with uvicorn."""
    settings = _load_settings()
    _cache_for_workers(settings, workers)
    prepare_serve(settings, demo=demo)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        access_log=False,  # the app writes one structured line per request itself
    )


# --- db ------------------------------------------------------------------------------


async def _migrate(settings: Settings, action: str, revision: str) -> str | None:
    async with _database(settings) as db:
        if action == "upgrade":
            await migrate.upgrade(db.engine, revision)
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
    _report_revision(asyncio.run(_migrate(_load_settings(), "upgrade", revision)))


@db_app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")] = "-1",
) -> None:
    """Revert migrations down to REVISION (default: one step)."""
    _report_revision(asyncio.run(_migrate(_load_settings(), "downgrade", revision)))


@db_app.command()
def current() -> None:
    """Print the revision the database is at."""
    _report_revision(asyncio.run(_migrate(_load_settings(), "current", "")))


# --- seed ----------------------------------------------------------------------------


async def _seed(
    settings: Settings, plan: demo_data.SeedPlan, progress: seed_service.Progress
) -> seed_service.SeedSummary:
    async with _database(settings) as db:
        await migrate.upgrade(db.engine)
        return await seed_service.seed_demo(db, _password_hasher(settings), plan, progress)


@app.command("seed")
def seed_command(
    users: Annotated[int, typer.Option(help="Demo users to create.", min=1)] = 50,
    articles: Annotated[int, typer.Option(help="Demo articles to create.", min=0)] = 500,
    seed_value: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed gives the same data.")
    ] = 42,
) -> None:
    """Fill an empty database with deterministic demo data (migrating it first).

    Every demo user signs in with the password "password123"."""
    settings = _load_settings()
    plan = demo_data.SeedPlan(users=users, articles=articles, seed=seed_value)
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
    typer.echo(
        "Seeded "
        + ", ".join(f"{count} {name}" for name, count in summary.counts.items())
        + f' (seed {seed_value}; every demo user\'s password is "{seed_service.DEMO_PASSWORD}")'
    )


# --- create-user ---------------------------------------------------------------------


async def _create_user(
    settings: Settings, security: Security, command: RegisterUser, role: Role
) -> int:
    # Through the typed resources, so the write's after-commit purge reaches a shared
    # cache (Redis) that running servers read.
    async with open_resources(settings, security=security, null_pool=True) as resources:
        await migrate.upgrade(resources.database.engine)
        session = await user_service.register(resources.database, security, command, role=role)
    return session.user.id


demo_app = typer.Typer(help="Runnable lessons.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")


@demo_app.command("n-plus-one")
def demo_n_plus_one(
    posts: Annotated[
        int, typer.Option(min=1, max=100, help="Posts (each by its own author).")
    ] = 10,
) -> None:
    """Load posts with their authors naively, eagerly and via GraphQL's DataLoader, and
    print the SQL statements and time each way costs."""
    n_plus_one.main(posts=posts)


@app.command("graphql-schema")
def graphql_schema() -> None:
    """Print the GraphQL schema (SDL); `schema.graphql` in the repository is this output."""
    typer.echo(sdl(), nl=False)


@app.command("create-user")
def create_user(
    username: Annotated[str, typer.Argument(help="Unique username.")],
    email: Annotated[str, typer.Argument(help="Unique email address.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Password (prompted for, hidden, when not given).",
        ),
    ],
    admin: Annotated[
        bool, typer.Option("--admin", help="Make an administrator (may delete any content).")
    ] = False,
) -> None:
    """Create an account; the only way to create an administrator."""
    settings = _load_settings()
    role = Role.ADMIN if admin else Role.USER
    try:
        security = Security.from_settings(settings)
        command = parse(RegisterUser, {"username": username, "email": email, "password": password})
        user_id = asyncio.run(_create_user(settings, security, command, role))
    except InsecureSecretError as error:
        _fail(str(error))
    except DomainError as error:
        _fail(f"cannot create user: {error.describe()}")
    typer.echo(f"Created {role.value} {command.username} (id {user_id}).")
