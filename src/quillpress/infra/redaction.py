"""Redaction of secret-shaped text in log records: the backstop behind "only fields we
choose are logged".

No log call of ours writes a token, a password or a hash, and the DEBUG-level leak test
(tests/cli/test_debug_log_secrets.py) keeps it so; but a library at DEBUG, or an
exception's text, may carry one (aiosqlite logged every statement's parameters, password
hashes included). What can be recognised by its shape is replaced before rendering: JWTs,
argon2 hashes, and the credential after ``Token`` / ``Bearer``. Passwords have no shape:
they are kept out at the source (parameters hidden, chatty loggers capped at INFO)."""

from __future__ import annotations

import re
from typing import Any

from structlog.typing import EventDict, WrappedLogger

REDACTED = "[redacted]"

_SECRET_SHAPES = re.compile(
    r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}"  # a JWS compact token
    r"|\$argon2(?:id|i|d)\$[^\s'\"),]+"  # a PHC-format argon2 hash
    r"|(?:(?<=\bToken )|(?<=\bBearer ))[A-Za-z0-9._~+/=-]{8,}",  # an Authorization credential
)

QUIET_LIBRARY_LOGGERS = ("aiosqlite",)
"""Loggers held at INFO even when the level is DEBUG: aiosqlite's DEBUG lines repeat every
statement with its parameters, which hide_parameters (db/engine.py) cannot reach."""


def redact_text(text: str) -> str:
    return _SECRET_SHAPES.sub(REDACTED, text)


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: _redact(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact(item) for item in value)
    return value


def redact_secrets(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    """A structlog processor: every string field, nested ones included, redacted.

    Runs after ``format_exc_info`` where there is one, so a traceback's text is covered."""
    return {key: _redact(value) for key, value in event_dict.items()}
