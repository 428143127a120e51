"""``quillpress serve``: everything checked and prepared once in the parent process
(settings, workers, the port, migrations, demo data), then uvicorn with its workers.

The parent's other duties live beside it: ``cli.workers`` (what several workers need),
``cli.supervisor`` (the listen check, the readiness line, signals, uvicorn's proxy
options) and ``cli.serve_warnings`` (what it starts with but should not pass in silence)."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Annotated

import typer

from quillpress.cli.db import apply_search_language
from quillpress.cli.root import command, commands
from quillpress.cli.runtime import check_database, database, load_settings, log, run, say
from quillpress.cli.seed import seeded
from quillpress.cli.serve_warnings import serve_warnings
from quillpress.cli.supervisor import announcing, check_can_listen, proxy_options, stopping_quietly
from quillpress.cli.workers import (
    cache_for_workers,
    metrics_directory,
    replicas_for_workers,
    worker_count,
)
from quillpress.seeding import plan as demo_plan

if TYPE_CHECKING:
    from quillpress.config import CacheMode, Settings
    from quillpress.db.database import Database

top_level = commands()

APP_FACTORY = "quillpress.app:create_app"


def _port(value: str | int) -> int:
    text = str(value).strip()
    if not text.isdecimal() or not 1 <= int(text) <= 65_535:
        raise typer.BadParameter(f"{text!r} is not a port: give a number from 1 to 65535")
    return int(text)


@command(top_level)
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

    settings = load_settings()
    processes = worker_count(settings, workers)
    replicas_for_workers(settings, processes)
    cache = cache_for_workers(settings, processes)
    check_can_listen(host, port)
    local_url = f"http://{host}:{port}"
    prepare_serve(settings, demo=demo, local_url=local_url, migrate_first=not no_migrate)
    for warning in serve_warnings(settings, host, os.environ):
        say(settings, f"Warning: {warning}", level=logging.WARNING)
    summary = startup_summary(settings, cache=cache, workers=processes, local_url=local_url)
    log.info("startup", extra=summary)
    with stopping_quietly(), metrics_directory(processes), announcing(settings, host, port):
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

    check_database(settings)  # first: a bad URL is one line, not a key warning and a line
    resolve_secret(settings)
    run(_prepare_database(settings, demo=demo, local_url=local_url, migrate_first=migrate_first))


async def _prepare_database(
    settings: Settings, *, demo: bool, local_url: str, migrate_first: bool
) -> None:
    from quillpress.db import migrate
    from quillpress.infra.passwords import PasswordHasher
    from quillpress.seeding import seed as seed_service

    async with database(settings) as db:
        if migrate_first:
            await migrate.upgrade(db.engine)
            await apply_search_language(settings, db)
        else:
            await _require_head(db)
        if demo and not await seed_service.database_has_users(db):
            say(settings, "Seeding demo data into the empty database…")
            plan = demo_plan.SeedPlan(public_url=settings.public_url or local_url)
            hasher = PasswordHasher.from_settings(settings)
            summary = await seed_service.seed_demo(db, hasher, plan)
            say(settings, seeded(summary))


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
    return run(answers_ping(settings.redis_url, timeout_seconds=settings.redis_timeout_ms / 1000))
