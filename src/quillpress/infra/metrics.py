"""Prometheus metrics: one :class:`Metrics` per app (a field of the typed resources),
updated from the seams (request middleware, the adapters' error mapping, the GraphQL
endpoint, the engine's pool) and rendered by ``GET /metrics``.

Names and labels are a contract (dashboards and alerts rely on them; the table in
docs/operating/monitoring.md lists them): change them only with a note to operators
(CHANGELOG.md).

With one process, every app gets a registry of its own (tests build many apps in one
process). With several workers (``serve --workers N``), ``serve`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before the workers start:
prometheus-client then keeps every value in a per-process file there, and a scrape, which
any one worker answers, adds up the files of all of them (``MultiProcessCollector``).

Size: most of it is the declarations, one per metric, kept together as the table operators
read."""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from quillpress.db.failures import PrimaryHealth
from quillpress.db.replicas import RoutingStats
from quillpress.domain.errors import Banned, CsrfRejected, DomainError, Unauthenticated

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED = "unmatched"
OTHER_OPERATION = "other"
ANONYMOUS_OPERATION = "anonymous"
MAX_OPERATION_NAMES = 100
"""Distinct GraphQL operation names counted by name; any further one counts as "other",
so clients sending generated names cannot grow the series without bound."""

STATEMENT_BUCKETS = (0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100)
CACHE_RESULTS = frozenset({"hit", "miss", "bypass"})
PERSISTED_QUERY_RESULTS = ("hit", "miss", "registered")
AUTH_FAILURE_REASONS = (
    "missing_token",
    "invalid_token",
    "invalid_refresh",
    "bad_credentials",
    "csrf",
    "banned",
    "other",
)
"""The fixed set of ``auth_failures_total{reason}`` values (never a free-form message)."""
EPOCH_BUMP_REASONS = ("purge_failed", "redis_reset", "operator")
"""``quillpress_cache_epoch_bumps_total{reason}`` series that exist from the start (a
caller may name another fixed reason; never a free-form message)."""

_AUTH_REASONS_BY_FIELDS: dict[tuple[str, str], str] = {
    ("token", "is missing"): "missing_token",
    ("token", "is invalid"): "invalid_token",
    ("refreshToken", "is invalid"): "invalid_refresh",
    ("credentials", "invalid"): "bad_credentials",
}
"""Which ``Unauthenticated`` it is, by the fields its constructors fix
(``Unauthenticated.missing()`` → ``{"token": ["is missing"]}``…)."""


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def auth_failure_reason(error: DomainError) -> str | None:
    """The ``reason`` label of an authentication failure, ``None`` for any other error."""
    if isinstance(error, Banned):
        return "banned"
    if isinstance(error, CsrfRejected):
        return "csrf"
    if not isinstance(error, Unauthenticated):
        return None
    for key, messages in error.fields.items():
        for message in messages:
            reason = _AUTH_REASONS_BY_FIELDS.get((key, message))
            if reason is not None:
                return reason
    return "other"


