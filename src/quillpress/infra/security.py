"""The security tools a running app holds (password hashing and tokens).

Turning a request's credentials into a principal is ``services.authentication``'s job."""

from __future__ import annotations

from dataclasses import dataclass

from quillpress.config import Settings
from quillpress.infra.passwords import PasswordHasher
from quillpress.infra.secrets import resolve_secret
from quillpress.infra.tokens import TokenCodec


@dataclass(frozen=True, slots=True)
class Security:
    passwords: PasswordHasher
    tokens: TokenCodec

    @classmethod
    def from_settings(cls, settings: Settings) -> Security:
        return cls(
            passwords=PasswordHasher.from_settings(settings),
            tokens=TokenCodec(
                secret=resolve_secret(settings),
                algorithm=settings.jwt_algorithm,
                lifetime_seconds=settings.token_lifetime_seconds,
            ),
        )
