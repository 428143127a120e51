"""What ``serve`` starts with but should not pass in silence: variables no setting reads,
development defaults reachable from other machines, a weak key in development."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quillpress.config import Settings


def serve_warnings(settings: Settings, host: str, environ: Mapping[str, str]) -> list[str]:
    """The warnings, checked after every check that refuses to start, so an error stays
    one line."""
    from quillpress.config import unknown_variables
    from quillpress.infra.secrets import weak_key_warning

    everything = " (docs/operating/configuration.md lists every setting)"
    warnings = [
        f"{name} is not a setting and is ignored"
        + (f"; did you mean {close}?" if close else everything)
        for name, close in unknown_variables(environ)
    ]
    if not settings.is_production and not _only_loopback(host):
        warnings.append(_exposed_development(settings, host))
    weak = weak_key_warning(settings)
    if weak is not None:
        warnings.append(weak)
    return warnings


def _only_loopback(host: str) -> bool:
    """Whether every address ``host`` binds is this machine's loopback (127.0.0.0/8,
    ::1); ``0.0.0.0``, ``::`` and an empty host bind every interface."""
    try:
        addresses = socket.getaddrinfo(host or None, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(addresses) and all(
        ipaddress.ip_address(str(address[4][0]).split("%")[0]).is_loopback for address in addresses
    )


def _exposed_development(settings: Settings, host: str) -> str:
    """The loud one: development's defaults are for one person's machine."""
    defaults = []
    if not settings.cors_origins:
        defaults.append("credentialed CORS")
    if settings.metrics_token is None:
        defaults.append("/metrics without a token")
    if settings.introspection_enabled:
        defaults.append("GraphQL introspection")
    if not settings.cookies_secure:
        defaults.append("cookies without Secure")
    what = f" ({', '.join(defaults)})" if defaults else ""
    return (
        f"DEVELOPMENT MODE ON {host or '0.0.0.0'}, reachable from other machines, with "  # noqa: S104
        f"development's defaults{what}: set QUILLPRESS_ENV=production (and "
        "QUILLPRESS_SECRET_KEY) for anything but a trial on this machine"
    )
