"""JWT issue and verification (PyJWT). Verification pins the algorithm and requires
every claim we issue, so ``alg: none``, a foreign key or a stripped claim all fail.

Every token names its signing key in the header (``kid``) and its server-side session in
the ``sid`` claim. The codec holds one signing key and any number of verify-only keys (the
previous ones, so rotating the key signs nobody out): the ``kid`` selects the key, and
each key is bound to exactly one algorithm, so a token can never choose how it is checked."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from quillpress.domain.auth import Principal, Role
from quillpress.domain.errors import Unauthenticated

REQUIRED_CLAIMS = ["sub", "role", "iat", "exp", "jti", "sid"]
VERIFIED_CACHE_SIZE = 10_000
"""Tokens remembered as verified (about 3 MB at most; cleared when full)."""


@dataclass(frozen=True, slots=True)
class VerifyingKey:
    """A key that checks tokens: its id, its single algorithm, and the key material
    (an HMAC secret as bytes, or a public key object for EdDSA)."""

    kid: str
    algorithm: str
    key: Any


def hmac_kid(secret: str) -> str:
    """A key id that names an HMAC secret without revealing anything about it."""
    return "hs-" + hmac.new(secret.encode(), b"quillpress kid", hashlib.sha256).hexdigest()[:16]


def new_session_id() -> str:
    return secrets.token_urlsafe(24)


class TokenCodec:
    def __init__(
        self,
        *,
        secret: str,
        algorithm: str = "HS256",
        lifetime_seconds: int = 86_400,
        previous_secrets: Sequence[str] = (),
        signing: tuple[VerifyingKey, Any] | None = None,
        extra_verifying: Sequence[VerifyingKey] = (),
    ) -> None:
        """``signing`` (an EdDSA key and its private half) replaces the HMAC secret as
        the signer; the HMAC secret and ``previous_secrets`` then only verify."""
        hs_algorithm = algorithm if algorithm.startswith("HS") else "HS256"
        hmac_keys = [
            VerifyingKey(kid=hmac_kid(value), algorithm=hs_algorithm, key=value.encode())
            for value in (secret, *previous_secrets)
        ]
        if signing is None:
            self._signer, self._signing_material = hmac_keys[0], hmac_keys[0].key
        else:
            self._signer, self._signing_material = signing
        keys = [self._signer, *extra_verifying, *hmac_keys]
        self._verifying: dict[str, VerifyingKey] = {}
        for key in keys:
            self._verifying.setdefault(key.kid, key)
        self._lifetime = lifetime_seconds
        self._verified: dict[str, tuple[Principal, float]] = {}

    @property
    def verifying_keys(self) -> list[VerifyingKey]:
        return list(self._verifying.values())

    def issue(
        self,
        *,
        user_id: int,
        role: str,
        session_id: str | None = None,
        now: float | None = None,
    ) -> str:
        """``session_id`` names the server-side session; without one the token names a
        fresh random id that no session has (useful to unit tests, refused by the API)."""
        issued = int(now if now is not None else time.time())
        claims = {
            "sub": str(user_id),
            "role": role,
            "iat": issued,
            "exp": issued + self._lifetime,
            "jti": uuid.uuid4().hex,
            "sid": session_id or new_session_id(),
        }
        return jwt.encode(
            claims,
            self._signing_material,
            algorithm=self._signer.algorithm,
            headers={"kid": self._signer.kid},
        )

    def verify(self, token: str) -> Principal:
        """The principal a valid token names; ``Unauthenticated`` for anything else.

        A token that verified once is remembered with its expiry (a bounded map, cleared
        when full): the same client presents the same token on every request, and checking
        its signature and claims again gave the same answer each time (PyJWT checks the
        base64 alphabet character by character, twice per token: ~0.05 ms of CPU per
        request). The keys never change in a codec's lifetime; only the expiry moves, and
        it is compared on every hit. Whether the session is still live is the session
        check's business, on every request as before."""
        known = self._verified.get(token)
        if known is not None:
            principal, expires = known
            if time.time() < expires:
                return principal
            del self._verified[token]
        principal, expires = self._verify(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (principal, expires)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._verifying.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise Unauthenticated.invalid()
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm],
                options={"require": REQUIRED_CLAIMS},
            )
            session_id = claims["sid"]
            if not isinstance(session_id, str) or not session_id:
                raise Unauthenticated.invalid()
            principal = Principal(
                user_id=int(claims["sub"]), role=Role(claims["role"]), session_id=session_id
            )
            return principal, float(claims["exp"])
        except (jwt.PyJWTError, ValueError, TypeError):
            raise Unauthenticated.invalid() from None


def parse_authorization(header: str | None) -> str | None:
    """The token from ``Token <jwt>`` or ``Bearer <jwt>``; ``None`` when no header was sent.

    A header in any other shape is an invalid credential, not an anonymous request."""
    if header is None or not header.strip():
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() not in {"token", "bearer"} or not token.strip():
        raise Unauthenticated.invalid()
    return token.strip()
