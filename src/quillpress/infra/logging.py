"""One logging pipeline for the whole process: readable lines in development, one JSON
object per line in production.

Quillpress's own code logs with the standard library (``logging.getLogger(name).info(msg,
extra={...})``) and so do uvicorn and every other library. :func:`configure_logging` puts a
single handler on the root logger whose formatter is structlog's ``ProcessorFormatter``, and
routes uvicorn's loggers to it, so every record, whoever wrote it, gets the same fields
(``ts``, ``level``, ``logger``, the message, the ``extra`` fields, the request id) and the same
renderer. structlog's own loggers (``structlog.get_logger()``) are wired into the same
handler, so later code may use either API. With ``QUILLPRESS_TRACING=true`` a line written
while a span is current also carries ``trace_id`` and ``span_id``.

Only fields we choose are logged; request bodies, headers and secrets never are."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, TextIO

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from quillpress.config import Settings
from quillpress.infra.display import visible
from quillpress.infra.redaction import QUIET_LIBRARY_LOGGERS, redact_secrets
from quillpress.infra.request_context import current_request_id

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
ACCESS_LOGGER = "uvicorn.access"
"""Silenced: uvicorn writes access lines only when this logger has a handler, and the
app's own line per request (``quillpress.request``: status, duration, SQL cost, request id)
already is the access log. Two lines per request would only double the volume."""
FIRST_KEYS = ("ts", "level", "logger", "msg")
"""Production lines start with these, in this order, so they read well even unparsed."""

_NOT_FIELDS = {"message", "asctime", "color_message"}
"""Record attributes that are not ``extra`` fields: the cached text of a record another
handler formatted first, and the ANSI-coloured copy of the message uvicorn attaches."""


class _StderrHandler(logging.StreamHandler[TextIO]):
    """A stream handler that writes to whatever ``sys.stderr`` is when a record arrives.

    ``logging.StreamHandler(sys.stderr)`` keeps the stream it was given; when something
    later swaps ``sys.stderr`` (pytest's capture does, per test) it would write to a closed
    stream. The standard library's own version of this class is private
    (``logging._StderrHandler``), hence this copy."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        """Ignored: the stream is always the current ``sys.stderr``."""


def _add_request_id(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    request_id = current_request_id()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    return event_dict


def _trace_ids() -> Processor:
    """With tracing on: the current span's ``trace_id`` and ``span_id`` (hex, as trace
    backends show them) on every line written while one is current (every line of a
    request, the request line included), so a log line leads to its trace and back.

    Only the OpenTelemetry API is needed (a dependency of FastAPI); the cost is one
    context-variable lookup per line, and nothing at all with tracing off (this
    processor is not in the chain then)."""
    from opentelemetry import trace

    get_current_span = trace.get_current_span

    def add_trace_ids(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
        context = get_current_span().get_span_context()
        if context.is_valid:
            event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
            event_dict.setdefault("span_id", format(context.span_id, "016x"))
        return event_dict

    return add_trace_ids


def _drop_non_fields(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    for key in _NOT_FIELDS:
        event_dict.pop(key, None)
    return event_dict


def _first_keys_first(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    ordered = {key: event_dict.pop(key) for key in FIRST_KEYS if key in event_dict}
    ordered.update(event_dict)
    return ordered


_VERBATIM = frozenset({"exception", "stack"})
"""Multi-line texts the process wrote itself (a traceback), printed as they are."""


def _visible_text(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    """Development lines go to a terminal: a control character in a field (a path such as
    ``/%1b]0;…``, a user agent) is shown escaped, never obeyed (``infra.display``).
    Production lines are JSON, which escapes them already."""
    for key, value in event_dict.items():
        if not isinstance(value, str) or key in _VERBATIM:
            continue
        if key == "event":  # a message may run over lines (a migration's description)
            event_dict[key] = "\n".join(visible(line) for line in value.split("\n"))
        else:
            event_dict[key] = visible(value)
    return event_dict


def _orjson_dumps(value: Any, default: Callable[[Any], Any]) -> str:
    return orjson.dumps(value, default=default).decode()


def _renderers(production: bool) -> tuple[Processor, list[Processor]]:
    """The timestamper and the final processors of one mode."""
    if production:
        return structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"), [
            structlog.processors.format_exc_info,
            redact_secrets,  # after format_exc_info: a traceback's text is covered too
            structlog.processors.EventRenamer("msg"),
            _first_keys_first,
            structlog.processors.JSONRenderer(_orjson_dumps, default=str),
        ]
    return structlog.processors.TimeStamper(fmt="%Y-%m-%d %H:%M:%S", utc=False, key="ts"), [
        redact_secrets,
        _visible_text,
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(), timestamp_key="ts"),
    ]


def configure_logging(settings: Settings) -> None:
    """Route every logger through one handler on stderr, rendered for ``settings.env``.

    Idempotent: the CLI calls it, then ``create_app`` again in each uvicorn worker (and
    tests once per app). It replaces only the handler it installed itself, so handlers
    others put on the root logger (pytest's log capture) keep working."""
    timestamper, renderers = _renderers(settings.is_production)
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,  # fields bound with structlog's API
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _add_request_id,
        *([_trace_ids()] if settings.tracing else []),
        timestamper,
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        # Records from the standard library: their message and their ``extra`` fields.
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), _drop_non_fields, *shared],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderers],
    )
    handler = _StderrHandler()
    handler.setFormatter(formatter)

    root = logging.getLogger()
    for existing in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in QUIET_LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    # Alembic says "Context impl SQLiteImpl." and "Will assume non-transactional DDL." at
    # INFO on every command that looks at the schema; db.migrate logs the one line that
    # matters (a migration applied) itself. At DEBUG, Alembic's own lines come back.
    logging.getLogger("alembic").setLevel(
        logging.NOTSET if root.level <= logging.DEBUG else logging.WARNING
    )
    # uvicorn's default config gives its loggers their own handlers and stops them from
    # propagating; `serve` passes log_config=None, and this undoes it for any other launch.
    for name in (*UVICORN_LOGGERS, "quillpress"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = name != ACCESS_LOGGER

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,  # tests reconfigure between modes
    )
