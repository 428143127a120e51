"""The security tools a running app holds (password hashing, tokens, CSRF tokens).

Turning a request's credentials into a principal is ``services.authentication``'s job."""

from __future__ import annotations

from dataclasses import dataclass

from quillpress.config import Settings
from quillpress.infra.csrf import CsrfTokens
from quillpress.infra.passwords import PasswordHasher
from quillpress.infra.refresh_tokens import RefreshTokens
from quillpress.infra.secrets import resolve_secret
from quillpress.infra.signing_keys import token_codec
from quillpress.infra.tokens import TokenCodec


@dataclass(frozen=True, slots=True)
class Security:
    passwords: PasswordHasher
    tokens: TokenCodec
    refresh: RefreshTokens
    csrf: CsrfTokens

    @classmethod
    def from_settings(cls, settings: Settings) -> Security:
        secret = resolve_secret(settings)
        return cls(
            passwords=PasswordHasher.from_settings(settings),
            refresh=RefreshTokens(
                secret,
                lifetime_seconds=settings.refresh_lifetime_seconds,
                idle_seconds=settings.refresh_idle_seconds,
                grace_seconds=settings.refresh_grace_seconds,
            ),
            tokens=token_codec(settings, secret),
            csrf=CsrfTokens(secret, settings.previous_secrets),
        )
