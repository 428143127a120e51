"""Refresh tokens: opaque random values, stored only as a SHA-256 hash.

Rotation spends a token and hands out its successor. The successor is *derived* from the
spent token with a server-side key (HMAC), not drawn at random: a spent token presented
again within the grace window (two tabs refreshing at once, a retried request) gets the
very same successor from whichever instance answers, with nothing kept in memory and no
successor stored in a readable form."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

TOKEN_BYTES = 32


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class RefreshTokens:
    """The refresh policy: the lifetimes (absolute from the sign-in, idle from the last
    refresh) and the grace window in which a spent token still gets its successor."""

    def __init__(
        self,
        secret: str,
        *,
        lifetime_seconds: int = 30 * 86_400,
        idle_seconds: int = 7 * 86_400,
        grace_seconds: int = 10,
    ) -> None:
        self.lifetime_seconds = lifetime_seconds
        self.idle_seconds = idle_seconds
        self.grace_seconds = grace_seconds
        # A key of its own, derived from the signing secret: a refresh successor can
        # never be used as, or reveal, a token signature.
        self._key = hmac.new(secret.encode(), b"quillpress refresh successor", "sha256").digest()

    @staticmethod
    def new() -> str:
        return _encode(secrets.token_bytes(TOKEN_BYTES))

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def successor(self, spent: str) -> str:
        return _encode(hmac.new(self._key, spent.encode(), "sha256").digest())
