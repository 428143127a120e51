"""Where the signing key comes from (infra/secrets.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from quillpress.app import create_app
from quillpress.config import Settings
from quillpress.infra.secrets import MIN_SECRET_LENGTH, InsecureSecretError, resolve_secret

STRONG = "s3cr3t-Zq8vN2pL7wXy4Kd9Tb6Hm1Rc5Jf0Ug3"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("QUILLPRESS_SECRET_KEY", "QUILLPRESS_SECRET_FILE", "QUILLPRESS_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # a stray default secret file lands here, not in the repo


def settings(**values: object) -> Settings:
    return Settings(**values)  # type: ignore[arg-type]


def test_production_without_a_key_refuses(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    with pytest.raises(InsecureSecretError, match="QUILLPRESS_SECRET_KEY"):
        resolve_secret(settings(env="production", secret_file=str(secret_file)))
    assert not secret_file.exists()  # production never falls back to a generated file


def test_production_ignores_an_existing_development_secret_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(STRONG)
    with pytest.raises(InsecureSecretError):
        resolve_secret(settings(env="production", secret_file=str(secret_file)))


@pytest.mark.parametrize(
    "weak",
    ["secret", "changeme", "quillpress", "x" * (MIN_SECRET_LENGTH - 1), "x" * 64, "ab" * 40],
)
def test_production_with_a_short_or_repetitive_key_refuses(weak: str) -> None:
    with pytest.raises(InsecureSecretError):
        resolve_secret(settings(env="production", secret_key=weak))


def test_production_with_a_strong_key_uses_it() -> None:
    assert resolve_secret(settings(env="production", secret_key=STRONG)) == STRONG


def test_production_key_of_exactly_the_minimum_length_is_accepted() -> None:
    key = (STRONG * 2)[:MIN_SECRET_LENGTH]
    assert resolve_secret(settings(env="production", secret_key=key)) == key


def test_production_key_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUILLPRESS_ENV", "production")
    monkeypatch.setenv("QUILLPRESS_SECRET_KEY", STRONG)
    assert resolve_secret(Settings()) == STRONG


def test_app_refuses_to_start_in_production_without_a_key(tmp_path: Path) -> None:
    with pytest.raises(InsecureSecretError):
        create_app(settings(env="production", secret_file=str(tmp_path / "secret")))


def test_development_with_an_explicit_key_uses_it_and_writes_no_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    assert resolve_secret(settings(secret_key="short", secret_file=str(secret_file))) == "short"
    assert not secret_file.exists()


def test_development_generates_a_private_secret_file_once(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    first = resolve_secret(settings(secret_file=str(secret_file)))
    assert secret_file.exists()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert len(first) >= MIN_SECRET_LENGTH
    assert secret_file.read_text().strip() == first

    second = resolve_secret(settings(secret_file=str(secret_file)))
    assert second == first
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600


def test_development_reuses_an_existing_secret_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(STRONG + "\n")
    assert resolve_secret(settings(secret_file=str(secret_file))) == STRONG
    assert secret_file.read_text() == STRONG + "\n"  # left untouched


def test_separate_development_secret_files_get_different_keys(tmp_path: Path) -> None:
    one = resolve_secret(settings(secret_file=str(tmp_path / "one")))
    two = resolve_secret(settings(secret_file=str(tmp_path / "two")))
    assert one != two
