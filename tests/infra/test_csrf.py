"""``infra.csrf``: the CSRF token is derived from the session id with a key of its own
(both HMAC-SHA256), so the server checks a presented token against what it derives."""

from __future__ import annotations

import base64
import hashlib
import hmac

from quillpress.infra.csrf import CsrfTokens

SECRET = "current-secret-0123456789-abcdefghijklmnop"
OLD = "previous-secret-0123456789-abcdefghijklmno"


def documented(secret: str, session_id: str) -> str:
    """The derivation as the README states it."""
    key = hmac.new(secret.encode(), b"quillpress csrf token", hashlib.sha256).digest()
    digest = hmac.new(key, session_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_the_token_is_an_hmac_of_the_session_id_under_a_derived_key() -> None:
    tokens = CsrfTokens(SECRET)
    assert tokens.token("sid-1") == documented(SECRET, "sid-1")
    assert tokens.matches("sid-1", documented(SECRET, "sid-1"))


def test_another_sessions_token_or_another_secrets_does_not_match() -> None:
    tokens = CsrfTokens(SECRET)
    assert not tokens.matches("sid-1", tokens.token("sid-2"))
    assert not tokens.matches("sid-1", documented(OLD, "sid-1"))
    assert not tokens.matches("sid-1", "")
    assert not tokens.matches("sid-1", "é")  # not ASCII: refused, not an error


def test_the_derived_key_is_neither_the_secret_nor_the_jwt_key() -> None:
    """A CSRF token is not a signature anyone could reuse: the plain HMAC of the session
    id under the signing secret is not accepted."""
    plain = hmac.new(SECRET.encode(), b"sid-1", hashlib.sha256).digest()
    assert not CsrfTokens(SECRET).matches("sid-1", base64.urlsafe_b64encode(plain).decode())


def test_tokens_from_before_a_key_rotation_still_match() -> None:
    rotated = CsrfTokens(SECRET, [OLD])
    assert rotated.matches("sid-1", documented(OLD, "sid-1"))
    assert rotated.token("sid-1") == documented(SECRET, "sid-1")  # new ones use the new key
