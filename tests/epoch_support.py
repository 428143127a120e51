"""Helpers for the cache epoch's tests: read or set the token directly, wait for a
condition, make the database unreadable for a while, and a Redis server of the test's own
(flushed and restarted freely: the shared one must never be)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from redis import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url

from quillpress.db import cache_epoch
from quillpress.db.database import Database
from quillpress.db.engine import create_engine
from tests.tcp_proxy import TcpProxy, through


@contextlib.asynccontextmanager
async def database_at(url: str, *, bump_epoch_on_write: bool = False) -> AsyncIterator[Database]:
    """A ``Database`` on ``url`` without a pool (a cut proxy fails the next statement)."""
    engine = create_engine(url, null_pool=True)
    try:
        yield Database(engine, bump_epoch_on_write=bump_epoch_on_write)
    finally:
        await engine.dispose()


async def stored_token(url: str) -> str:
    async with database_at(url) as db, db.primary() as conn:
        return await cache_epoch.read_token(conn)


async def set_token(url: str, token: str) -> None:
    """What a restored backup (or raw SQL) does: the row holds ``token``, no bump counted."""
    async with database_at(url) as db, db.write() as tx:
        await tx.conn.execute(text("UPDATE cache_epoch SET token = :t WHERE id = 1"), {"t": token})


async def eventually(
    predicate: Callable[[], bool], *, within: float = 3.0, what: str = "condition"
) -> float:
    """Wait until ``predicate()`` holds; the seconds it took."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > within:
            raise AssertionError(f"{what}: not true within {within} s")
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def until_stored(url: str, token: str, *, within: float = 5.0) -> None:
    """Wait until the database holds ``token`` (a background retry landed)."""
    start = time.monotonic()
    while (found := await stored_token(url)) != token:
        if time.monotonic() - start > within:
            raise AssertionError(f"the database holds {found!r}, not {token!r}")
        await asyncio.sleep(0.02)


class Outage:
    """Makes the database ``url`` unreadable and readable again: on PostgreSQL a TCP proxy
    in front of it is cut (``url`` is the proxied one); on SQLite the epoch's table is
    renamed away (a file database has no connection to cut)."""

    def __init__(self, direct_url: str) -> None:
        self.direct_url = direct_url
        self.url = direct_url
        self._proxy: TcpProxy | None = None
        self._cut = False

    async def __aenter__(self) -> Outage:
        if make_url(self.direct_url).get_backend_name() == "postgresql":
            target = urlsplit(self.direct_url.replace("+asyncpg", ""))
            self._proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
            await self._proxy.start()
            self.url = through(self.direct_url, self._proxy)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.end()
        if self._proxy is not None:
            await self._proxy.stop()

    async def begin(self) -> None:
        self._cut = True
        if self._proxy is not None:
            await self._proxy.stop()
        else:
            await self._rename("cache_epoch", "cache_epoch_away")

    async def end(self) -> None:
        if not self._cut:
            return
        self._cut = False
        if self._proxy is not None:
            await self._proxy.start()  # same port: the URL stays valid
        else:
            await self._rename("cache_epoch_away", "cache_epoch")

    async def _rename(self, old: str, new: str) -> None:
        async with database_at(self.direct_url) as db, db.engine.begin() as conn:
            await conn.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OwnRedis:
    """A ``redis-server`` of this test's own on a free port, with no persistence: a
    restart comes back empty, with a new ``run_id``. With a ``directory``, an explicit
    ``SAVE`` writes ``dump.rdb`` there and a restart loads whatever that file then holds
    (never saved automatically, nor on shutdown)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        arguments = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        if self.directory is not None:
            arguments += ["--dir", str(self.directory), "--dbfilename", "dump.rdb"]
        self._process = subprocess.Popen(  # noqa: S603 (fixed arguments)
            [binary, *arguments, "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with Redis.from_url(self.url, socket_connect_timeout=0.2) as client:
                    client.ping()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self) -> Redis:
        return Redis.from_url(self.url)


@contextlib.contextmanager
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()
