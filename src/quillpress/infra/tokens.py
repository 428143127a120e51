"""JWT issue and verification (PyJWT). Verification pins the algorithm and requires
every claim we issue, so ``alg: none``, a foreign key or a stripped claim all fail."""

from __future__ import annotations

import time
import uuid

import jwt

from quillpress.domain.auth import Principal, Role
from quillpress.domain.errors import Unauthenticated

REQUIRED_CLAIMS = ["sub", "role", "iat", "exp", "jti"]


class TokenCodec:
    def __init__(
        self, *, secret: str, algorithm: str = "HS256", lifetime_seconds: int = 86_400
    ) -> None:
        self._secret = secret
        self._algorithm = algorithm
        self._lifetime = lifetime_seconds

    def issue(self, *, user_id: int, role: str, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        claims = {
            "sub": str(user_id),
            "role": role,
            "iat": issued,
            "exp": issued + self._lifetime,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=self._algorithm)

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self._algorithm],
                options={"require": REQUIRED_CLAIMS},
            )
            return Principal(user_id=int(claims["sub"]), role=Role(claims["role"]))
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
