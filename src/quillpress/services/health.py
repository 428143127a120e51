"""Readiness: can this instance serve requests now? (Liveness needs no use case: a
process that answers at all is alive.)

Each check is bounded by a short timeout, so a black-holed dependency makes the probe
answer "not ready" quickly instead of hanging until the orchestrator's probe times out.
The database and the schema decide readiness; Redis only degrades it, because every read
falls back to the database while the cache is unreachable."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from quillpress.db import migrate
from quillpress.db.database import Database
from quillpress.domain.errors import Unavailable
from quillpress.infra.cache import Cache, RedisStore

DATABASE_TIMEOUT_SECONDS = 2.0
REDIS_TIMEOUT_SECONDS = 0.5

DatabaseCheck = Literal["ok", "unavailable"]
MigrationsCheck = Literal["ok", "behind", "ahead", "unknown"]
RedisCheck = Literal["ok", "degraded", "disabled"]


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
    migrations: MigrationsCheck
    redis: RedisCheck

    @property
    def ready(self) -> bool:
        return self.database == "ok" and self.migrations in {"ok", "ahead"}


async def readiness(db: Database, cache: Cache, schema: SchemaHead) -> Readiness:
    """Check the database (one round trip, which also reads the schema revision) and
    Redis concurrently."""
    (database, migrations), redis = await asyncio.gather(_database(db, schema), _redis(cache))
    return Readiness(database=database, migrations=migrations, redis=redis)


async def _database(db: Database, schema: SchemaHead) -> tuple[DatabaseCheck, MigrationsCheck]:
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS), db.read() as conn:
            revision = await migrate.revision_on(conn)
    except (Unavailable, TimeoutError, OSError):
        return "unavailable", "unknown"
    return "ok", schema.judge(revision)


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
