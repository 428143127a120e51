"""The token signing keys ``settings`` choose: the HMAC secret (and the previous ones, which
only verify), or an Ed25519 key pair whose public half is published as a JWKS.

Each key is bound to one algorithm by its ``kid`` (``hs-…`` HMAC, ``ed-…`` Ed25519) and
verification uses only that algorithm with that key *object*: an Ed25519 public key is
never handed to HMAC as a secret, nor an HMAC secret to EdDSA, so algorithm confusion is
impossible by construction (``tests/unit/test_signing_keys.py`` shows the attacks fail)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from quillpress.config import ConfigurationError, Settings
from quillpress.infra.secrets import resolve_secret
from quillpress.infra.tokens import TokenCodec, VerifyingKey


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def ed25519_kid(public: Ed25519PublicKey) -> str:
    return "ed-" + hashlib.sha256(_raw(public)).hexdigest()[:16]


def load_ed25519(path: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise ConfigurationError(
            f"QUILLPRESS_JWT_PRIVATE_KEY_FILE={path!r} is not a readable PEM private key "
            f"({type(error).__name__}; accepted: an unencrypted Ed25519 key, e.g. from "
            "`openssl genpkey -algorithm ed25519`)"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(
            f"QUILLPRESS_JWT_PRIVATE_KEY_FILE={path!r} holds a {type(key).__name__}, "
            "not an Ed25519 key (accepted: `openssl genpkey -algorithm ed25519`)"
        )
    return key


def eddsa_signer(private: Ed25519PrivateKey) -> tuple[VerifyingKey, Any]:
    public = private.public_key()
    return VerifyingKey(kid=ed25519_kid(public), algorithm="EdDSA", key=public), private


def token_codec(settings: Settings, secret: str | None = None) -> TokenCodec:
    secret = secret if secret is not None else resolve_secret(settings)
    signing = None
    if settings.jwt_algorithm == "EdDSA":
        assert settings.jwt_private_key_file is not None  # Settings requires it
        signing = eddsa_signer(load_ed25519(settings.jwt_private_key_file))
    return TokenCodec(
        secret=secret,
        algorithm=settings.jwt_algorithm,
        lifetime_seconds=settings.token_lifetime_seconds,
        previous_secrets=settings.previous_secrets,
        signing=signing,
    )


def jwks(codec: TokenCodec) -> dict[str, Any]:
    """The public verifying keys as a JSON Web Key Set (RFC 7517, OKP keys per RFC 8037);
    HMAC secrets are never published."""
    keys = [
        {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64(_raw(key.key)),
            "kid": key.kid,
            "alg": "EdDSA",
            "use": "sig",
        }
        for key in codec.verifying_keys
        if key.algorithm == "EdDSA"
    ]
    return {"keys": keys}
