"""The one warning that a reverse proxy in front of Quillpress is not trusted.

The client address is whatever ``serve`` lets uvicorn put in ``scope["client"]``: only a
peer named in ``QUILLPRESS_TRUSTED_PROXIES`` has its ``X-Forwarded-For`` applied. Behind
a proxy that is not named, every client has the proxy's address: ten wrong passwords
from anywhere lock the real owner out, the per-IP rules cap the whole site, sessions and
the audit log record the proxy for everyone. Nothing fails, so nothing would say so: the
edge calls :meth:`ForwardedCheck.inspect` for every request carrying ``X-Forwarded-For``
or ``Forwarded`` and the first one that came from an untrusted peer is logged, once per
process (a proxy sends the header on every request; one line names the fix).

Which peer sent the request is read after uvicorn ran, so it is inferred:

- no trusted proxy configured: uvicorn applied nothing, the peer is untrusted;
- the client address is inside a trusted network: the peer was trusted (or the whole
  forwarded chain was);
- the client address is outside every trusted network and is one of the hosts the
  ``X-Forwarded-For`` names: uvicorn took it from there, so the peer was trusted;
- otherwise the peer itself is the client address, and it is not trusted.

``Forwarded`` (RFC 7239) is never applied (uvicorn reads ``X-Forwarded-For`` only), so a
request carrying only it from an untrusted peer is reported the same way."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence
from typing import Any

log = logging.getLogger("quillpress.proxies")

SETTING = "QUILLPRESS_TRUSTED_PROXIES"
X_FORWARDED_FOR = b"x-forwarded-for"
FORWARDED = b"forwarded"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class _Once:
    """Per process, not per app: a test or a worker that builds several apps logs once."""

    warned = False


ONCE = _Once()


class ForwardedCheck:
    def __init__(self, trusted_proxies: Sequence[str]) -> None:
        self.trusted_proxies = tuple(trusted_proxies)
        self._networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(entry, strict=False) for entry in trusted_proxies
        )

    def inspect(
        self, client: Any, forwarded_for: Sequence[bytes], forwarded: Sequence[bytes]
    ) -> None:
        """Log the warning if this request (its ``scope["client"]`` and the values of its
        forwarding headers) came from an untrusted peer and none was logged yet."""
        if ONCE.warned or not (forwarded_for or forwarded):
            return
        host = client[0] if client else None
        if self._networks and self._is_trusted(host):
            return
        if self._networks and forwarded_for and host in _forwarded_hosts(forwarded_for):
            return
        ONCE.warned = True
        log.warning(
            "a request from %s carries %s, but that peer is not a trusted proxy: every client "
            "behind it gets its address (rate limits, sessions, audit log). Set %s to the "
            "proxy's address or network (now %s). Logged once per process.",
            host or "an unknown peer",
            "X-Forwarded-For" if forwarded_for else "Forwarded",
            SETTING,
            ",".join(self.trusted_proxies) or "empty",
            extra={
                "peer": host,
                "header": "X-Forwarded-For" if forwarded_for else "Forwarded",
                "setting": SETTING,
                "trusted_proxies": list(self.trusted_proxies),
            },
        )

    def _is_trusted(self, host: str | None) -> bool:
        try:
            address = ipaddress.ip_address(host or "")
        except ValueError:
            return False
        return any(address in network for network in self._networks)


def _forwarded_hosts(values: Sequence[bytes]) -> set[str]:
    """The hosts an ``X-Forwarded-For`` names, as uvicorn parses them (``[v6]:port``,
    ``v4:port`` or a bare address)."""
    hosts = set()
    for value in values:
        for item in value.decode("latin1").split(","):
            entry = item.strip()
            if entry.startswith("[") and "]" in entry:
                entry = entry[1 : entry.index("]")]
            elif entry.count(":") == 1:
                entry = entry.split(":", 1)[0]
            hosts.add(entry)
    return hosts
