"""Cookie mode's CSRF token: derived from the session, never drawn at random.

The token is ``HMAC-SHA256(key, session id)`` (base64url), where the key is itself an HMAC
of the signing secret with a label of its own, so a CSRF token can never be used as, or
reveal, a token signature or a refresh successor. Bound to the session, a token planted in
the browser (a sibling subdomain writing ``qp_csrf``, a cookie injected over plain HTTP)
is worth nothing: the server recomputes the one value it accepts. Nothing is stored, every
instance agrees, and a refresh (same session) keeps the token.

The previous secret keys (``QUILLPRESS_PREVIOUS_SECRET_KEYS``) are accepted as well, so
rotating the key leaves cookie sessions working exactly as it leaves their tokens valid."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Sequence

LABEL = b"quillpress csrf token"


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), LABEL, "sha256").digest()


def _token(key: bytes, session_id: str) -> str:
    digest = hmac.new(key, session_id.encode(), "sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class CsrfTokens:
    def __init__(self, secret: str, previous_secrets: Sequence[str] = ()) -> None:
        self._keys = [_key(value) for value in (secret, *previous_secrets)]

    def token(self, session_id: str) -> str:
        """The token of ``session_id`` under the current key (what ``qp_csrf`` carries)."""
        return _token(self._keys[0], session_id)

    def matches(self, session_id: str, presented: str) -> bool:
        """``presented`` is the session's token under the current or a previous key
        (compared in constant time)."""
        given = presented.encode()
        return any(
            hmac.compare_digest(_token(key, session_id).encode(), given) for key in self._keys
        )
