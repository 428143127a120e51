"""The committed ``openapi.json`` is the document the code builds and the app serves."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from typer.testing import CliRunner

from quillpress import cli
from quillpress.api.rest import openapi
from quillpress.app import create_app, openapi_document
from quillpress.config import Settings
from tests.conftest import make_settings

OPENAPI_FILE = Path(__file__).resolve().parents[2] / "openapi.json"


def test_committed_document_matches_the_code() -> None:
    assert OPENAPI_FILE.read_text() == openapi.render(openapi_document(Settings())), (
        "openapi.json is out of date: run `.venv/bin/quillpress openapi > openapi.json`"
    )


async def test_the_app_serves_the_committed_document() -> None:
    # No lifespan and no database: the document is built from the routes alone.
    app = create_app(make_settings("sqlite+aiosqlite:///:memory:"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == json.loads(OPENAPI_FILE.read_text())


def test_the_cli_prints_the_committed_document() -> None:
    result = CliRunner().invoke(cli.app, ["openapi"])
    assert result.exit_code == 0, result.output
    assert result.stdout == OPENAPI_FILE.read_text()
