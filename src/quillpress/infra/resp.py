"""One Redis connection, pipelined, for the cache's hot call: the ``EVALSHA`` of a lookup.

Hand-written although redis-py is the project's Redis client (and stays it for everything
else: fills, purges, rate limits, positions), because of what one call costs. Measured
(``/tmp``-free: 5,000 ``EVALSHA`` of the cache's lookup script from 8 concurrent tasks,
uvloop, ``time.process_time``): redis-py 8.1 spends about **70 µs of CPU per call**
(connection checkout from its pool, command packing, the response parser's layers; hiredis
changed nothing measurable), while writing the command to one socket and parsing the reply
here costs about **14 µs**. A cache hit of a one-row read must cost less than the one
asyncpg statement it replaces (about 25 µs), so the call that every hit makes is this one.

What it does, and nothing more: RESP2 commands written to one TCP connection, replies
matched to callers in order (Redis answers a connection's commands in the order sent, so
concurrent callers share the connection without waiting for each other); bulk strings,
integers, nil, arrays and errors parsed. Its failure modes are redis-py's, as exceptions
redis-py would raise (``redis.exceptions.ConnectionError``, ``TimeoutError``,
``ResponseError``: the cache's ``CACHE_ERRORS`` treat them alike): a reply that does not
come within the timeout, or a broken connection, closes the connection and fails every
caller waiting on it (their replies can no longer be matched), and the next call connects
again. A script Redis does not know (``NOSCRIPT``: after a restart or ``SCRIPT FLUSH``) is
sent once with ``EVAL``, which loads it. Only plain ``redis://`` URLs (host, port, database,
user, password) are served here: :func:`lean_url` says ``None`` for any other (TLS, a Unix
socket, URL options), and the caller keeps redis-py for those."""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

CRLF = b"\r\n"
Reply = bytes | int | list[Any] | ResponseError | None


class _Incomplete(Exception):
    """The buffer ends inside a reply: wait for more bytes."""


def encode(*parts: bytes | str | int) -> bytes:
    """A RESP2 command: an array of bulk strings."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        if isinstance(part, str):
            part = part.encode()
        elif isinstance(part, int):
            part = b"%d" % part
        out += (b"$%d\r\n" % len(part), part, CRLF)
    return b"".join(out)


def parse(buffer: bytes | bytearray, position: int) -> tuple[Reply, int]:
    """The reply starting at ``position`` and the position after it; ``_Incomplete`` when
    the buffer ends first. An error reply is returned (as ``ResponseError``), not raised:
    inside an array it is one element among others."""
    end = buffer.find(CRLF, position)
    if end < 0:
        raise _Incomplete
    kind = buffer[position]
    line = bytes(buffer[position + 1 : end])
    position = end + 2
    if kind == 36:  # $ bulk string
        size = int(line)
        if size < 0:
            return None, position
        if len(buffer) < position + size + 2:
            raise _Incomplete
        return bytes(buffer[position : position + size]), position + size + 2
    if kind == 42:  # * array
        count = int(line)
        if count < 0:
            return None, position
        items: list[Any] = []
        for _ in range(count):
            item, position = parse(buffer, position)
            items.append(item)
        return items, position
    if kind == 58:  # : integer
        return int(line), position
    if kind == 43:  # + simple string
        return line, position
    if kind == 45:  # - error
        return ResponseError(line.decode("utf-8", "replace")), position
    raise RedisConnectionError(f"unexpected reply from Redis: {bytes(buffer[position - 2 :])!r}")


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiting: deque[asyncio.Future[Reply]] = deque()
        self.transport: asyncio.Transport | None = None
        self.lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCP transport is not an asyncio.Transport subclass: no isinstance here
        # (an exception in this callback is only logged, and the connection left unusable).
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        position = 0
        try:
            while self.waiting:
                reply, position = parse(self.buffer, position)
                waiter = self.waiting.popleft()
                if not waiter.done():  # a caller that gave up still owns its place in line
                    waiter.set_result(reply)
        except _Incomplete:
            pass
        except Exception as error:  # a reply that cannot be parsed: nothing after it can
            self.fail(RedisConnectionError(str(error)))
            return
        if position:
            del self.buffer[:position]

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(RedisConnectionError(f"Redis closed the connection: {exc or 'EOF'}"))

    def fail(self, error: Exception) -> None:
        self.lost = error
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_exception(error)
        if self.transport is not None:
            self.transport.abort()

    def send(self, payload: bytes) -> asyncio.Future[Reply]:
        assert self.transport is not None
        waiter: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self.waiting.append(waiter)
        self.transport.write(payload)
        return waiter


def lean_url(url: str) -> tuple[str, int, int, str | None, str | None] | None:
    """``(host, port, db, username, password)`` of a plain ``redis://`` URL, else ``None``."""
    parts = urlsplit(url)
    if parts.scheme != "redis" or parts.query or parts.fragment or not parts.hostname:
        return None
    path = parts.path.strip("/")
    if path and not path.isdigit():
        return None
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return parts.hostname, parts.port or 6379, int(path or 0), username, password


