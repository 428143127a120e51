"""What ``serve`` starts with but must not pass in silence: a variable no setting reads
(with the setting it most resembles), development mode reachable from other machines, a
weak key in development. Each is a warning line on stderr and the server still starts;
what must stop it (a garbage Redis URL) is one ``Error:`` line and exit 2."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from quillpress import cli
from tests.cli.conftest import serve_args
from tests.cli.test_config_errors import assert_one_config_line, run_cli


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    return calls


def serve(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(cli.app, serve_args(*args))


def warnings_of(result: Any) -> list[str]:
    assert result.exit_code == 0, result.output
    return [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]


def test_a_mistyped_variable_is_named_with_the_setting_it_resembles(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    monkeypatch.setenv("QUILLPRESS_DATABSE_URL", "postgresql://db/app")
    monkeypatch.setenv("quillpress_redis_ulr", "redis://cache:6379/0")  # case does not matter
    monkeypatch.setenv("QUILLPRESS_FROBNICATE", "1")
    assert warnings_of(serve(runner)) == [
        "Warning: QUILLPRESS_DATABSE_URL is not a setting and is ignored; "
        "did you mean QUILLPRESS_DATABASE_URL?",
        "Warning: QUILLPRESS_FROBNICATE is not a setting and is ignored "
        "(docs/operating/configuration.md lists every setting)",
        "Warning: quillpress_redis_ulr is not a setting and is ignored; "
        "did you mean QUILLPRESS_REDIS_URL?",
    ]
    assert len(uvicorn_calls) == 1


def test_the_projects_own_tool_variables_are_not_warned_about(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    for name in (
        "QUILLPRESS_TEST_POSTGRES_URL",
        "QUILLPRESS_TEST_CLUSTER",
        "QUILLPRESS_LOCAL_DIR",
        "QUILLPRESS_BENCH_DURATION",
        "QUILLPRESS_CONFORMANCE_EXAMPLES",
        "QUILLPRESS_PGBIN",
        "QUILLPRESS_NGINX",
        "QUILLPRESS_IMAGE",
    ):
        monkeypatch.setenv(name, "x")
    assert warnings_of(serve(runner)) == []


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])  # noqa: S104 (what is being warned about)
def test_development_on_every_interface_is_a_loud_warning(
    runner: CliRunner, db_url: str, uvicorn_calls: list[Any], host: str
) -> None:
    [warning] = warnings_of(serve(runner, "--host", host))
    assert f"DEVELOPMENT MODE ON {host}, reachable from other machines" in warning
    for default in (
        "credentialed CORS",
        "/metrics without a token",
        "GraphQL introspection",
        "cookies without Secure",
    ):
        assert default in warning
    assert "set QUILLPRESS_ENV=production" in warning
    assert uvicorn_calls[0]["host"] == host


def test_the_warning_names_only_the_defaults_still_in_force(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    monkeypatch.setenv("QUILLPRESS_METRICS_TOKEN", "scrape-token-0123456789")
    monkeypatch.setenv("QUILLPRESS_COOKIE_SECURE", "true")
    [warning] = warnings_of(serve(runner, "--host", "0.0.0.0"))  # noqa: S104
    assert "(credentialed CORS, GraphQL introspection)" in warning


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_development_on_loopback_says_nothing(
    runner: CliRunner, db_url: str, uvicorn_calls: list[Any], host: str
) -> None:
    assert warnings_of(serve(runner, "--host", host)) == []


def test_production_on_every_interface_is_not_warned_about(
    runner: CliRunner, db_url: str, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    monkeypatch.setenv("QUILLPRESS_ENV", "production")
    result = serve(runner, "--host", "0.0.0.0")  # noqa: S104
    assert result.exit_code == 0, result.output
    assert "DEVELOPMENT MODE" not in result.output
    assert len(uvicorn_calls) == 1


@pytest.mark.parametrize("key", ["abcde", "x" * 40])  # too short; long but not random
def test_a_weak_key_is_a_warning_in_development(
    runner: CliRunner,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    uvicorn_calls: list[Any],
    key: str,
) -> None:
    monkeypatch.setenv("QUILLPRESS_SECRET_KEY", key)
    [warning] = warnings_of(serve(runner))
    assert warning.startswith("Warning: QUILLPRESS_SECRET_KEY='***' is weak")
    assert "QUILLPRESS_ENV=production refuses it (at least 32 random characters" in warning
    assert key not in warning
    assert len(uvicorn_calls) == 1


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("garbage", "the scheme must be redis, rediss or unix"),
        ("http://cache:6379", "the scheme must be redis, rediss or unix"),
        ("redis://:hunter2@cache:port/0", "Port could not be cast to integer"),
        ("redis://cache:6379/zero", "the database 'zero' is not a number"),
        ("redis://cache:6379/0?socket_timeout=soon", "Invalid value for 'socket_timeout'"),
        ("unix://", "a unix URL needs the socket's path"),
    ],
)
def test_a_bad_redis_url_is_one_line_and_exit_2(
    runner: CliRunner,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    uvicorn_calls: list[Any],
    url: str,
    problem: str,
) -> None:
    monkeypatch.setenv("QUILLPRESS_REDIS_URL", url)
    line = assert_one_config_line(
        serve(runner), "QUILLPRESS_REDIS_URL=", f"is not a Redis URL: {problem}", "redis://"
    )
    assert "hunter2" not in line
    assert uvicorn_calls == []


def test_a_bad_redis_url_stops_a_real_process_in_one_line(db_url: str) -> None:
    """It was a 55-line traceback from the worker's lifespan and exit status 3."""
    import os

    result = run_cli({**os.environ, "QUILLPRESS_REDIS_URL": "garbage"}, *serve_args())
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "Error: QUILLPRESS_REDIS_URL='garbage' is not a Redis URL: the scheme must be redis, "
        "rediss or unix (accepted: redis://[:password@]host:6379/0, rediss://host:6380/0, "
        "unix:///path/to/redis.sock)"
    ]
