"""What ``serve --workers N`` needs beyond one process: the count itself, settings that
cannot hold across processes (an in-process cache, commit positions kept in memory), and
a Prometheus multiprocess directory for the run."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from quillpress.cli.runtime import say

if TYPE_CHECKING:
    from quillpress.config import CacheMode, Settings


def worker_count(settings: Settings, option: str | None) -> int:
    """``--workers`` when given, else ``QUILLPRESS_WORKERS``; ``auto`` is the CPU count."""
    from quillpress.config import ConfigurationError, parse_workers, resolve_workers

    if option is None:
        return settings.worker_count
    try:
        return resolve_workers(parse_workers(option))
    except ValueError as error:
        raise ConfigurationError(f"--workers={option!r} is not accepted: {error}") from None


def cache_for_workers(settings: Settings, workers: int) -> CacheMode:
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
    say(
        settings,
        f"Warning: {workers} workers and no QUILLPRESS_REDIS_URL: the cache is off "
        "(per-process caches cannot see each other's purges)",
        level=logging.WARNING,
    )
    os.environ["QUILLPRESS_CACHE"] = CacheMode.OFF.value  # workers read the environment
    return CacheMode.OFF


def replicas_for_workers(settings: Settings, workers: int) -> None:
    """Commit positions kept in process are seen by one worker only: another worker
    could read a replica that lacks this worker's write. Several workers need Redis."""
    from quillpress.config import ConfigurationError

    if workers > 1 and settings.database_replica_urls and not settings.redis_url:
        raise ConfigurationError(
            "QUILLPRESS_DATABASE_REPLICA_URLS with --workers > 1 needs QUILLPRESS_REDIS_URL "
            "(the workers share commit positions through it)"
        )


@contextmanager
def metrics_directory(workers: int) -> Iterator[None]:
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