class Metrics:
    def __init__(self, *, version: str, registry: CollectorRegistry | None = None) -> None:
        # No ``*_created`` series: one more sample per counter and histogram series (the
        # time it was first seen) that no dashboard or alert here reads, and that a
        # Prometheus without created-timestamp support stores as a series of its own.
        # Process-wide in prometheus-client (read at each scrape); multiprocess mode never
        # writes them. The same as PROMETHEUS_DISABLE_CREATED_SERIES=true, without relying
        # on the environment.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.multiprocess = multiprocess_mode()
        if self.multiprocess:
            registry = None  # values go to the per-process files; collected at scrape
        elif registry is None:
            registry = CollectorRegistry()
        self.registry = registry
        r: Any = {"registry": registry}
        self.requests = Counter(
            "http_requests_total", "HTTP requests answered.", ["method", "route", "status"], **r
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (health, readiness and metrics excluded).",
            ["method", "route"],
            **r,
        )
        self.statements = Histogram(
            "db_statements_per_request",
            "SQL statements one request issued.",
            ["route"],
            buckets=STATEMENT_BUCKETS,
            **r,
        )
        self.pool_in_use = Gauge(
            "db_pool_connections_in_use",
            "Database connections checked out of the pool now.",
            multiprocess_mode="livesum",  # each live worker's pool, added up
            **r,
        )
        self.cache = Counter("cache_requests_total", "Requests by cache outcome.", ["result"], **r)
        self.auth_failures = Counter(
            "auth_failures_total", "Refused credentials, by reason.", ["reason"], **r
        )
        self.rate_limits = Counter(
            "rate_limited_total", "Requests refused by a rate limit, by rule.", ["rule"], **r
        )
        self.graphql = Counter(
            "graphql_operations_total",
            "GraphQL operations executed, by operation name and type.",
            ["operation", "type"],
            **r,
        )
        self.persisted_queries = Counter(
            "graphql_persisted_queries_total",
            "Automatic persisted queries, by result (hit, miss, registered).",
            ["result"],
            **r,
        )
        self.build_info = Gauge(
            "quillpress_build_info",
            "Always 1; the version is in the label.",
            ["version"],
            multiprocess_mode="max",
            **r,
        )
        self.build_info.labels(version=version).set(1)
        # Read replicas (db.replicas): only exported when replicas are configured.
        self.reads = Counter(
            "db_reads_total",
            "Database reads routed, by target (primary, replica).",
            ["target"],
            **r,
        )
        self.replica_lag_seconds = Gauge(
            "db_replica_lag_seconds",
            "Replay lag of a replica when last measured (NaN: unknown).",
            ["replica"],
            multiprocess_mode="max",
            **r,
        )
        self.replica_lag_bytes = Gauge(
            "db_replica_lag_bytes",
            "WAL bytes a replica had still to replay when last measured (NaN: unknown).",
            ["replica"],
            multiprocess_mode="max",
            **r,
        )
        self.replica_up = Gauge(
            "db_replica_up",
            "1 while a replica is used, 0 while it is skipped after a failure.",
            ["replica"],
            multiprocess_mode="min",
            **r,
        )
        # The primary (db.failures.PrimaryHealth): what the last unit of work on it, the
        # cache epoch's poll (every second) or a readiness probe learned.
        self.primary_up = Gauge(
            "quillpress_database_primary_up",
            "1 while the primary database serves reads and writes; 0 while it is "
            "unreachable, refusing connections or read-only.",
            multiprocess_mode="livemin",  # any live worker that cannot reach it says 0
            **r,
        )
        # The cache epoch (infra.epoch): each bump retires every cached entry at once.
        self.epoch_bumps = Counter(
            "quillpress_cache_epoch_bumps_total",
            "Cache epoch bumps (every cached entry retired at once), by reason.",
            ["reason"],
            **r,
        )
        self.purge_failures = Counter(
            "quillpress_cache_purge_failures_total",
            "Cache purges that could not be delivered (each one bumps the cache epoch).",
            **r,
        )
        self.idempotent_replays = Counter(
            "quillpress_idempotent_replays_total",
            "Creates answered with the first result of an earlier request with the same "
            "Idempotency-Key (nothing created again), by route.",
            ["route"],
            **r,
        )
        self._operation_names: set[str] = set()
        self._request_series: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}
        """Each (method, route, status)'s series, looked up once: routes are templates
        and statuses few, so this stays as small as the exposition itself."""
        self._cache_series: dict[str, Any] = {}
        """Each cache outcome's series, looked up once (the outcomes are a fixed set)."""
        self._pools: list[Any] = []
        for reason in AUTH_FAILURE_REASONS:  # every series exists from the start (rate()s)
            self.auth_failures.labels(reason=reason)
        for result in sorted(CACHE_RESULTS):
            self.cache.labels(result=result)
        for result in PERSISTED_QUERY_RESULTS:
            self.persisted_queries.labels(result=result)
        for reason in EPOCH_BUMP_REASONS:
            self.epoch_bumps.labels(reason=reason)

    # --- updates from the seams ----------------------------------------------------------

    def request(
        self, *, method: str, route: str, status: int, seconds: float, statements: int, timed: bool
    ) -> None:
        """One answered request; ``timed=False`` (health, readiness, metrics) counts it
        without a latency or statement sample."""
        key = (method, route, status)
        series = self._request_series.get(key)
        if series is None:  # labels() looks the series up by keyword on every call
            series = self._request_series[key] = (
                self.requests.labels(method=method, route=route, status=str(status)),
                self.duration.labels(method=method, route=route),
                self.statements.labels(route=route),
            )
        series[0].inc()
        if timed:
            series[1].observe(seconds)
            series[2].observe(statements)

    def cache_result(self, outcome: str) -> None:
        """The request's cache outcome; ``none`` (the request read no cached data) is not
        counted."""
        if outcome in CACHE_RESULTS:
            series = self._cache_series.get(outcome)
            if series is None:
                series = self._cache_series[outcome] = self.cache.labels(result=outcome)
            series.inc()

    def cache_epoch_bumped(self, reason: str) -> None:
        self.epoch_bumps.labels(reason=reason).inc()

    def cache_purge_failed(self) -> None:
        """A purge the cache could not deliver (the caller then bumps the epoch)."""
        self.purge_failures.inc()

    def idempotent_replay(self, route: str) -> None:
        self.idempotent_replays.labels(route=route).inc()

    def auth_failure(self, error: DomainError) -> None:
        reason = auth_failure_reason(error)
        if reason is not None:
            self.auth_failures.labels(reason=reason).inc()

    def rate_limited(self, rule: str) -> None:
        self.rate_limits.labels(rule=rule).inc()

    def graphql_operation(self, name: str | None, kind: str) -> None:
        """``name`` is the client's; after :data:`MAX_OPERATION_NAMES` distinct ones (per
        process), new names count as ``other``."""
        label = name or ANONYMOUS_OPERATION
        if label not in self._operation_names:
            if len(self._operation_names) >= MAX_OPERATION_NAMES:
                label = OTHER_OPERATION
            else:
                self._operation_names.add(label)
        self.graphql.labels(operation=label, type=kind).inc()

    def persisted_query(self, result: str) -> None:
        """A persisted-query hash found (``hit``), unknown (``miss``), or a document
        registered under its hash (``registered``)."""
        self.persisted_queries.labels(result=result).inc()

    def watch_pool(self, engine: AsyncEngine) -> None:
        """Keep ``db_pool_connections_in_use`` current: +1 on checkout, -1 on checkin (so
        every worker's file is up to date in multiprocess mode), re-read from the pool
        itself at each scrape of this process."""
        pool = engine.sync_engine.pool
        self._pools.append(pool)
        event.listen(pool, "checkout", lambda *_: self.pool_in_use.inc())
        event.listen(pool, "checkin", lambda *_: self.pool_in_use.dec())

    def watch_routing(self, routing: RoutingStats) -> None:
        """Count every routed read and keep each replica's lag and health current, in the
        read's listener rather than only at scrape, so every worker's multiprocess file
        holds its latest view."""
        for target in ("primary", "replica"):
            self.reads.labels(target=target)

        def routed(target: str) -> None:
            self.reads.labels(target=target).inc()
            for state in routing.replicas:
                lag_s, lag_b = state.lag_seconds, state.lag_bytes
                self.replica_lag_seconds.labels(replica=state.name).set(
                    float("nan") if lag_s is None else lag_s
                )
                self.replica_lag_bytes.labels(replica=state.name).set(
                    float("nan") if lag_b is None else float(lag_b)
                )
                self.replica_up.labels(replica=state.name).set(1 if state.healthy else 0)

        routing.subscribe(routed)

    def watch_primary(self, health: PrimaryHealth) -> None:
        """Keep ``quillpress_database_primary_up`` at 1 while the primary is up, else 0."""
        health.subscribe(lambda state: self.primary_up.set(1 if state == "up" else 0))

    # --- the scrape --------------------------------------------------------------------

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric (of every worker)."""
        in_use = sum(_checked_out(pool) for pool in self._pools)
        self.pool_in_use.set(in_use)
        if self.multiprocess:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        assert self.registry is not None
        return generate_latest(self.registry)

    def close(self) -> None:
        """A stopping worker's live gauges leave the sum (its counters stay counted)."""
        self._pools.clear()
        if self.multiprocess:
            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def _checked_out(pool: Any) -> int:
    checkedout = getattr(pool, "checkedout", None)
    return int(checkedout()) if callable(checkedout) else 0
