"""The parent process around uvicorn: the address checked before anything else, one
readiness line once the port answers, a quiet exit on Ctrl-C or SIGTERM, and the
forwarded-header options uvicorn is started with."""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from quillpress.cli.runtime import say

if TYPE_CHECKING:
    from types import FrameType

    from quillpress.config import Settings


def check_can_listen(host: str, port: int) -> None:
    """Bind and release the address first, so a port in use (``make run`` twice) or a
    host that is not this machine's is one line before migrating, not a uvicorn error
    after it. Options as uvicorn binds: SO_REUSEADDR, every address the host names."""
    from quillpress.config import ConfigurationError

    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        for family, kind, proto, _, address in addresses:
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        raise ConfigurationError(
            f"cannot listen on {host}:{port}: {reason} "
            "(choose another --host/--port; with make: make run HOST=… PORT=…)"
        ) from error


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's forwarded-header handling from ``QUILLPRESS_TRUSTED_PROXIES`` alone.

    uvicorn's default trusts ``X-Forwarded-For`` from 127.0.0.1 (or ``$FORWARDED_ALLOW_IPS``),
    so any local client could pick the IP the rate limits count. With no trusted proxy
    the middleware is off (the client IP is the TCP peer's); with some, only their
    headers rewrite ``scope["client"]``, the one place the app reads the client IP."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(settings.trusted_proxies)}


@contextmanager
def stopping_quietly() -> Iterator[None]:
    """Ctrl-C and SIGTERM are how a server is meant to stop, so they end it with status 0.

    uvicorn shuts down gracefully, then re-raises the signal it caught (with the previous
    handlers back in place) so the process dies of it; a parent like ``make`` then reports
    "*** Interrupt" / "Terminated" as a failure. Handlers that only note the signal make
    that re-raise harmless, and ``serve`` returns normally."""
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, _note_stop) for sig in stop_signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _note_stop(signum: int, _frame: FrameType | None) -> None:
    """Reached only after uvicorn has shut down (it installs its own handlers meanwhile)."""


@contextmanager
def announcing(settings: Settings, host: str, port: int) -> Iterator[None]:
    """Print one line once the port accepts connections, however many workers serve it.

    A thread in this (the parent) process connects until the server answers: with one
    worker that is uvicorn's own socket after startup, with several the first worker
    accepting on the shared socket. So the line is printed once and only when true,
    where a line from each worker's startup would repeat N times."""
    bracketed = f"[{host}]" if ":" in host else host
    line = f"Quillpress is serving http://{bracketed}:{port} (docs /docs, GraphQL /graphql)"
    probe = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    done = threading.Event()
    args = (settings, probe, port, line, done)
    threading.Thread(target=_announce, args=args, daemon=True).start()
    try:
        yield
    finally:
        done.set()


def _announce(settings: Settings, probe: str, port: int, line: str, done: threading.Event) -> None:
    while not done.wait(0.1):
        if _accepts_connections(probe, port):
            say(settings, line)
            return


def _accepts_connections(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False
