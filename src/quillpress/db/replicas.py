"""Read routing to PostgreSQL streaming replicas that never serves stale data.

**The rule.** A read goes to a replica only when that replica has replayed past the
newest write committed anywhere before the read began; otherwise to the primary.

- After each commit, the writer reads ``pg_current_wal_insert_lsn()`` on its own
  connection. The commit record was inserted before COMMIT returned, so that position is
  at or past its end (a safe upper bound), and it is published to the
  :class:`PositionStore` as a maximum before the write's events run and before its
  response is sent. Not ``pg_current_wal_lsn()``: that is the *written* position, which
  with ``synchronous_commit = off`` stays behind a commit that has already returned (a
  replica at that position lacks the write; the cluster test caught it).
- A read takes the store's value first (the *required* position). A replica whose
  replayed position (``pg_last_wal_replay_lsn()``) is at or past it has every write
  committed before that moment. Replay only moves forward, so a position seen earlier is
  a lower bound and is cached per replica; when the cache is below the required position
  the replica is asked again *on the connection the read then uses*, so the bound holds
  for that read. A replica restart could replay from an older point, so every new
  connection to a replica forgets the cached bound.
- Lag therefore only moves reads to the primary. A replica that refuses or times out is
  skipped for :data:`TRIP_SECONDS`; a store that cannot answer sends reads to the
  primary; a store that knows no position is seeded from the primary's current one.

The routing statements run on the driver connection directly, outside SQLAlchemy's
events, so a request's statement count is the same with and without replicas."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from quillpress.db.positions import PositionStore, PositionsUnavailable, parse_lsn
from quillpress.db.stats import current_stats

log = logging.getLogger("quillpress.replicas")

TRIP_SECONDS = 5.0
"""How long a replica that failed is left alone before one read tries it again."""

Target = Literal["primary", "replica"]
ReplicaCheck = Literal["ok", "lagging", "down"]
LAGGING_SECONDS = 1.0
"""A replica behind the newest write this instance knows of whose last replayed
transaction is older than this is ``lagging`` (readiness); a moment behind is normal."""

# A replica whose connect or routing query fails in any way is "not usable now", never
# an error for the read: refused and timed-out connections (OSError, TimeoutError),
# SQLAlchemy's wrappers, and asyncpg's own errors, which share no narrower base.
FAILURES: tuple[type[Exception], ...] = (Exception,)

_REPLAY = (
    "SELECT pg_last_wal_replay_lsn()::text,"
    " extract(epoch from now() - pg_last_xact_replay_timestamp())::float8"
)


@dataclass(slots=True)
class ReplicaState:
    """What one replica is known to be: its replayed position (a lower bound), its lag
    when last measured, and whether it is skipped after a failure."""

    name: str
    replayed: int = 0
    epoch: int = 0
    tripped_until: float = 0.0
    lag_bytes: int | None = None
    lag_seconds: float | None = None

    @property
    def healthy(self) -> bool:
        return self.tripped_until <= time.monotonic()


@dataclass(slots=True)
class RoutingStats:
    """For the metrics: reads served per target, each replica's state (lag when last
    measured, health), and listeners told of every routed read (a Prometheus counter)."""

    reads: dict[str, int] = field(default_factory=lambda: {"primary": 0, "replica": 0})
    replicas: list[ReplicaState] = field(default_factory=list)
    listeners: list[Callable[[Target], None]] = field(default_factory=list)

    def subscribe(self, listener: Callable[[Target], None]) -> None:
        """``listener(target)`` after each routed read (``"primary"`` or ``"replica"``)."""
        self.listeners.append(listener)

    @property
    def replica_share(self) -> float:
        total = self.reads["primary"] + self.reads["replica"]
        return self.reads["replica"] / total if total else 0.0


class Replica:
    def __init__(self, engine: AsyncEngine, state: ReplicaState) -> None:
        self.engine = engine
        self.state = state
        self._reader = engine.execution_options(isolation_level="AUTOCOMMIT")
        event.listen(engine.sync_engine, "connect", self._forget)
        event.listen(engine.sync_engine, "checkout", _refuse_closed)

    def _forget(self, _dbapi_connection: Any, _record: Any) -> None:
        # A new connection may be to a restarted server that replays from an older point.
        self.state.replayed = 0
        self.state.epoch += 1

    def trip(self, error: BaseException) -> None:
        state = self.state
        if state.healthy:
            log.warning("replica %s unusable for %.0f s: %s", state.name, TRIP_SECONDS, error)
        state.tripped_until = time.monotonic() + TRIP_SECONDS
        state.replayed = 0
        state.lag_bytes = state.lag_seconds = None

    async def checkout(self, required: int) -> AsyncConnection | None:
        """A connection on which every write up to ``required`` is visible, or ``None``."""
        if not self.state.healthy:
            return None
        conn = self._reader.connect()
        try:
            await conn.start()
        except FAILURES as error:
            self.trip(error)
            return None
        try:
            if self.state.replayed < required and not await self._caught_up(conn, required):
                await conn.close()
                return None
        except FAILURES as error:
            self.trip(error)
            with suppress(*FAILURES):
                await conn.invalidate()
            return None
        self.state.lag_bytes = self.state.lag_seconds = 0
        return conn

    async def probe(self, required: int | None) -> ReplicaCheck:
        """For readiness, on a connection of the replica's own pool: ``down`` when it does
        not answer as a standby, ``lagging`` when it is well behind ``required``."""
        try:
            async with self._reader.connect() as conn:
                raw = await conn.get_raw_connection()
                row = await raw.driver_connection.fetchrow(_REPLAY)  # type: ignore[union-attr]
        except FAILURES as error:
            self.trip(error)
            return "down"
        if row is None or row[0] is None:
            return "down"  # not (or no longer) a standby
        behind = required is not None and parse_lsn(row[0]) < required
        if behind and float(row[1] or 0.0) >= LAGGING_SECONDS:
            return "lagging"
        return "ok"

    async def _caught_up(self, conn: AsyncConnection, required: int) -> bool:
        epoch = self.state.epoch
        raw = await conn.get_raw_connection()
        row = await raw.driver_connection.fetchrow(_REPLAY)  # type: ignore[union-attr]
        if row is None or row[0] is None:
            raise RuntimeError("not a standby (pg_last_wal_replay_lsn() is NULL)")
        replayed = parse_lsn(row[0])
        if epoch == self.state.epoch and replayed > self.state.replayed:
            self.state.replayed = replayed
        behind = replayed < required
        self.state.lag_bytes = max(0, required - replayed)
        self.state.lag_seconds = float(row[1] or 0.0) if behind else 0.0
        return not behind


def _refuse_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection the server closed (a stopped replica) is replaced at checkout
    (SQLAlchemy's documented DisconnectionError hook) instead of failing the read."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and driver.is_closed():
        raise DisconnectionError("replica connection closed by the server")


class Router:
    """Chooses the connection for each read; publishes each commit's position."""

    def __init__(
        self, primary: AsyncEngine, replicas: Sequence[Replica], positions: PositionStore
    ) -> None:
        self._primary = primary.execution_options(isolation_level="AUTOCOMMIT")
        self._replicas = list(replicas)
        self._turn = itertools.cycle(range(len(self._replicas)))
        self.positions = positions
        self.stats = RoutingStats(replicas=[replica.state for replica in self._replicas])

    @property
    def engines(self) -> list[AsyncEngine]:
        return [replica.engine for replica in self._replicas]

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        required = await self._required()
        if required is not None:
            start = next(self._turn)
            for offset in range(len(self._replicas)):
                replica = self._replicas[(start + offset) % len(self._replicas)]
                conn = await replica.checkout(required)
                if conn is None:
                    continue
                self._count("replica")
                try:
                    yield conn
                except DBAPIError as error:
                    if error.connection_invalidated or isinstance(error.orig, OSError):
                        replica.trip(error)
                    raise
                finally:
                    await conn.close()
                return
        self._count("primary")
        async with self._primary.connect() as conn:
            if required is None:
                await self._seed(conn)
            yield conn

    async def probe(self) -> list[ReplicaCheck]:
        """Each replica's state (readiness), in the configured order, probed concurrently."""
        required = await self._required()
        return list(await asyncio.gather(*(replica.probe(required) for replica in self._replicas)))

    async def _required(self) -> int | None:
        """The required position, or ``None`` to read from the primary (store down, or
        it knows no position yet: then :meth:`_seed` publishes the primary's)."""
        try:
            return await self.positions.required()
        except PositionsUnavailable:
            return None

    async def _seed(self, conn: AsyncConnection) -> None:
        with suppress(PositionsUnavailable):
            await self.positions.advance(await current_position(conn))

    async def committed(self, conn: AsyncConnection) -> None:
        """Publish the position of the commit just made on ``conn``."""
        try:
            await self.positions.advance(await current_position(conn))
        except PositionsUnavailable as error:
            # The store keeps this position as pending and publishes it first when it
            # answers again; meanwhile readers that cannot reach it use the primary.
            log.warning("commit position not published: %s", error)
        except FAILURES as error:  # the primary went away right after COMMIT returned
            log.warning("commit position unknown: %s", error)

    def _count(self, target: Target) -> None:
        self.stats.reads[target] += 1
        for listener in self.stats.listeners:
            listener(target)
        stats = current_stats.get()
        if stats is not None:
            if target == "replica":
                stats.replica_reads += 1
            else:
                stats.primary_reads += 1


async def read_only(conn: AsyncConnection) -> bool:
    """Whether the PostgreSQL server ``conn`` is on refuses writes: a standby, or a primary
    made read-only (``default_transaction_read_only``, as a failover does); uncounted."""
    raw = await conn.get_raw_connection()
    value = await raw.driver_connection.fetchval("SELECT current_setting('transaction_read_only')")  # type: ignore[union-attr]
    return bool(value == "on")


async def current_position(conn: AsyncConnection) -> int:
    """The primary's WAL insert position, on ``conn``'s driver connection (uncounted):
    at or past the end of every commit that has returned, whatever ``synchronous_commit``."""
    raw = await conn.get_raw_connection()
    text = await raw.driver_connection.fetchval("SELECT pg_current_wal_insert_lsn()::text")  # type: ignore[union-attr]
    return parse_lsn(str(text))
