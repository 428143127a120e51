"""The command line answers at once and briefly: ``--version`` and ``--help`` load none of
the application (what a test can hold of "at once"; the timings are bench/cli_startup.py's),
flags are shown as flags, a wrong option is one line and status 2, and no migration-tool
chatter reaches stderr."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from quillpress import cli

APPLICATION = ("fastapi", "starlette", "graphql", "sqlalchemy", "uvicorn", "alembic", "redis")


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(cli.app, list(args))


def _imported(*args: str) -> set[str]:
    """Every module a fresh ``python -X importtime …`` imported."""
    result = subprocess.run(  # noqa: S603 (this interpreter)
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


@pytest.mark.parametrize(
    ("args", "unloaded"),
    [
        (("-c", "import quillpress.cli"), (*APPLICATION, "pydantic", "quillpress.config")),
        (("-m", "quillpress", "--version"), (*APPLICATION, "pydantic", "quillpress.config")),
        (("-m", "quillpress", "--help"), (*APPLICATION, "pydantic", "quillpress.config")),
        # A command's own help: Typer checks its options' defaults with pydantic.
        (("-m", "quillpress", "serve", "--help"), (*APPLICATION, "quillpress.config")),
    ],
    ids=["import", "version", "help", "serve-help"],
)
def test_the_cli_loads_no_web_graphql_or_database_code_to_answer(
    args: tuple[str, ...], unloaded: tuple[str, ...]
) -> None:
    modules = _imported(*args)
    assert "quillpress.cli" in modules  # it looked
    loaded = sorted(m for m in modules if m in unloaded or m.split(".")[0] in unloaded)
    assert loaded == []
    assert not [m for m in modules if m.startswith(("quillpress.api", "quillpress.app"))]


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, command in getattr(group, "commands", {}).items():
        yield from _commands(command, (*path, name))


def test_help_shows_boolean_flags_as_flags(runner: CliRunner) -> None:
    root = typer.main.get_command(cli.app)
    for path in _commands(root):
        rendered = invoke(runner, *path, "--help").output
        assert "<bool>" not in rendered, (path, rendered)
    serve_help = invoke(runner, "serve", "--help").output
    assert any(line.split()[:2] == ["│", "--reload"] for line in serve_help.splitlines())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("serve", "--port", "70000"),
            "Error: Invalid value for '--port': '70000' is not a port: give a number from 1 "
            "to 65535 (see quillpress serve --help)",
        ),
        (
            ("serve", "--port", "abc"),
            "Error: Invalid value for '--port': 'abc' is not a port: give a number from 1 "
            "to 65535 (see quillpress serve --help)",
        ),
        (
            ("serve", "--bogus"),
            "Error: No such option: --bogus (Possible options: --host) "
            "(see quillpress serve --help)",
        ),
        (("--bogus",), "Error: No such option: --bogus (see quillpress --help)"),
        (
            ("seed", "--users", "0"),
            "Error: Invalid value for '--users': Input should be greater than or equal to 1 "
            "(see quillpress seed --help)",
        ),
    ],
    ids=["port-too-big", "port-not-a-number", "unknown-option", "unknown-root-option", "range"],
)
def test_a_wrong_option_is_one_line_and_status_2(
    runner: CliRunner, cli_env: Any, args: tuple[str, ...], expected: str
) -> None:
    result = runner.invoke(cli.app, list(args), prog_name="quillpress")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [expected]


def test_no_arguments_still_prints_the_help(runner: CliRunner) -> None:
    result = runner.invoke(cli.app, [], prog_name="quillpress")
    assert "serve" in result.output
    assert "Error" not in result.output


def test_migrations_log_what_they_applied_and_no_alembic_chatter(
    runner: CliRunner, db_url: str
) -> None:
    first = invoke(runner, "db", "upgrade")
    assert first.exit_code == 0, first.output
    again = invoke(runner, "db", "current")
    assert again.exit_code == 0, again.output
    for result in (first, again):
        assert "Context impl" not in result.stderr
        assert "Will assume" not in result.stderr
        assert "Running upgrade" not in result.stderr
    assert first.stderr.count("Migrated the database") == 1
    assert "to_revision=" in first.stderr
    assert again.stderr == ""
