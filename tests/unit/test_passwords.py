"""argon2id password hashing (infra/passwords.py)."""

from __future__ import annotations

import asyncio
import threading
import time
from unittest import mock

import pytest

from quillpress.config import Settings
from quillpress.infra.passwords import PasswordHasher

PASSWORD = "correct-horse-battery"
DECOY_PASSWORD = "quillpress-decoy-password"


def cheap_hasher(concurrency: int = 2) -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_kib=1024, parallelism=1, concurrency=concurrency)


@pytest.fixture
def hasher() -> PasswordHasher:
    return cheap_hasher()


async def test_hash_is_argon2id_with_the_configured_parameters(hasher: PasswordHasher) -> None:
    encoded = await hasher.hash(PASSWORD)
    assert encoded.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert PASSWORD not in encoded


async def test_hashing_the_same_password_twice_uses_fresh_salts(hasher: PasswordHasher) -> None:
    assert await hasher.hash(PASSWORD) != await hasher.hash(PASSWORD)


def test_hash_sync_produces_a_verifiable_argon2id_hash(hasher: PasswordHasher) -> None:
    encoded = hasher.hash_sync(PASSWORD)
    assert encoded.startswith("$argon2id$")
    assert hasher._verify(encoded, PASSWORD)


async def test_verify_accepts_the_right_password(hasher: PasswordHasher) -> None:
    assert await hasher.verify(await hasher.hash(PASSWORD), PASSWORD) is True


@pytest.mark.parametrize("attempt", ["wrong-password", "", PASSWORD.upper(), PASSWORD + " "])
async def test_verify_rejects_a_wrong_password(hasher: PasswordHasher, attempt: str) -> None:
    assert await hasher.verify(await hasher.hash(PASSWORD), attempt) is False


@pytest.mark.parametrize("stored", ["", "not-a-hash", "$argon2id$v=19$garbage"])
async def test_verify_against_a_malformed_hash_is_false_not_an_error(
    hasher: PasswordHasher, stored: str
) -> None:
    assert await hasher.verify(stored, PASSWORD) is False


async def test_verify_against_no_account_returns_false(hasher: PasswordHasher) -> None:
    assert await hasher.verify(None, PASSWORD) is False


async def test_verify_against_no_account_is_false_even_for_the_decoy_password(
    hasher: PasswordHasher,
) -> None:
    assert await hasher.verify(None, DECOY_PASSWORD) is False


async def test_verify_against_no_account_still_runs_argon2_on_the_decoy(
    hasher: PasswordHasher,
) -> None:
    """An unknown email must cost a full hash verification, like a wrong password does."""
    spy = mock.Mock(wraps=hasher._hasher)
    with mock.patch.object(hasher, "_hasher", spy):
        assert await hasher.verify(None, PASSWORD) is False
    spy.verify.assert_called_once()
    decoy_hash, attempted = spy.verify.call_args.args
    assert decoy_hash.startswith("$argon2id$")
    assert attempted == PASSWORD


async def test_hashing_runs_no_more_than_the_configured_concurrency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hasher = cheap_hasher(concurrency=2)
    lock = threading.Lock()
    running = 0
    peak = 0
    real = hasher._hasher

    def slow_hash(password: str) -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            time.sleep(0.02)  # widen the window in which overlapping calls would show
            return real.hash(password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(hasher, "_hasher", mock.Mock(wraps=real, hash=slow_hash))
    results = await asyncio.gather(*(hasher.hash(f"password-{n}") for n in range(6)))
    assert len(set(results)) == 6
    assert 1 <= peak <= 2


async def test_production_defaults_are_argon2id_m65536_t3_p4(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("TIME_COST", "MEMORY_KIB", "PARALLELISM", "HASH_CONCURRENCY"):
        monkeypatch.delenv(f"QUILLPRESS_PASSWORD_{name}", raising=False)
    settings = Settings()
    hasher = PasswordHasher(
        time_cost=settings.password_time_cost,
        memory_kib=settings.password_memory_kib,
        parallelism=settings.password_parallelism,
        concurrency=settings.password_hash_concurrency,
    )
    encoded = await hasher.hash(PASSWORD)
    assert encoded.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert await hasher.verify(encoded, PASSWORD) is True
    assert await hasher.verify(encoded, "wrong-password") is False
