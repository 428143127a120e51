"""The secret scanner of the DEBUG leak test catches what it must (so that test can
fail), and the logging pipeline's backstop redacts secret-shaped text whoever logs it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import structlog
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from quillpress.config import Settings
from quillpress.db.engine import create_engine
from quillpress.infra.logging import configure_logging
from quillpress.infra.redaction import REDACTED, redact_text
from tests.conftest import TEST_SECRET
from tests.secret_scan import Secrets

TOKEN = jwt.encode({"sub": "1", "sid": "abc"}, TEST_SECRET, algorithm="HS256")
ARGON2 = "$argon2id$v=19$m=1024,t=1,p=1$HLH2NwjtMkTJtNyJCM8bqg$2cnE3MwRIn0W35h3EzyY94OVw0"
PASSWORD = "a-password-has-no-shape"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_scanner_finds_a_planted_secret_and_names_it() -> None:
    secrets = Secrets()
    secrets.add("a password used", PASSWORD)
    leaks = secrets.leaks(f"2026-01-01 [debug] login attempt password={PASSWORD} ok")
    assert len(leaks) == 1
    assert leaks[0].startswith("a password used #0: ")
    assert PASSWORD not in leaks[0]  # the report itself does not repeat the secret


def test_the_scanner_finds_a_jwt_by_its_signature_alone() -> None:
    secrets = Secrets()
    secrets.add("access token", TOKEN)
    signature = TOKEN.rsplit(".", 1)[1]
    assert secrets.leaks(f"sig={signature}") != []
    assert secrets.leaks("nothing secret here") == []


def test_the_scanner_refuses_a_value_too_short_to_scan_for() -> None:
    with pytest.raises(AssertionError, match="too short"):
        Secrets().add("cookie", "abc")


@pytest.mark.parametrize("env", ["development", "production"])
def test_secret_shapes_logged_by_anyone_are_redacted_in_both_formats(
    env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(Settings(env=env, log_level="DEBUG", secret_key=TEST_SECRET))
    library = logging.getLogger("some.library")
    library.debug("headers: Authorization: Token %s", TOKEN)
    library.debug("params %s", (ARGON2, "2026-01-01"))
    library.info("extra fields too", extra={"auth": f"Bearer {TOKEN}", "nested": {"t": TOKEN}})
    structlog.get_logger("ours").debug("bound", value=TOKEN)
    library.debug("a password is caught only by the scanner: %s", PASSWORD)
    output = capsys.readouterr().err
    secrets = Secrets()
    secrets.add("token", TOKEN)
    secrets.add("argon2 hash", ARGON2)
    assert secrets.leaks(output) == []
    assert output.count(REDACTED) >= 5
    # The scanner sees through the pipeline's output: the shapeless secret is found.
    secrets.add("password", PASSWORD)
    assert len(secrets.leaks(output)) == 1


def test_redaction_keeps_ordinary_text() -> None:
    line = "GET /api/articles?tag=python 200 in 4.2 ms, Token expired for user 7"
    assert redact_text(line) == line


def test_aiosqlite_stays_at_info_when_the_level_is_debug() -> None:
    configure_logging(Settings(log_level="DEBUG"))
    assert not logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
    assert logging.getLogger("quillpress").isEnabledFor(logging.DEBUG)


async def test_sql_errors_do_not_carry_their_parameters(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (v TEXT UNIQUE)"))
            await conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": ARGON2})
            with pytest.raises(IntegrityError) as caught:
                await conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": ARGON2})
    finally:
        await engine.dispose()
    assert "UNIQUE" in str(caught.value)
    assert ARGON2 not in str(caught.value)
