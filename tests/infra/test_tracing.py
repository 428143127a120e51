"""OpenTelemetry tracing (``QUILLPRESS_TRACING=true``, the ``otel`` extra), recorded by the
SDK's in-memory exporter: a request is a SERVER span named after its route template, the
use cases' units of work are its children, and every SQL statement is a child of those.
Tracing off imports nothing of the extra (``opentelemetry.sdk``; FastAPI itself depends on
``opentelemetry-api``) and records nothing, even with a provider installed."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from quillpress.config import Settings, describe_validation_error
from quillpress.db.engine import create_engine
from tests.conftest import make_settings, truncate
from tests.helpers import PASSWORD, gql, register, serve, statement_count

_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module")
def _provider() -> None:
    """The process's provider, installed once (OpenTelemetry allows one per process);
    the app uses a provider that is already installed as it is."""
    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)


@pytest.fixture(autouse=True)
async def _empty_tables(database_url: str) -> AsyncIterator[None]:
    yield
    engine = create_engine(database_url, null_pool=True)
    try:
        await truncate(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def spans(_provider: None) -> Iterator[InMemorySpanExporter]:
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def _children(parent: ReadableSpan, finished: list[ReadableSpan]) -> list[ReadableSpan]:
    assert parent.context is not None
    return [
        s for s in finished if s.parent is not None and s.parent.span_id == parent.context.span_id
    ]


def _descendants(root: ReadableSpan, finished: list[ReadableSpan]) -> list[ReadableSpan]:
    found: list[ReadableSpan] = []
    frontier = [root]
    while frontier:
        children = [c for parent in frontier for c in _children(parent, finished)]
        found += children
        frontier = children
    return found


async def test_a_request_is_a_span_with_use_case_and_sql_children(
    database_url: str, spans: InMemorySpanExporter
) -> None:
    async with serve(make_settings(database_url, tracing=True, cache="off")) as (_app, client):
        await register(client, "traced")
        spans.clear()
        traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        response = await client.get("/api/profiles/traced", headers={"traceparent": traceparent})
        assert response.status_code == 200
    finished = list(spans.get_finished_spans())
    (request,) = [s for s in finished if s.kind is SpanKind.SERVER]
    assert request.name == "GET /api/profiles/{username}"
    assert request.attributes is not None
    assert request.attributes["http.route"] == "/api/profiles/{username}"
    assert request.attributes["http.response.status_code"] == 200
    assert request.context is not None
    assert format(request.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"

    below = _descendants(request, finished)
    assert len(below) == len(finished) - 1, "every span of the request is below its span"
    (use_case,) = [s for s in below if s.name == "profiles.get_profile"]
    assert use_case.attributes is not None
    assert use_case.attributes["quillpress.db.access"] == "read"
    sql = _children(use_case, finished)
    assert sql, "the use case's statements are its children"
    assert all(s.kind is SpanKind.CLIENT and s.name == "SELECT" for s in sql)
    assert all(s.attributes and "app_user" in str(s.attributes["db.query.text"]) for s in sql)
    assert all(s.attributes and s.attributes["db.system.name"] for s in sql)
    statements = [s for s in finished if s.kind is SpanKind.CLIENT]
    assert len(statements) == len(sql), "no statement outside a use case"
    assert len(sql) == statement_count(response)


async def test_graphql_resolvers_and_writes_are_traced_too(
    database_url: str, spans: InMemorySpanExporter
) -> None:
    async with serve(make_settings(database_url, tracing=True, cache="off")) as (_app, client):
        await register(client, "writer")
        finished = list(spans.get_finished_spans())
        (request,) = [s for s in finished if s.kind is SpanKind.SERVER]
        assert request.name == "POST /api/users"
        names = {s.name for s in _descendants(request, finished)}
        assert "users.register" in names, names
        writes = [
            s
            for s in finished
            if s.name == "users.register"
            and s.attributes
            and s.attributes["quillpress.db.access"] == "write"
        ]
        assert len(writes) == 1, "one transaction"
        assert "INSERT" in {s.name for s in _children(writes[0], finished)}
        spans.clear()
        response = await gql(client, "query Tags { tags }")
        assert response.status_code == 200, response.text
    finished = list(spans.get_finished_spans())
    (request,) = [s for s in finished if s.kind is SpanKind.SERVER]
    assert request.name == "POST /graphql"
    below = _descendants(request, finished)
    assert any(s.kind is SpanKind.CLIENT for s in below), [s.name for s in finished]


TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def _restore_logging() -> Iterator[None]:
    """The app reconfigures the process's logging (DEBUG, JSON): put the suite's back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _request_lines(err: str, request_id: str) -> list[dict[str, Any]]:
    """The production JSON lines written while the request ``request_id`` ran."""
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("request_id") == request_id]


