"""Cookie mode (``?session=cookie`` on login and register): the tokens travel as cookies
a script cannot read (``api.session_cookies``), and the body keeps the RealWorld shape
with ``token: ""``."""

from __future__ import annotations

from enum import StrEnum


class SessionMode(StrEnum):
    TOKEN = "token"  # noqa: S105 (a mode name, not a secret)
    COOKIE = "cookie"
