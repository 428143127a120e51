"""The application's clock: every timestamp a use case writes is read here."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now in UTC, cut to milliseconds: the precision the API prints, so a value
    read back equals the value written on every backend."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
