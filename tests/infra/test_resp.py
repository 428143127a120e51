"""``infra.resp``: the cache's pipelined ``EVALSHA`` client answers what redis-py answers,
matches concurrent replies to their callers, loads a script Redis does not know, and fails
the way redis-py fails (a timeout or a lost connection: every waiting caller fails, the
next call connects again)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from quillpress.infra.cache import CACHE_ERRORS
from quillpress.infra.resp import LeanRedis, _Incomplete, _Protocol, encode, lean_url, parse
from tests.epoch_support import OwnRedis, own_redis

ECHO = b"return {ARGV[1], tonumber(ARGV[2]), false, redis.call('GET', KEYS[1]) or false}"


def fresh_script() -> bytes:
    """A script no Redis has seen: its first ``EVALSHA`` is a ``NOSCRIPT``."""
    return ECHO + f" -- {uuid.uuid4().hex}".encode()


@pytest.fixture
def server() -> Iterator[OwnRedis]:
    """A Redis of this test's own: these tests flush its scripts and set its password."""
    with own_redis() as started:
        yield started


def lean(url: str, timeout: float = 2.0) -> LeanRedis:
    client = LeanRedis.from_url(url, timeout_seconds=timeout)
    assert client is not None
    return client


def test_a_reply_is_parsed_whole_or_not_at_all() -> None:
    reply = b"*4\r\n$3\r\nabc\r\n:42\r\n$-1\r\n*2\r\n+OK\r\n-ERR boom\r\n"
    value, end = parse(reply, 0)
    assert end == len(reply)
    assert value[:3] == [b"abc", 42, None]
    assert value[3][0] == b"OK"
    assert isinstance(value[3][1], ResponseError)
    assert str(value[3][1]) == "ERR boom"
    for cut in range(1, len(reply)):  # every prefix is incomplete, never misread
        with pytest.raises(_Incomplete):
            parse(reply[:cut], 0)


def test_replies_split_across_packets_reach_their_callers_in_order() -> None:
    async def scenario() -> list[object]:
        protocol = _Protocol()

        class Sink:
            def write(self, data: bytes) -> None:
                pass

            def abort(self) -> None:
                pass

        protocol.transport = Sink()  # type: ignore[assignment]
        first, second = protocol.send(b""), protocol.send(b"")
        stream = b"$5\r\nhello\r\n:7\r\n"
        for index in range(len(stream)):  # one byte at a time
            protocol.data_received(stream[index : index + 1])
        return [await first, await second]

    assert asyncio.run(scenario()) == [b"hello", 7]


def test_only_plain_redis_urls_are_served_here() -> None:
    assert lean_url("redis://127.0.0.1:6379/0") == ("127.0.0.1", 6379, 0, None, None)
    assert lean_url("redis://user:p%40ss@cache:7000/3") == ("cache", 7000, 3, "user", "p@ss")
    assert lean_url("redis://:secret@cache") == ("cache", 6379, 0, None, "secret")
    for other in (
        "rediss://cache:6380/0",
        "unix:///run/redis.sock",
        "redis://cache/0?socket_timeout=2",
        "redis://cache/name",
    ):
        assert lean_url(other) is None, other


async def test_answers_equal_redis_pys_and_concurrent_callers_get_their_own(
    redis_server: str, redis_prefix: str
) -> None:
    key = f"{redis_prefix}resp"
    script = fresh_script()
    async with Redis.from_url(redis_server) as redis:
        await redis.set(key, b"x" * 5000)
        expected = await redis.eval(script, 1, key, "a", "5")
    client = lean(redis_server)
    try:
        assert await client.evalsha(script, [key], ["a", 5]) == expected  # NOSCRIPT, then EVAL
        assert await client.evalsha(script, [key], ["a", 5]) == expected  # now EVALSHA
        replies = await asyncio.gather(
            *(client.evalsha(script, [key], [f"n{n}", n]) for n in range(300))
        )
        assert [reply[:2] for reply in replies] == [[f"n{n}".encode(), n] for n in range(300)]
    finally:
        await client.close()


async def test_a_flushed_script_is_loaded_again_and_an_error_is_raised_as_redis_pys(
    server: OwnRedis,
) -> None:
    client = lean(server.url)
    try:
        assert (await client.evalsha(ECHO, ["k"], ["a", 1]))[:2] == [b"a", 1]
        with server.client() as redis:
            redis.script_flush()
        assert (await client.evalsha(ECHO, ["k"], ["b", 2]))[:2] == [b"b", 2]
        with pytest.raises(ResponseError):
            await client.evalsha(b"return redis.call('NOSUCHCOMMAND')", [], [])
    finally:
        await client.close()


async def test_password_and_database_are_sent_when_connecting(server: OwnRedis) -> None:
    with server.client() as redis:
        redis.config_set("requirepass", "s3cret")
    url = f"redis://:s3cret@127.0.0.1:{server.port}/2"
    async with Redis.from_url(url) as redis:
        await redis.set("k", b"in db 2")
    client = lean(url)
    wrong = lean(f"redis://:wrong@127.0.0.1:{server.port}/2")
    try:
        assert (await client.evalsha(ECHO, ["k"], ["a", 1]))[3] == b"in db 2"
        with pytest.raises(RedisConnectionError):
            await wrong.evalsha(ECHO, ["k"], ["a", 1])
    finally:
        await client.close()
        await wrong.close()


async def test_a_silent_server_times_out_every_waiting_caller_then_a_new_connection_is_made() -> (
    None
):
    connections: list[asyncio.StreamWriter] = []
    answering = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        while data := await reader.read(65536):
            if answering.is_set():
                writer.write(b":1\r\n" * data.count(b"*"))  # one integer per command

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = lean(f"redis://127.0.0.1:{port}/0", timeout=0.2)
    try:
        results = await asyncio.gather(
            *(client.evalsha(ECHO, [], ["a", 1]) for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(result, RedisTimeoutError) for result in results)
        assert all(isinstance(result, CACHE_ERRORS) for result in results)
        answering.set()
        assert await client.evalsha(ECHO, [], ["a", 1]) == 1
        assert len(connections) == 2  # the silent one was dropped, not reused
    finally:
        await client.close()
        server.close()


async def test_a_lost_connection_fails_its_callers_and_the_next_call_reconnects(
    redis_server: str,
) -> None:
    client = lean(redis_server)
    try:
        assert await client.evalsha(b"return 1", [], []) == 1
        assert client._protocol is not None
        assert client._protocol.transport is not None
        client._protocol.transport.abort()  # the server or the network went away
        await asyncio.sleep(0.01)
        assert await client.evalsha(b"return 2", [], []) == 2
    finally:
        await client.close()
    unreachable = lean("redis://127.0.0.1:1/0")
    with pytest.raises(RedisConnectionError):
        await unreachable.evalsha(b"return 1", [], [])


def test_commands_are_encoded_as_arrays_of_bulk_strings() -> None:
    assert encode("GET", b"k", 7) == b"*3\r\n$3\r\nGET\r\n$1\r\nk\r\n$1\r\n7\r\n"


def test_the_client_works_on_uvloop_as_the_server_runs_it(redis_server: str) -> None:
    """uvicorn runs the app on uvloop, whose transports are not ``asyncio.Transport``s."""
    uvloop = pytest.importorskip("uvloop")

    async def scenario() -> list[object]:
        client = lean(redis_server)
        try:
            return list(
                await asyncio.gather(*(client.evalsha(b"return 7", [], []) for _ in range(5)))
            )
        finally:
            await client.close()

    assert uvloop.run(scenario()) == [7] * 5
