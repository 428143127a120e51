"""The security tools a running app holds, and the one way both adapters authenticate."""

from __future__ import annotations

from dataclasses import dataclass

from quillpress.config import Settings
from quillpress.domain.auth import Principal
from quillpress.infra.passwords import PasswordHasher
from quillpress.infra.secrets import resolve_secret
from quillpress.infra.tokens import TokenCodec, parse_authorization


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

    def authenticate(self, authorization: str | None) -> tuple[Principal | None, str | None]:
        """The principal and raw token behind an ``Authorization`` header (``None``s when absent).

        Raises ``Unauthenticated`` for a malformed, forged or expired token."""
        token = parse_authorization(authorization)
        if token is None:
            return None, None
        return self.tokens.verify(token), token
