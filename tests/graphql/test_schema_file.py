"""The committed SDL is the schema the code serves."""

from __future__ import annotations

from pathlib import Path

from quillpress.api.graphql.schema import sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_sdl_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text() == sdl(), (
        "schema.graphql is out of date: run `.venv/bin/quillpress graphql-schema > schema.graphql`"
    )
