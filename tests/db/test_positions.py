"""Commit positions: LSNs compare as 64-bit numbers, the stored maximum never goes down,
and a Redis that failed is never trusted for the writes it missed."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from quillpress.db.positions import InProcessPositions, PositionsUnavailable, format_lsn, parse_lsn
from quillpress.infra import wal_positions
from quillpress.infra.wal_positions import RedisPositions
from tests.tcp_proxy import TcpProxy

PAST_DOUBLES = (1 << 53) + 1  # a Lua number (a double) cannot tell this from 2^53


def test_lsns_parse_as_their_64_bit_position() -> None:
    assert parse_lsn("0/0") == 0
    assert parse_lsn("16/B374D848") == 0x16_B374D848
    assert parse_lsn("FFFFFFFF/FFFFFFFF") == (1 << 64) - 1
    assert format_lsn(parse_lsn("16/B374D848")) == "16/B374D848"
    assert parse_lsn("1/0") > parse_lsn("0/FFFFFFFF")


async def test_the_in_process_maximum_knows_nothing_until_a_commit_and_never_goes_down() -> None:
    positions = InProcessPositions()
    assert await positions.required() is None
    await positions.advance(20)
    await positions.advance(10)
    assert await positions.required() == 20


async def test_the_redis_maximum_never_goes_down_even_past_double_precision(
    redis_server: str, redis_prefix: str
) -> None:
    positions = RedisPositions.from_url(
        redis_server, prefix=redis_prefix, timeout_seconds=0.5, max_connections=4
    )
    other = RedisPositions.from_url(
        redis_server, prefix=redis_prefix, timeout_seconds=0.5, max_connections=4
    )
    try:
        assert await positions.required() is None
        await positions.advance(PAST_DOUBLES)
        await other.advance(PAST_DOUBLES - 1)
        await other.advance(5)
        assert await other.required() == PAST_DOUBLES
        await other.advance(PAST_DOUBLES + 1)
        assert await positions.required() == PAST_DOUBLES + 1
    finally:
        await positions.close()
        await other.close()


async def test_after_an_outage_redis_is_reseeded_not_trusted(
    redis_server: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A position that could not be published is published first on recovery, and the
    first answer after an outage is "unknown" (the router asks the primary then)."""
    monkeypatch.setattr(wal_positions, "COOLDOWN_SECONDS", 0.1)
    url = httpx.URL(redis_server)
    proxy = TcpProxy(url.host, url.port or 6379)
    await proxy.start()
    positions = RedisPositions.from_url(
        f"redis://127.0.0.1:{proxy.port}{url.path or '/0'}",
        prefix=redis_prefix,
        timeout_seconds=0.2,
        max_connections=4,
    )
    observer = RedisPositions.from_url(
        redis_server, prefix=redis_prefix, timeout_seconds=0.5, max_connections=4
    )
    try:
        await positions.advance(100)
        await proxy.stop()
        with pytest.raises(PositionsUnavailable):
            await positions.advance(200)
        with pytest.raises(PositionsUnavailable):
            await positions.required()
        assert await observer.required() == 100  # the missed write is not there yet
        await proxy.start()
        await asyncio.sleep(0.15)
        assert await positions.required() is None  # distrusted once: reseed from the primary
        assert await observer.required() == 200  # the pending position was published
        assert await positions.required() == 200
    finally:
        await proxy.stop()
        await positions.close()
        await observer.close()
