"""What every benchmark here needs: a throwaway database, server subprocesses that always
stop, plain HTTP requests to 127.0.0.1, and ``wrk`` runs read back as numbers.

Traffic goes to 127.0.0.1 only; every wait is bounded; servers are stopped and databases
dropped on every exit path (``with`` blocks, Ctrl-C and SIGTERM included)."""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import asyncpg

REPO = Path(__file__).resolve().parent.parent
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
READY_TIMEOUT = 60.0
INSTALL_WRK = (
    "wrk is not installed. On Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y wrk"
)

# Appended to every wrk script: one machine-readable line instead of parsing wrk's prose.
# Latency percentiles are in microseconds; status errors are non-2xx/3xx responses.
LUA_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %.1f, "p99_us": %.1f, '
    .. '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


class BenchError(RuntimeError):
    """A run that cannot produce trustworthy figures (mismatch, server down, wrk errors)."""


def fail(message: str) -> NoReturn:
    print(f"\nbench: {message}", file=sys.stderr)
    raise SystemExit(1)


# --- database ------------------------------------------------------------------------


def pg_url(database: str) -> str:
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


async def admin(*statements: str, database: str = "postgres") -> None:
    """Statements that cannot run in a transaction (CREATE/DROP DATABASE, VACUUM)."""
    conn = await asyncpg.connect(pg_url(database))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _migrate(database: str) -> None:
    from quillpress.db import migrate
    from quillpress.db.engine import create_engine

    engine = create_engine(pg_url(database).replace("postgresql://", "postgresql+asyncpg://"))
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


@contextmanager
def bench_database(keep: bool) -> Iterator[str]:
    """A fresh, uniquely named database migrated to head; dropped on exit (connections
    forced off) unless ``keep``."""
    name = f"quillpress_bench_{secrets.token_hex(4)}"
    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        fail(f"cannot create a database on {PG_HOST}:{PG_PORT} as {PG_USER}: {error}")
    print(f"database   {name}")
    try:
        asyncio.run(_migrate(name))
        yield name
    finally:
        if keep:
            print(f"kept database {name} ({pg_url(name)})")
        else:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            print(f"dropped database {name}")


def base_env(database: str) -> dict[str, str]:
    return {
        **os.environ,
        "QUILLPRESS_DATABASE_URL": pg_url(database),
        "QUILLPRESS_SECRET_KEY": secrets.token_urlsafe(48),
        "QUILLPRESS_ENV": "production",
        "QUILLPRESS_LOG_LEVEL": "WARNING",
        # wrk drives thousands of requests a second from one address and one viewer: the
        # rate limits (GraphQL cost per client, writes per user) would measure themselves.
        "QUILLPRESS_RATE_LIMITS": "off",
        "BENCH_DATABASE_URL": pg_url(database),
    }


def describe_machine(args: argparse.Namespace, connections: int) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    python = platform.python_version()
    print(f"machine    {os.cpu_count()} cores, load average {load}, Python {python}")
    print(
        f"load       wrk -t{args.threads} -c{connections}, {args.warmup} s warm-up + "
        f"{args.duration} s per run, one worker per server"
    )


# --- servers -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def quillpress_command(port: int) -> list[str]:
    command = [sys.executable, "-m", "quillpress", "serve", "--host", "127.0.0.1"]
    return [*command, "--port", str(port), "--workers", "1"]


@dataclass(frozen=True, slots=True)
class Running:
    """A started server: its process id (the process that serves: every server here runs
    one worker in-process) and its log file."""

    name: str
    pid: int
    log: Path


