"""On SQLite the deadline bounds the wait for the write lock: while another process holds
it, a write waits ``QUILLPRESS_DATABASE_TIMEOUT_MS``, then is a 503 with ``Retry-After``
(never a 500, never the old 10 s); reads go on meanwhile (WAL), and writes work again as
soon as the lock is released."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from tests.conftest import make_settings, migrate_database
from tests.helpers import PASSWORD, serve
from tests.outages import BOUND_SECONDS, DEADLINE_MS, assert_unavailable, prepare, settled


async def test_a_write_lock_held_elsewhere_costs_the_deadline_then_503(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    url = f"sqlite+aiosqlite:///{path}"
    await migrate_database(url)
    settings = make_settings(url, database_timeout_ms=DEADLINE_MS, cache="off")
    async with serve(settings) as (_app, client):
        actor = await prepare(client)
        # Another process, as it were. Its calls run in a thread: the app's own background
        # write ("last seen") may hold the lock a moment and needs the event loop to end.
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            await asyncio.to_thread(holder.execute, "BEGIN IMMEDIATE")  # the write lock, held
            started = time.perf_counter()
            article = {"article": {"title": "Blocked", "description": "d", "body": "b"}}
            new_user = {"user": {"username": "bob", "email": "bob@x.io", "password": PASSWORD}}
            written, registered, listed = await asyncio.gather(
                client.post("/api/articles", json=article, headers=actor.headers),
                client.post("/api/users", json=new_user),
                client.get("/api/articles"),
            )
            elapsed = time.perf_counter() - started
            assert_unavailable(written)
            assert_unavailable(registered)
            assert listed.status_code == 200, listed.text
            assert DEADLINE_MS / 1000 * 0.8 <= elapsed <= BOUND_SECONDS
        finally:
            if holder.in_transaction:
                holder.execute("ROLLBACK")
            holder.close()
        after = await settled(client, "POST", "/api/articles", article, actor.headers)
        assert after.status_code == 201, after.text
