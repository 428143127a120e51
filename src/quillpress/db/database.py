"""The database handle: an app-wide factory of read connections and write transactions.

One connection and one transaction per use case, never per request: GraphQL resolves
fields concurrently, and one connection must never serve two awaits at once. A write
commits once at the end or rolls back whole; what it changed is recorded on its
:class:`Transaction` and published to the subscribers only after the commit succeeded.

Failures that are not bugs are translated here, once, into domain errors: a value the
database cannot store is the client's input (``Invalid``), a database that cannot serve
now (``db.failures`` says which failures mean that) is ``Unavailable`` (503), and a
foreign key to a row that vanished under a valid token means the principal is gone
(``Unauthenticated``) or the article is (``NotFound``).

Each unit of work runs under the database deadline (``QUILLPRESS_DATABASE_TIMEOUT_MS`` on
the server): a database that stops answering costs a request that long, not the outage,
and the connection that waited is discarded rather than handed to the next request.

Size: the handle, its transaction and the translation of database failures into domain
errors are one contract, read together."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    suppress,
)
from typing import Any, Protocol, TypeVar

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from quillpress.db import cache_epoch
from quillpress.db.failures import PrimaryHealth, is_unavailable
from quillpress.db.replicas import ReplicaCheck, Router, RoutingStats
from quillpress.db.stats import current_stats
from quillpress.domain.errors import DomainError, Invalid, NotFound, Unauthenticated, Unavailable
from quillpress.domain.events import Event

log = logging.getLogger("quillpress.database")

Connection = AsyncConnection
"""What a use case holds between opening its unit of work and handing it to the
repositories: the services name it from here and never import SQLAlchemy (the ``protected``
contract on ``sqlalchemy``), so no statement is built or run above the repositories."""

UNSTORABLE = {"input": ["contains a value the database cannot store or compare"]}

Publish = Callable[[Sequence[Event]], Awaitable[None]]
UseCaseSpan = Callable[[str, str], AbstractContextManager[None]]
"""Opens a tracing span named after a use case (``articles.get_article``) for one unit
of work (``"read"`` or ``"write"``); ``infra.otel.use_case_span`` when tracing is on."""
_T = TypeVar("_T")
UNTRACED = "quillpress_untraced"
"""Execution option of a connection whose statements get no tracing span: background
work of no request (the cache epoch's poll, once a second), which would otherwise make a
root trace of its own each time."""


class ReadThrough(Protocol):
    """The cache as the use cases see it behind the database handle (``infra.cache``):
    a value read through it is the database's, served from the store while current."""

    @property
    def shared(self) -> bool:
        """Whether every writer's purges reach the store (only then may a session, which
        another process can revoke, be kept in it)."""
        ...

    async def fetch(
        self, key: str, tags: Iterable[str], load: Callable[[], Awaitable[bytes | None]]
    ) -> bytes | None: ...


async def _publish_nowhere(_events: Sequence[Event]) -> None:
    return None


class Transaction:
    """A write in progress: its connection, and the change events it will publish."""

    __slots__ = ("conn", "epoch_bumped", "events")

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.events: list[Event] = []
        self.epoch_bumped = False
        """Whether this transaction wrote a new cache epoch already (no second bump)."""

    def record(self, *events: Event) -> None:
        self.events.extend(events)


class Database:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        publish: Publish = _publish_nowhere,
        router: Router | None = None,
        span: UseCaseSpan | None = None,
        cache: ReadThrough | None = None,
        bump_epoch_on_write: bool = False,
        deadline: float | None = None,
    ) -> None:
        self.engine = engine
        self.deadline = deadline
        """Seconds a unit of work may wait on the database, in all (``None``: no limit,
        the CLI's). The engine holds the same limit on each wait (db.engine); this one
        bounds their sum."""
        self.primary_health = PrimaryHealth()
        self.cache = cache
        # Outside the server (the CLI), every write transaction also bumps the cache
        # epoch, in the same transaction: a committed write always carries its bump, so
        # running servers drop what they cached before it within their poll interval.
        self.bump_epoch_on_write = bump_epoch_on_write
        self._publish = publish
        # Replicas (db.replicas): reads may go to one; each commit publishes its position.
        self._router = router
        self._span = span
        # PostgreSQL reads run in autocommit: no BEGIN/ROLLBACK round trips around each
        # read. (SQLite reads are autocommit already; see db.engine.)
        self._reader = (
            engine
            if engine.dialect.name == "sqlite"
            else engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    @property
    def routing(self) -> RoutingStats | None:
        """Reads per target and each replica's lag (``None`` without replicas)."""
        return None if self._router is None else self._router.stats

    @property
    def replica_engines(self) -> list[AsyncEngine]:
        """The replicas' engines (pool metrics, readiness); empty without replicas."""
        return [] if self._router is None else self._router.engines

    async def probe_replicas(self) -> list[ReplicaCheck]:
        """Each replica's state for readiness (``ok``/``lagging``/``down``), in the
        configured order; empty without replicas."""
        return [] if self._router is None else await self._router.probe()

    def read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """``async with db.read() as conn: …``: one autocommit connection."""
        if self._span is None:
            return self._read()
        return self._traced(self._read(), _use_case_name(sys._getframe(1)), "read")

    def primary(self, *, quiet: bool = False) -> AbstractAsyncContextManager[AsyncConnection]:
        """``async with db.primary() as conn: …``: one autocommit connection on the
        primary, never a replica (what must not lag: the cache epoch). Failures are
        translated as :meth:`read`'s are; ``quiet`` leaves logging them to the caller (a
        poll that would log one line a second through an outage)."""
        return self._primary(quiet=quiet)

    async def bump_epoch(self, *, token: str | None = None) -> str:
        """Write a new cache epoch on the primary in a transaction of its own and return
        it (``token``: that one, when retrying a token already announced)."""
        async with self._write() as tx:
            tx.epoch_bumped = True
            return await cache_epoch.bump(tx.conn, token=token)

    def write(self) -> AbstractAsyncContextManager[Transaction]:
        """``async with db.write() as tx: … tx.conn … tx.record(event)``; commits on exit."""
        if self._span is None:
            return self._write()
        return self._traced(self._write(), _use_case_name(sys._getframe(1)), "write")

    @asynccontextmanager
    async def _traced(
        self, inner: AbstractAsyncContextManager[_T], name: str, access: str
    ) -> AsyncIterator[_T]:
        assert self._span is not None
        with self._span(name, access):
            async with inner as value:
                yield value

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        if self._router is None:
            async with self._unit(self._reader.connect, primary=True) as conn:
                yield conn
            return
        async with self._unit(self._router.connect, primary=False) as conn:
            yield conn

    @asynccontextmanager
    async def _primary(self, *, quiet: bool) -> AsyncIterator[AsyncConnection]:
        async with self._unit(self._reader.connect, primary=True, quiet=quiet) as conn:
            yield conn

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[Transaction]:
        """The write transaction.

        Once COMMIT returned, the write stands: a failure after it (the connection lost
        on its way back to the pool, the deadline running out then) is logged, never
        answered as a failed write, which the client would retry into a duplicate.

        Subscribers run after the commit and after the connection went back to the pool,
        and finish before this returns, so the caller's response reflects their effect."""
        committed = False
        events: list[Event] = []
        try:
            async with self._unit(self.engine.connect, primary=True, write=True) as conn:
                await conn.execution_options(quillpress_write=True)
                async with conn.begin():
                    tx = Transaction(conn)
                    events = tx.events
                    yield tx
                    if self.bump_epoch_on_write and not tx.epoch_bumped:
                        await cache_epoch.bump(conn)
                        tx.epoch_bumped = True
                committed = True
                self.primary_health.answered(wrote=True)
                if self._router is not None:
                    # After COMMIT returned, on the same connection: the WAL insert
                    # position is at or past the commit record; it is published before
                    # anyone is told the write happened.
                    await self._router.committed(conn)
        except Unavailable:
            if not committed:
                raise
            log.warning("database connection lost after a commit; the write stands")
        if events:
            await self._publish(events)

    @asynccontextmanager
    async def _unit(
        self,
        opener: Callable[[], AbstractAsyncContextManager[AsyncConnection]],
        *,
        primary: bool,
        write: bool = False,
        quiet: bool = False,
    ) -> AsyncIterator[AsyncConnection]:
        """One connection for one unit of work, under the deadline, with every failure
        translated (:func:`_translate`). A connection that failed or ran out of time is
        discarded, never given back to the pool to hang the next request."""
        stats = current_stats.get()
        if stats is not None and stats.database_unavailable:
            raise Unavailable.database()  # this request waited for it once already
        opened = False
        try:
            async with asyncio.timeout(self.deadline), opener() as conn:
                opened = True
                try:
                    yield conn
                except BaseException as error:
                    # Cancelled mid-statement (the deadline, a client gone) or failed for
                    # want of a database: the connection may be mid-protocol.
                    if isinstance(error, asyncio.CancelledError) or is_unavailable(error):
                        await _discard(conn)
                    raise
        except Exception as error:
            translated = _translate(error, connecting=not opened)
            if isinstance(translated, Unavailable):
                if stats is not None:
                    stats.database_unavailable = True
                if primary:
                    self.primary_health.failed(error)
                if not quiet:
                    log.warning("database unavailable: %s", _describe(error))
            if translated is error:
                raise
            raise translated from None
        if primary and not write:
            self.primary_health.answered()


def opened(store: object) -> Database:
    """The database behind a store handle (``infra.resources.Store``): how a use case, the
    composition root or a CLI command opens what the adapters may only pass along. Only
    they import this module (the ``protected`` contract in ``pyproject.toml``)."""
    if not isinstance(store, Database):
        raise TypeError(f"not a database: {type(store).__name__}")
    return store


async def _discard(conn: AsyncConnection) -> None:
    """Invalidate ``conn`` (db.engine drops the driver's socket at once: no goodbye to a
    server that does not answer)."""
    if conn.closed or conn.invalidated:
        return
    with suppress(Exception):
        await conn.invalidate()


def _use_case_name(frame: Any) -> str:
    """``articles.get_article`` for a ``db.read()`` in ``quillpress.services.articles``'s
    ``get_article`` (a closure inside it counts as it). Read from the caller's frame, so
    the use cases need no decorator: every unit of work already passes through here."""
    module = str(frame.f_globals.get("__name__", "")).removeprefix("quillpress.")
    module = module.removeprefix("services.")
    function = frame.f_code.co_qualname.split(".<locals>", 1)[0]
    return f"{module}.{function}"


def _translate(error: Exception, *, connecting: bool) -> Exception:
    """The domain error ``error`` stands for, or ``error`` itself (a bug: a 500)."""
    if isinstance(error, DomainError):
        return error
    if isinstance(error, TimeoutError) and not connecting:
        return Unavailable.database()  # the deadline ran out
    if is_unavailable(error, connecting=connecting):
        return Unavailable.database()
    if isinstance(error, IntegrityError):
        return _vanished_reference(error) or error
    if isinstance(error, DBAPIError) and _is_data_exception(error):
        return Invalid({key: list(messages) for key, messages in UNSTORABLE.items()})
    return error


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError) and not str(error):
        return "no answer within the deadline"
    return first_line(error)