@contextmanager
def server(
    name: str, command: list[str], env: Mapping[str, str], logs: Path, port: int
) -> Iterator[Running]:
    """A server subprocess in its own session (so the terminal's Ctrl-C reaches only us
    and we stop it in order), ready when this yields; output goes to a log file shown if
    it misbehaves."""
    log_path = logs / f"{name.replace(' ', '_')}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            env=dict(env),
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_ready(name, port, log_path, process)
        yield Running(name=name, pid=process.pid, log=log_path)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        print(f"stopped    {name}")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds the process has used so far (``/proc/<pid>/stat``, all
    its threads); ``None`` where there is no procfs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the name in parentheses may hold spaces
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def fetch(
    port: int, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
) -> tuple[int, bytes, http.client.HTTPResponse]:
    """(status, body, response) of one request to 127.0.0.1:``port``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        sent = dict(headers or {})
        if body is not None:
            sent["Content-Type"] = "application/json"
        conn.request("GET" if body is None else "POST", path, body=body, headers=sent)
        response = conn.getresponse()
        return response.status, response.read(), response
    finally:
        conn.close()


def fetch_json(
    port: int, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
) -> Any:
    status, payload, _ = fetch(port, path, body, headers)
    if status not in (200, 201):
        raise BenchError(f"{path} on port {port} answered {status}: {payload[:500]!r}")
    return json.loads(payload)


def wait_ready(
    name: str, port: int, log_path: Path, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        try:
            if fetch(port, "/api/articles?limit=1")[0] == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.25)
    tail = log_path.read_text(errors="replace")[-3000:]
    raise BenchError(f"{name} did not get ready within {READY_TIMEOUT:.0f} s; its log:\n{tail}")


def login(port: int, email: str, password: str) -> str:
    """A token for the account, through the API (one argon2 verification)."""
    body = json.dumps({"user": {"email": email, "password": password}}).encode()
    return str(fetch_json(port, "/api/users/login", body)["user"]["token"])


# --- wrk -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sample:
    """One measured wrk run."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int = 0
    refused: int = 0  # non-2xx/3xx answers, counted only where ``wrk(allow_status=True)``


def write_script(
    path: Path, body: bytes | None = None, headers: Mapping[str, str] | None = None
) -> Path:
    """A wrk Lua script: the reporting ``done`` hook, plus method, body and headers."""
    lines = [f'wrk.headers["{name}"] = "{value}"' for name, value in (headers or {}).items()]
    if body is not None:
        lines += [
            'wrk.method = "POST"',
            f"wrk.body = [==[{body.decode()}]==]",
            'wrk.headers["Content-Type"] = "application/json"',
        ]
    path.write_text("\n".join(lines) + LUA_REPORT)
    return path


def wrk(
    url: str,
    script: Path,
    *,
    seconds: int,
    connections: int,
    threads: int = 1,
    allow_status: bool = False,
) -> Sample:
    """Load ``url`` for ``seconds``; any socket error or non-2xx/3xx fails the run (with
    ``allow_status``, non-2xx/3xx answers such as 429 are counted in ``refused`` instead)."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
    command += ["--latency", "--timeout", "10s", "-s", str(script), url]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=seconds + 60
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if result.returncode != 0 or line is None:
        raise BenchError(f"wrk failed on {url}:\n{result.stdout}\n{result.stderr}")
    report = json.loads(line.removeprefix("BENCH_RESULT "))
    kinds = ("connect", "read", "write", "timeout") + (() if allow_status else ("status",))
    errors = {k: report[k] for k in kinds if report[k]}
    if errors:
        raise BenchError(f"{url} had errors under load: {errors}\n{result.stdout}")
    return Sample(
        rps=report["requests"] / (report["duration_us"] / 1e6),
        p50_ms=report["p50_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
        requests=report["requests"],
        refused=report["status"],
    )


# --- comparing answers ---------------------------------------------------------------


def first_difference(left: Any, right: Any, path: str = "$") -> str | None:
    """Where two JSON values first differ, for an error message a person can act on."""
    if type(left) is not type(right):
        return f"{path}: {left!r} != {right!r}"
    if isinstance(left, dict):
        for key in sorted(set(left) | set(right)):
            if key not in left or key not in right:
                return f"{path}.{key}: present on one side only"
            found = first_difference(left[key], right[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list):
        if len(left) != len(right):
            return f"{path}: {len(left)} items != {len(right)} items"
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if left == right else f"{path}: {left!r} != {right!r}"
