"""Who is asking, as the transport saw it: sessions and audit rows record it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """The ``User-Agent`` header, the peer address of the connection from the ASGI scope
    (never a forwarded-for header a client can forge) and the request id (``None``: the
    current one, see ``services.audit``). ``ClientInfo()`` is a caller with no transport
    (the command line, the seeder, a test)."""

    user_agent: str | None = None
    ip: str | None = None
    request_id: str | None = None
