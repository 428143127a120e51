"""The composition root: every resource a running app (or a CLI command) holds, built
from the settings and closed in one place.

It sits beside :mod:`quillpress.app` and above the adapters (the layers contract in
``pyproject.toml`` puts it between the two): it is the one module that knows which engine,
replica router, position store, cache store and epoch a :class:`Resources` is made of.
The app's lifespan and the CLI's one-shot commands open their resources here; adapters
only ever see the built :class:`~quillpress.infra.resources.Resources`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from quillpress import __version__
from quillpress.config import CacheMode, Settings, mask_url
from quillpress.db.database import Database, UseCaseSpan
from quillpress.db.engine import create_engine
from quillpress.db.positions import InProcessPositions, PositionStore
from quillpress.db.replicas import Replica, ReplicaState, Router
from quillpress.infra.activity import ActivityThrottle
from quillpress.infra.cache import Cache, CacheStore, MemoryStore, RedisStore
from quillpress.infra.epoch import CacheEpoch
from quillpress.infra.events import EventBus, log_changes
from quillpress.infra.invalidation import invalidator
from quillpress.infra.limits import Limiter
from quillpress.infra.metrics import Metrics
from quillpress.infra.persisted_queries import PersistedQueries, RedisDocuments
from quillpress.infra.resources import Resources
from quillpress.infra.security import Security
from quillpress.infra.wal_positions import RedisPositions

log = logging.getLogger("quillpress.cache")


async def open_cache(settings: Settings) -> Cache:
    """The cache ``settings`` choose. An unreachable Redis at startup is a warning, never a
    failed start: the cache bypasses itself to the database until Redis answers."""
    mode = settings.cache_mode
    store: CacheStore | None = None
    if mode is CacheMode.MEMORY:
        store = MemoryStore()
    elif mode is CacheMode.REDIS:
        assert settings.redis_url is not None  # Settings refuses redis without a URL
        redis = RedisStore.from_url(
            settings.redis_url,
            prefix=settings.redis_prefix,
            timeout_seconds=settings.redis_timeout_ms / 1000,
            max_connections=settings.redis_max_connections,
            ttl=settings.cache_ttl_seconds,
        )
        if not await redis.ping():
            log.warning("Redis unreachable at startup; serving from the database until it is back")
        store = redis
    return Cache(store, ttl_seconds=settings.cache_ttl_seconds)


def open_persisted_queries(settings: Settings) -> PersistedQueries:
    """The APQ store: shared through Redis when the cache is (the same server and prefix),
    else in this process only. Nothing connects here: Redis is first asked on a lookup."""
    redis: RedisDocuments | None = None
    if settings.cache_mode is CacheMode.REDIS:
        assert settings.redis_url is not None  # Settings refuses redis without a URL
        redis = RedisDocuments.from_url(
            settings.redis_url,
            prefix=settings.redis_prefix,
            ttl_seconds=settings.graphql_persisted_query_ttl_seconds or None,
            timeout_seconds=settings.redis_timeout_ms / 1000,
            max_connections=settings.redis_max_connections,
        )
    return PersistedQueries(max_entries=settings.graphql_persisted_query_cache_size, redis=redis)


def _wire_epoch(cache: Cache, epoch: CacheEpoch, metrics: Metrics) -> None:
    """The epoch is part of every cache key; a purge that cannot be delivered bumps it
    (so every instance drops what it cached before the write within one poll), and a
    change clears the in-process store (its keys are unreachable already)."""

    async def purge_failed() -> None:
        metrics.cache_purge_failed()
        await epoch.bump("purge_failed")

    cache.epoch = epoch
    cache.on_purge_failure = purge_failed
    epoch.on_change(lambda _value: cache.forget_everything())


REPLICA_CONNECT_TIMEOUT_SECONDS = 2.0
"""A black-holed replica costs one read this long every few seconds (then the primary)."""


def open_router(
    settings: Settings,
    primary: AsyncEngine,
    stack: AsyncExitStack,
    *,
    null_pool: bool,
    deadline: float | None = None,
) -> Router | None:
    """The read router over ``QUILLPRESS_DATABASE_REPLICA_URLS`` (``None`` without any).
    Commit positions are shared through Redis when a Redis URL is set, else kept in
    process (one instance)."""
    if not settings.database_replica_urls:
        return None
    replicas = []
    for url in settings.database_replica_urls:
        engine = create_engine(
            url,
            pool_size=settings.database_pool_size,
            echo=settings.database_echo,
            null_pool=null_pool,
            connect_timeout=REPLICA_CONNECT_TIMEOUT_SECONDS,
            deadline=deadline,
        )
        stack.push_async_callback(engine.dispose)
        replicas.append(Replica(engine, ReplicaState(name=mask_url(url))))
    positions: PositionStore = InProcessPositions()
    if settings.redis_url:
        shared = RedisPositions.from_url(
            settings.redis_url,
            prefix=settings.redis_prefix,
            timeout_seconds=settings.redis_timeout_ms / 1000,
            max_connections=settings.redis_max_connections,
        )
        stack.push_async_callback(shared.close)
        positions = shared
    return Router(primary, replicas, positions)


@asynccontextmanager
async def open_resources(
    settings: Settings,
    *,
    security: Security | None = None,
    null_pool: bool = False,
    metrics: Metrics | None = None,
    outside_server: bool = False,
) -> AsyncIterator[Resources]:
    """Build every resource from ``settings``; dispose of them when the block ends.

    ``null_pool`` is for one-shot CLI commands: no connections are kept open.
    ``outside_server`` is for commands that write: every write transaction bumps the
    cache epoch in the same transaction (running servers drop what they cached before it
    within their poll interval), and the epoch is not polled. Only a server's connections
    get the database deadline (``QUILLPRESS_DATABASE_TIMEOUT_MS``): a command's long
    statement is not a fault."""
    deadline = None if outside_server else settings.database_timeout_ms / 1000
    events = EventBus()
    events.subscribe(log_changes)
    cache = await open_cache(settings)
    events.subscribe(invalidator(cache))
    activity = ActivityThrottle()
    limiter = Limiter.from_settings(settings)
    persisted_queries = open_persisted_queries(settings)
    engine = create_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        echo=settings.database_echo,
        null_pool=null_pool,
        deadline=deadline,
    )
    stack = AsyncExitStack()
    metrics = metrics or Metrics(version=__version__)
    metrics.watch_pool(engine)
    span: UseCaseSpan | None = None
    if settings.tracing:
        from quillpress.infra import otel  # only with the otel extra (Settings checked)

        otel.instrument_engine(engine)
        span = otel.use_case_span
    try:
        router = open_router(settings, engine, stack, null_pool=null_pool, deadline=deadline)
        if router is not None:
            metrics.watch_routing(router.stats)
            for replica_engine in router.engines:
                metrics.watch_pool(replica_engine)
        database = Database(
            engine,
            publish=events.publish,
            router=router,
            span=span,
            bump_epoch_on_write=outside_server,
            cache=cache,
            deadline=deadline,
        )
        metrics.watch_primary(database.primary_health)
        epoch = CacheEpoch.from_settings(settings, database, metrics)
        stack.push_async_callback(epoch.stop)  # before the engines are disposed
        _wire_epoch(cache, epoch, metrics)
        if not outside_server:
            await epoch.start()
        yield Resources(
            settings=settings,
            database=database,
            security=security or Security.from_settings(settings),
            events=events,
            cache=cache,
            activity=activity,
            metrics=metrics,
            limiter=limiter,
            persisted_queries=persisted_queries,
            epoch=epoch,
        )
    finally:
        await limiter.close()
        await persisted_queries.close()
        metrics.close()
        if settings.tracing:
            otel.flush()
        await activity.drain()
        await stack.aclose()
        await engine.dispose()
        await cache.close()