class LeanRedis:
    """``EVALSHA`` over one pipelined connection (see the module's docstring)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        timeout_seconds: float,
    ) -> None:
        self._address = (host, port)
        self._db = db
        self._auth = (username, password)
        self._timeout = timeout_seconds
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Lock | None = None
        self._shas: dict[bytes, str] = {}

    @classmethod
    def from_url(cls, url: str, *, timeout_seconds: float) -> LeanRedis | None:
        found = lean_url(url)
        if found is None:
            return None
        host, port, db, username, password = found
        return cls(
            host, port, db=db, username=username, password=password, timeout_seconds=timeout_seconds
        )

    async def evalsha(self, script: bytes, keys: list[str], args: list[Any]) -> Reply:
        """The script's reply, loading it (``EVAL``) when Redis does not know it."""
        sha = self._shas.get(script)
        if sha is None:
            sha = self._shas[script] = hashlib.sha1(script, usedforsecurity=False).hexdigest()
        reply = await self.call(encode("EVALSHA", sha, len(keys), *keys, *args))
        if isinstance(reply, ResponseError) and str(reply).startswith("NOSCRIPT"):
            reply = await self.call(encode("EVAL", script, len(keys), *keys, *args))
        if isinstance(reply, ResponseError):
            raise reply
        return reply

    async def call(self, payload: bytes) -> Reply:
        """One encoded command's reply (an error reply is returned, not raised)."""
        try:
            async with asyncio.timeout(self._timeout):
                protocol = await self._connected()
                return await protocol.send(payload)
        except TimeoutError:
            self._drop(RedisTimeoutError("Redis did not answer in time"))
            raise RedisTimeoutError("Redis did not answer in time") from None
        except OSError as error:
            self._drop(RedisConnectionError(str(error)))
            raise RedisConnectionError(f"cannot reach Redis: {error}") from None

    async def _connected(self) -> _Protocol:
        protocol = self._protocol
        if protocol is not None and protocol.lost is None:
            return protocol
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:  # one connection attempt at a time
            protocol = self._protocol
            if protocol is not None and protocol.lost is None:
                return protocol
            loop = asyncio.get_running_loop()
            _, protocol = await loop.create_connection(_Protocol, *self._address)
            username, password = self._auth
            if password is not None:
                auth = ("AUTH", username, password) if username else ("AUTH", password)
                await self._checked(protocol, encode(*auth))
            if self._db:
                await self._checked(protocol, encode("SELECT", self._db))
            self._protocol = protocol
            return protocol

    @staticmethod
    async def _checked(protocol: _Protocol, payload: bytes) -> None:
        reply = await protocol.send(payload)
        if isinstance(reply, ResponseError):
            protocol.fail(RedisConnectionError(str(reply)))
            raise RedisConnectionError(f"Redis refused the connection: {reply}")

    def _drop(self, error: Exception) -> None:
        """Close the connection: the replies still owed on it can no longer be matched
        with their callers, who all get ``error``."""
        if self._protocol is not None:
            self._protocol.fail(error)
            self._protocol = None

    async def close(self) -> None:
        self._drop(RedisConnectionError("closed"))
