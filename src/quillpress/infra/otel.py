"""OpenTelemetry tracing (the ``otel`` extra): the tracer provider, a span per SQL
statement and a span per unit of work a use case opens.

Imported only when ``QUILLPRESS_TRACING=true`` (``open_resources`` and ``create_app``
import it lazily), so without the extra nothing here, and nothing from ``opentelemetry``,
is ever imported.

Configuration is OpenTelemetry's own: ``OTEL_SERVICE_NAME`` (default ``quillpress``),
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_TRACES_SAMPLER``/``_ARG``, ``OTEL_TRACES_EXPORTER``
(``otlp``, the default, over HTTP/protobuf to ``OTEL_EXPORTER_OTLP_ENDPOINT``; ``console``;
``none``). A provider someone else installed first (``opentelemetry-instrument``, a test's
in-memory exporter) is used as it is.

The SQL and use-case spans are hand-written rather than taken from
opentelemetry-instrumentation-sqlalchemy: two engine events and one context manager are
less than that package and its dependencies, and the use-case span needs our own seam
(``Database.read()``/``write()``) anyway."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from quillpress import __version__
from quillpress.db import fastpath
from quillpress.db.database import UNTRACED

INSTRUMENTATION = "quillpress"

_SPANS = "quillpress_spans"


def exporter_names() -> list[str]:
    raw = os.environ.get("OTEL_TRACES_EXPORTER", "otlp")
    return [name.strip().lower() for name in raw.split(",") if name.strip()]


def _exporter(name: str) -> SpanExporter | None:
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if name == "console":
        return ConsoleSpanExporter()
    return None  # "none" (Settings refused any other name)


def provider() -> TracerProvider:
    """The process's SDK tracer provider: the one already installed, else one built from
    the ``OTEL_*`` variables and installed (once per process; each worker has its own)."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    attributes: dict[str, Any] = {"service.version": __version__}
    if not os.environ.get("OTEL_SERVICE_NAME") and "service.name=" not in os.environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    ):
        attributes[SERVICE_NAME] = "quillpress"
    built = TracerProvider(resource=Resource.create(attributes))
    for name in exporter_names():
        exporter = _exporter(name)
        if exporter is not None:
            built.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(built)
    return built


def tracer() -> trace.Tracer:
    return provider().get_tracer(INSTRUMENTATION, __version__)


def flush() -> None:
    """Export what is buffered (a stopping worker's last spans)."""
    provider().force_flush()


# --- use cases -------------------------------------------------------------------------


@contextmanager
def use_case_span(name: str, access: str) -> Iterator[None]:
    """The span around one unit of work (``Database.read()``/``write()``), named after
    the use case that opened it; its SQL statements are its children."""
    with tracer().start_as_current_span(
        name, attributes={"code.function.name": name, "quillpress.db.access": access}
    ):
        yield


# --- SQL statements --------------------------------------------------------------------


def instrument_engine(engine: AsyncEngine) -> None:
    """One CLIENT span per statement, a child of whatever span is current (the use case).
    The engine's statements then all go through SQLAlchemy (``db.fastpath`` steps aside:
    its raw driver calls would have no span)."""
    engine.update_execution_options(**{fastpath.TRACED: True})
    system = "postgresql" if engine.dialect.name == "postgresql" else engine.dialect.name
    sql_tracer = tracer()

    def before(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.get_execution_options().get(UNTRACED):
            return
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        span = sql_tracer.start_span(
            operation,
            kind=SpanKind.CLIENT,
            attributes={
                "db.system.name": system,
                "db.operation.name": operation,
                "db.query.text": statement,  # parameterized: values never appear here
            },
        )
        conn.info.setdefault(_SPANS, []).append(span)

    def after(conn: Any, *_args: Any) -> None:
        spans = conn.info.get(_SPANS)
        if spans:
            spans.pop().end()

    def failed(context: Any) -> None:
        connection = getattr(context, "connection", None)
        spans = connection.info.get(_SPANS) if connection is not None else None
        if spans:
            span = spans.pop()
            span.record_exception(context.original_exception)
            span.set_status(Status(StatusCode.ERROR, type(context.original_exception).__name__))
            span.end()

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    event.listen(engine.sync_engine, "after_cursor_execute", after)
    event.listen(engine.sync_engine, "handle_error", failed)
