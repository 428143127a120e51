"""Readiness: can this instance serve requests now? (Liveness needs no use case: a
process that answers at all is alive.)

Each check is bounded by a short timeout, so a black-holed dependency makes the probe
answer "not ready" quickly instead of hanging until the orchestrator's probe times out.
The database and the schema decide readiness; Redis only degrades it, because every read
falls back to the database while the cache is unreachable.

With replicas, readiness stays green while reads can be served (a red readiness on
every pod would turn a read-only degradation into a full outage), and says the truth
beside it: ``primary`` is probed on the primary itself (``down`` when it does not answer
or refuses writes), each replica on its own, and the probe keeps the
``quillpress_database_primary_up`` metric current."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from quillpress.db import migrate, replicas
from quillpress.db.database import Database, opened
from quillpress.db.failures import DATABASE_ERRORS, is_unavailable
from quillpress.db.replicas import ReplicaCheck
from quillpress.domain.errors import Unavailable
from quillpress.infra.cache import Cache, RedisStore
from quillpress.infra.resources import Store

PROBE_TIMEOUT_SECONDS = 1.5
"""Each database probe's bound: with the others run beside it, /readyz answers within
its documented 2 s whatever the database does."""
REDIS_TIMEOUT_SECONDS = 0.5

DatabaseCheck = Literal["ok", "unavailable"]
PrimaryCheck = Literal["ok", "down"]
MigrationsCheck = Literal["ok", "behind", "ahead", "unknown"]
RedisCheck = Literal["ok", "degraded", "disabled"]

__all__ = ["DATABASE_ERRORS", "ReplicaCheck", "database_unavailable", "readiness"]


def database_unavailable(error: BaseException) -> bool:
    """For the adapters' last line of defence: whether an error no unit of work
    translated still says "the database cannot serve now" (a 503, not a 500)."""
    return is_unavailable(error)


@dataclass(frozen=True, slots=True)
class SchemaHead:
    """What the packaged migrations lead to, read once at startup."""

    head: str | None
    known: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of_package(cls) -> SchemaHead:
        head, known = migrate.script_revisions()
        return cls(head=head, known=known)

    def judge(self, revision: str | None) -> MigrationsCheck:
        """``behind`` (an older or no revision) is not ready: this code needs columns
        the database lacks. ``ahead`` (a revision this code does not know: a newer
        release has migrated, during a rolling deploy) stays ready, because migrations
        are additive first (expand, then contract) and old instances must keep serving
        until they are replaced."""
        if revision == self.head:
            return "ok"
        if revision is None or revision in self.known:
            return "behind"
        return "ahead"


@dataclass(frozen=True, slots=True)
class Readiness:
    database: DatabaseCheck
    """``ok`` while reads can be served (by the primary, or a replica in step)."""
    primary: PrimaryCheck
    replicas: tuple[ReplicaCheck, ...]
    migrations: MigrationsCheck
    redis: RedisCheck

    @property
    def ready(self) -> bool:
        return self.database == "ok" and self.migrations in {"ok", "ahead"}


async def readiness(db: Store, cache: Cache, schema: SchemaHead) -> Readiness:
    """The database checks and Redis, concurrently."""
    (database, primary, replica_checks, migrations), redis = await asyncio.gather(
        _database(opened(db), schema), _redis(cache)
    )
    return Readiness(
        database=database,
        primary=primary,
        replicas=replica_checks,
        migrations=migrations,
        redis=redis,
    )


async def _database(
    db: Database, schema: SchemaHead
) -> tuple[DatabaseCheck, PrimaryCheck, tuple[ReplicaCheck, ...], MigrationsCheck]:
    """The primary probed on itself; with replicas, also each replica and a read routed
    as requests' are (what "reads can be served" means), all at once."""
    if not db.replica_engines:
        served, revision = await _primary(db)
        replica_checks: list[ReplicaCheck] = []
    else:
        (
            (on_primary, primary_revision),
            replica_checks,
            (routed, routed_revision),
        ) = await asyncio.gather(_primary(db), _replicas(db), _routed(db))
        served = on_primary or routed
        revision = primary_revision if on_primary else routed_revision
    primary: PrimaryCheck = "ok" if db.primary_health.state == "up" else "down"
    if not served:
        return "unavailable", primary, tuple(replica_checks), "unknown"
    return "ok", primary, tuple(replica_checks), schema.judge(revision)


async def _primary(db: Database) -> tuple[bool, str | None]:
    """Whether the primary answered (read-only counts: it serves reads), and the schema
    revision it records. Sets the primary's health: up, down or read-only."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS), db.primary(quiet=True) as conn:
            revision = await migrate.revision_on(conn)
            read_only = conn.dialect.name == "postgresql" and await replicas.read_only(conn)
    except (Unavailable, TimeoutError, OSError):
        db.primary_health.set("down")
        return False, None
    db.primary_health.set("read_only" if read_only else "up")
    return True, revision


async def _replicas(db: Database) -> list[ReplicaCheck]:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            return await db.probe_replicas()
    except TimeoutError:
        return ["down"] * len(db.replica_engines)


async def _routed(db: Database) -> tuple[bool, str | None]:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS), db.read() as conn:
            return True, await migrate.revision_on(conn)
    except (Unavailable, TimeoutError, OSError):
        return False, None


async def _redis(cache: Cache) -> RedisCheck:
    store = cache.store
    if not isinstance(store, RedisStore):
        return "disabled"
    try:
        async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
            answered = await store.ping()
    except TimeoutError:
        answered = False
    return "ok" if answered else "degraded"
