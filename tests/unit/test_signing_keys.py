"""Key rotation, Ed25519 signing and the JWKS; algorithm confusion between HMAC and EdDSA
keys fails by construction (each ``kid`` is bound to one algorithm and one key object)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from quillpress.config import ConfigurationError, Settings
from quillpress.domain.errors import Unauthenticated
from quillpress.infra.signing_keys import jwks, token_codec
from quillpress.infra.tokens import TokenCodec, hmac_kid

OLD = "old-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
NEW = "new-secret-0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def claims() -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "7", "role": "admin", "iat": now, "exp": now + 600, "jti": "j", "sid": "s"}


def assert_invalid(codec: TokenCodec, token: str) -> None:
    with pytest.raises(Unauthenticated):
        codec.verify(token)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "ed25519.pem"
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def eddsa_settings(key_file: Path, **extra: Any) -> Settings:
    return Settings(
        secret_key=NEW, jwt_algorithm="EdDSA", jwt_private_key_file=str(key_file), **extra
    )


def test_a_rotated_key_still_verifies_tokens_it_signed_but_never_signs() -> None:
    before = token_codec(Settings(secret_key=OLD))
    after = token_codec(Settings(secret_key=NEW, previous_secret_keys=f"{OLD}, unrelated-key"))
    old_token = before.issue(user_id=1, role="user", session_id="s")
    assert after.verify(old_token).user_id == 1
    new_token = after.issue(user_id=1, role="user", session_id="s")
    assert jwt.get_unverified_header(new_token)["kid"] == hmac_kid(NEW)
    assert_invalid(before, new_token)  # the old key alone does not know the new one
    # Once the previous key is dropped, its tokens are refused.
    assert_invalid(token_codec(Settings(secret_key=NEW)), old_token)


def test_an_unknown_or_missing_kid_is_refused() -> None:
    codec = token_codec(Settings(secret_key=NEW))
    assert_invalid(codec, jwt.encode(claims(), NEW, algorithm="HS256"))
    assert_invalid(codec, jwt.encode(claims(), NEW, algorithm="HS256", headers={"kid": "x"}))


def test_eddsa_signs_with_ed25519_and_publishes_only_the_public_key(key_file: Path) -> None:
    codec = token_codec(eddsa_settings(key_file))
    token = codec.issue(user_id=3, role="user", session_id="s")
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    (published,) = jwks(codec)["keys"]
    assert published["kid"] == header["kid"]
    assert set(published) == {"kty", "crv", "x", "kid", "alg", "use"}
    # Another service verifies with the JWKS alone, no secret.
    public = jwt.PyJWK(published).key
    assert jwt.decode(token, public, algorithms=["EdDSA"])["sub"] == "3"
    assert jwks(token_codec(Settings(secret_key=NEW))) == {"keys": []}  # HMAC: nothing


def test_hmac_tokens_issued_before_switching_to_eddsa_still_verify(key_file: Path) -> None:
    before = token_codec(Settings(secret_key=NEW)).issue(user_id=1, role="user", session_id="s")
    assert token_codec(eddsa_settings(key_file)).verify(before).user_id == 1


def test_alg_confusion_hs256_signed_with_the_public_key_is_refused(key_file: Path) -> None:
    """The classic attack: take the published public key, use it as an HMAC secret, and
    name the Ed25519 key's kid. The kid's key verifies only EdDSA, so it fails."""
    codec = token_codec(eddsa_settings(key_file))
    published = jwks(codec)["keys"][0]
    raw_public = base64.urlsafe_b64decode(published["x"] + "==")
    pem_public = jwt.PyJWK(published).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for secret in (raw_public, pem_public, published["x"].encode()):
        assert_invalid(codec, _hs256(secret, published["kid"]))


def _hs256(secret: bytes, kid: str) -> str:
    """An HS256 token built by hand (PyJWT itself refuses PEM-looking HMAC secrets)."""
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    segments = [
        base64.urlsafe_b64encode(json.dumps(part, separators=(",", ":")).encode()).rstrip(b"=")
        for part in (header, claims())
    ]
    signing_input = b".".join(segments)
    signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


def test_alg_confusion_eddsa_named_with_an_hmac_kid_is_refused(key_file: Path) -> None:
    """The other direction: an EdDSA token (signed by some Ed25519 key) naming the HMAC
    key's kid is checked as HS256 only, and fails."""
    codec = token_codec(eddsa_settings(key_file))
    attacker = Ed25519PrivateKey.generate()
    forged = jwt.encode(claims(), attacker, algorithm="EdDSA", headers={"kid": hmac_kid(NEW)})
    assert_invalid(codec, forged)
    # And "none" under any kid.
    unsigned = jwt.encode(claims(), None, algorithm="none", headers={"kid": hmac_kid(NEW)})
    assert_invalid(codec, unsigned)


def test_eddsa_without_a_key_file_or_with_a_bad_one_is_a_configuration_error(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError, match="JWT_PRIVATE_KEY_FILE"):
        Settings(secret_key=NEW, jwt_algorithm="EdDSA")
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    with pytest.raises(ConfigurationError, match="not a readable PEM private key"):
        token_codec(eddsa_settings(bad))