@pytest.mark.usefixtures("_restore_logging")
async def test_with_tracing_every_log_line_of_a_request_names_its_trace_and_span(
    database_url: str, spans: InMemorySpanExporter, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(
        database_url, tracing=True, cache="off", env="production", log_level="DEBUG"
    )
    async with serve(settings) as (_app, client):
        spans.clear()
        capsys.readouterr()
        headers = {"traceparent": TRACEPARENT, "X-Request-ID": "traced-write"}
        user = {"username": "logged", "email": "logged@example.com", "password": PASSWORD}
        response = await client.post("/api/users", json={"user": user}, headers=headers)
        assert response.status_code == 201, response.text
    lines = _request_lines(capsys.readouterr().err, "traced-write")
    finished = list(spans.get_finished_spans())
    (request,) = [s for s in finished if s.kind is SpanKind.SERVER]
    assert request.context is not None
    span_ids = {format(s.context.span_id, "016x") for s in finished if s.context is not None}

    (line,) = [line for line in lines if line["logger"] == "quillpress.request"]
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert line["span_id"] == format(request.context.span_id, "016x")
    inside = [line for line in lines if line["logger"] != "quillpress.request"]
    assert inside, "the write logs its committed changes at DEBUG"
    for line in lines:
        assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c", line
        assert line["span_id"] in span_ids, line


@pytest.mark.usefixtures("_restore_logging")
async def test_without_tracing_log_lines_carry_no_trace_ids(
    database_url: str, spans: InMemorySpanExporter, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not even with a provider installed in the process and a ``traceparent`` sent."""
    async with serve(make_settings(database_url, env="production")) as (_app, client):
        capsys.readouterr()
        headers = {"traceparent": TRACEPARENT, "X-Request-ID": "untraced-read"}
        assert (await client.get("/api/tags", headers=headers)).status_code == 200
    (line,) = _request_lines(capsys.readouterr().err, "untraced-read")
    assert "trace_id" not in line
    assert "span_id" not in line


async def test_probes_are_not_traced(database_url: str, spans: InMemorySpanExporter) -> None:
    async with serve(make_settings(database_url, tracing=True)) as (_app, client):
        spans.clear()
        for path in ("/healthz", "/readyz", "/metrics"):
            assert (await client.get(path)).status_code == 200
    assert not [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]


async def test_the_cache_epochs_poll_is_not_traced(
    database_url: str, spans: InMemorySpanExporter
) -> None:
    settings = make_settings(database_url, tracing=True, cache_epoch_interval_ms=50)
    async with serve(settings) as (app, _client):
        spans.clear()
        epoch = app.state.resources.epoch
        first = epoch._read_at
        await asyncio.sleep(0.3)  # several polls
        assert epoch._read_at != first
    assert not [s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT]


async def test_an_app_without_tracing_records_nothing(
    database_url: str, spans: InMemorySpanExporter
) -> None:
    async with serve(make_settings(database_url)) as (_app, client):
        await register(client, "untraced")
        await client.get("/api/profiles/untraced")
    assert not spans.get_finished_spans()


WITHOUT_THE_EXTRA = """
import asyncio, sys
sys.modules["opentelemetry.sdk"] = None  # as if the otel extra were not installed
import httpx
from asgi_lifespan import LifespanManager
from pydantic import ValidationError
from quillpress.app import create_app
from quillpress.config import Settings, describe_validation_error

async def main():
    app = create_app(Settings(database_url=sys.argv[1], secret_key="k" * 40))
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/api/tags")).status_code == 200

asyncio.run(main())
assert "quillpress.infra.otel" not in sys.modules
try:
    Settings(tracing=True)
except ValidationError as error:
    print(describe_validation_error(error))
"""


def test_without_the_extra_the_app_serves_and_tracing_is_one_clear_line(
    database_url: str,
) -> None:
    result = subprocess.run(  # noqa: S603 (the tests' own interpreter)
        [sys.executable, "-c", WITHOUT_THE_EXTRA, database_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "QUILLPRESS_TRACING=true needs the OpenTelemetry SDK" in result.stdout
    assert "pip install 'quillpress[otel]'" in result.stdout


def test_an_unknown_exporter_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    with pytest.raises(ValidationError) as caught:
        Settings(tracing=True)
    line = describe_validation_error(caught.value)
    assert "OTEL_TRACES_EXPORTER='zipkin' is not supported" in line
    assert "otlp, console, none" in line
