"""SIGTERM on a real ``quillpress serve``: it stops accepting connections, lets a request
that is genuinely in flight finish (its body is still arriving when the signal lands),
closes its pools, and exits 0, all within ``QUILLPRESS_SHUTDOWN_TIMEOUT_SECONDS``; a
request that outlives the timeout is cancelled and the process still exits cleanly."""

from __future__ import annotations

import json
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import free_port
from tests.cli.test_serve_process import BANNER, server_env, started, wait_for
from tests.helpers import PASSWORD

WAITING = "Waiting for connections to close"  # uvicorn: the graceful part has begun
POOLS_CLOSED = "Closed the database pool and the cache"  # the app's lifespan, after exit
TIMED_OUT = "timeout graceful shutdown exceeded"


def half_sent_registration(port: int) -> tuple[socket.socket, bytes]:
    """A ``POST /api/users`` whose headers and first half of the body are sent: the server
    has started the request (its handler waits on the body). Returns the socket and the
    rest of the body."""
    body = json.dumps(
        {"user": {"username": "late", "email": "late@example.com", "password": PASSWORD}}
    ).encode()
    head = (
        "POST /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    client = socket.create_connection(("127.0.0.1", port), timeout=30)
    half = len(body) // 2
    client.sendall(head + body[:half])
    return client, body[half:]


def read_response(client: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := client.recv(65_536):
        chunks.append(chunk)
    return b"".join(chunks)


def new_request_is_answered(port: int) -> bool:
    """Whether a fresh connection gets any HTTP answer within a second."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
            probe.sendall(b"GET /api/tags HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            return probe.recv(16).startswith(b"HTTP/")
    except OSError:  # refused, reset, or nobody accepting it (timeout)
        return False


def production_env(directory: Path, timeout: int) -> dict[str, str]:
    """Production, as deployed: JSON lines (the development renderer's rich traceback of
    the cancelled request can take seconds of CPU on a loaded machine)."""
    return {
        **server_env(directory),
        "QUILLPRESS_ENV": "production",
        "QUILLPRESS_SHUTDOWN_TIMEOUT_SECONDS": str(timeout),
    }


def serve_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        *("-m", "quillpress", "serve", "--port", str(port), "--workers", str(workers)),
    ]


@pytest.mark.parametrize("workers", [1, 2], ids=["one-worker", "two-workers"])
def test_sigterm_finishes_the_request_in_flight_refuses_new_ones_and_closes_the_pools(
    cli_env: Path, workers: int
) -> None:
    timeout = 15
    port = free_port()
    log = cli_env / "serve.log"
    env = production_env(cli_env, timeout)
    with started(serve_command(port, workers), env, log) as server:
        wait_for(log, BANNER.format(port=port), server)
        client, rest = half_sent_registration(port)
        with client:
            time.sleep(0.5)  # the server has read the headers and started the handler
            server.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            wait_for(log, WAITING, server, seconds=timeout)
            if workers == 1:  # its listening socket is closed: the kernel refuses
                with pytest.raises(ConnectionRefusedError):
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
            assert not new_request_is_answered(port)
            client.sendall(rest)  # the second half of the body, after the signal
            response = read_response(client)
        assert response.startswith(b"HTTP/1.1 201 "), response
        assert b'"username":"late"' in response
        assert b"connection: close" in response.lower()  # no keep-alive while stopping
        assert server.wait(timeout=timeout) == 0, log.read_text()
        assert time.monotonic() - signalled < timeout
    output = log.read_text()
    assert output.count(POOLS_CLOSED) == workers, output
    assert TIMED_OUT not in output


def test_a_request_outliving_the_shutdown_timeout_is_cancelled_and_the_exit_is_still_clean(
    cli_env: Path,
) -> None:
    timeout = 2
    port = free_port()
    log = cli_env / "serve.log"
    env = production_env(cli_env, timeout)
    with started(serve_command(port, 1), env, log) as server:
        wait_for(log, BANNER.format(port=port), server)
        client, _never_sent = half_sent_registration(port)
        with client:
            time.sleep(0.5)
            server.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            assert server.wait(timeout=timeout + 30) == 0, log.read_text()
            waited = time.monotonic() - signalled
    output = log.read_text()
    assert waited >= timeout, output  # it did wait for the request, as configured
    assert TIMED_OUT in output
    assert POOLS_CLOSED in output
