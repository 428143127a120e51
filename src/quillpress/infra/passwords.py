"""argon2id password hashing, always off the event loop.

One hash costs ~0.2 CPU-seconds at the default parameters; done inline it would stall
every other request, so hashing runs in a worker thread behind a semaphore that bounds
how many run at once (a login flood queues instead of starving the server)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

from quillpress.config import Settings


class PasswordHasher:
    def __init__(
        self, *, time_cost: int, memory_kib: int, parallelism: int, concurrency: int
    ) -> None:
        self._hasher = Argon2Hasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._slots = asyncio.Semaphore(concurrency)
        # Verified against when the account does not exist, so an unknown email costs the
        # same time as a wrong password and the two cannot be told apart.
        self._decoy = self._hasher.hash("quillpress-decoy-password")

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordHasher:
        """The one mapping from ``QUILLPRESS_PASSWORD_*`` to hasher parameters (the app
        and the CLI's seeding both hash through it, so their hashes verify alike)."""
        return cls(
            time_cost=settings.password_time_cost,
            memory_kib=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
            concurrency=settings.password_hash_concurrency,
        )

    def hash_sync(self, password: str) -> str:
        return self._hasher.hash(password)

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(self._verify, stored_hash, password)

    def _verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return (
                self._hasher.verify(stored_hash or self._decoy, password)
                and stored_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False
