"""A PostgreSQL primary and its streaming replica of this test run's own, from the
machine's PostgreSQL 15 binaries (``initdb`` and ``pg_basebackup`` as ``postgres``), on
free loopback ports in a temp dir that is removed at the end. It never touches the
shared server."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg

BIN = Path("/usr/lib/postgresql/15/bin")
RUNUSER = "/usr/sbin/runuser"
DATABASE = "quillpress"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(*command: str) -> None:
    subprocess.run(  # noqa: S603 (fixed binaries, our own arguments)
        [RUNUSER, "-u", "postgres", "--", *command],
        check=True,
        capture_output=True,
        timeout=120,
    )


class ReplicaPair:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="qp-replica-"))
        shutil.chown(self.root, "postgres", "postgres")
        self.primary_port = free_port()
        self.replica_port = free_port()
        self.primary_dir = self.root / "primary"
        self.replica_dir = self.root / "replica"

    def url(self, port: int) -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    def start(self) -> None:
        _as_postgres(
            str(BIN / "initdb"), "-D", str(self.primary_dir), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        with (self.primary_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.primary_port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\nwal_level = replica\n"
                "max_wal_senders = 4\nfsync = off\nshared_buffers = 16MB\n"
                # As deploy/local does: a commit returns before its WAL is written,
                # which is what the commit position must still cover.
                "synchronous_commit = off\n"
            )
        self._pg_ctl(self.primary_dir, "start")
        _as_postgres(
            str(BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.primary_port),
            "-U", "postgres", DATABASE,
        )  # fmt: skip
        _as_postgres(
            str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary_port),
            "-U", "postgres", "-D", str(self.replica_dir), "-R", "-X", "stream", "--no-sync",
        )  # fmt: skip
        with (self.replica_dir / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.replica_port}\nhot_standby = on\n")
        self.start_replica()

    def _pg_ctl(self, data: Path, action: str, *extra: str) -> None:
        _as_postgres(
            str(BIN / "pg_ctl"), "-D", str(data), "-l", str(data.parent / f"{data.name}.log"),
            "-w", "-t", "60", *extra, action,
        )  # fmt: skip

    def start_replica(self) -> None:
        self._pg_ctl(self.replica_dir, "start")

    def stop_replica(self) -> None:
        self._pg_ctl(self.replica_dir, "stop", "-m", "fast")

    async def on_replica(self, statement: str, *args: object) -> object:
        conn = await asyncpg.connect(self.replica_url)
        try:
            return await conn.fetchval(statement, *args)
        finally:
            await conn.close()

    async def wait_caught_up(self, within: float = 20.0) -> None:
        """Until the replica has replayed everything the primary wrote so far."""
        primary = await asyncpg.connect(self.primary_url)
        try:
            target = await primary.fetchval("SELECT pg_current_wal_lsn()::text")
        finally:
            await primary.close()
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            behind = await self.on_replica(f"SELECT pg_last_wal_replay_lsn() < '{target}'::pg_lsn")
            if behind is False:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the replica did not catch up")

    def close(self) -> None:
        for data in (self.replica_dir, self.primary_dir):
            if (data / "postmaster.pid").exists():
                subprocess.run(  # noqa: S603
                    [RUNUSER, "-u", "postgres", "--", str(BIN / "pg_ctl"), "-D", str(data),
                     "-m", "immediate", "-w", "stop"],
                    capture_output=True, timeout=60, check=False,
                )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)