def first_line(error: BaseException) -> str:
    """An error in one log-sized line (a driver's message can run to a page)."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _is_data_exception(error: DBAPIError) -> bool:
    """SQLSTATE class 22 (a NUL byte, a number out of range…): the client's input, a 422.
    asyncpg's errors reach SQLAlchemy untranslated, so read the code."""
    if isinstance(error, DataError):
        return True
    code = _sqlstate(error)
    return code is not None and code.startswith("22")


def _sqlstate(error: DBAPIError) -> str | None:
    original = error.orig
    code = getattr(original, "pgcode", None) or getattr(original, "sqlstate", None)
    code = code or getattr(getattr(original, "__cause__", None), "sqlstate", None)
    return code if isinstance(code, str) else None


# Foreign keys whose target vanishing means the *principal* is gone (its token outlived
# it) versus a resource that was deleted a moment before the write referred to it.
PRINCIPAL_REFERENCES = (
    "fk_article_author_id_app_user",
    "fk_comment_author_id_app_user",
    "fk_favorite_user_id_app_user",
    "fk_follow_follower_id_app_user",
    "fk_user_session_user_id_app_user",
)
RESOURCE_REFERENCES = {
    "fk_follow_followed_id_app_user": "profile",
    "fk_favorite_article_id_article": "article",
    "fk_comment_article_id_article": "article",
    "fk_article_tag_article_id_article": "article",
}


def _vanished_reference(error: IntegrityError) -> DomainError | None:
    text = str(error.orig)
    if any(name in text for name in PRINCIPAL_REFERENCES):
        return Unauthenticated.invalid()
    for name, resource in RESOURCE_REFERENCES.items():
        if name in text:
            return NotFound(resource)
    if "FOREIGN KEY constraint failed" in text:
        # SQLite names no constraint. Its writes hold the write lock from BEGIN
        # IMMEDIATE, and every use case checks the resources it refers to inside that
        # transaction, so the only reference that can vanish is the principal, which
        # was authenticated before the transaction began.
        return Unauthenticated.invalid()
    return None
