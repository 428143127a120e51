"""Key rotation and EdDSA through the API: rotating the signing key signs nobody out, and
``/.well-known/jwks.json`` publishes the Ed25519 key that verifies the tokens."""

from __future__ import annotations

from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import TEST_SECRET, make_settings
from tests.helpers import register, serve

NEW_SECRET = "rotated-secret-0123456789-ABCDEFGHIJKLMNOPQRSTUV"


async def test_a_rotated_key_keeps_its_tokens_valid_and_dropping_it_ends_them(
    client: httpx.AsyncClient, database_url: str
) -> None:
    headers = await register(client, "ann")  # signed with TEST_SECRET
    rotated = make_settings(database_url, secret_key=NEW_SECRET, previous_secret_keys=TEST_SECRET)
    async with serve(rotated) as (_app, after):
        assert (await after.get("/api/user", headers=headers)).status_code == 200
        fresh = await register(after, "bob")
    dropped = make_settings(database_url, secret_key=NEW_SECRET)
    async with serve(dropped) as (_app, later):
        assert (await later.get("/api/user", headers=headers)).status_code == 401
        assert (await later.get("/api/user", headers=fresh)).status_code == 200


async def test_eddsa_tokens_verify_with_the_published_jwks(
    database_url: str, tmp_path: Path, client: httpx.AsyncClient
) -> None:
    key_file = tmp_path / "ed25519.pem"
    key_file.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings = make_settings(
        database_url, jwt_algorithm="EdDSA", jwt_private_key_file=str(key_file)
    )
    async with serve(settings) as (_app, eddsa):
        headers = await register(eddsa, "ann")
        token = headers["Authorization"].removeprefix("Token ")
        assert (await eddsa.get("/api/user", headers=headers)).status_code == 200
        published = (await eddsa.get("/.well-known/jwks.json")).json()
    (key,) = published["keys"]
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "typ": "JWT", "kid": key["kid"]}
    assert jwt.decode(token, jwt.PyJWK(key).key, algorithms=["EdDSA"])["sub"]
    assert (await client.get("/.well-known/jwks.json")).json() == {"keys": []}  # HMAC app
