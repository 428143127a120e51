"""JWT issue and verification (infra/tokens.py) and the Authorization header parser."""

from __future__ import annotations

import base64
import time
from typing import Any

import jwt
import orjson
import pytest

from quillpress.domain.auth import Principal, Role
from quillpress.domain.errors import Unauthenticated
from quillpress.infra import tokens
from quillpress.infra.tokens import REQUIRED_CLAIMS, TokenCodec, hmac_kid, parse_authorization

SECRET = "unit-test-secret-" + "k" * 64  # long enough for HS512 too
LIFETIME = 3_600


@pytest.fixture
def codec() -> TokenCodec:
    return TokenCodec(secret=SECRET, lifetime_seconds=LIFETIME)


def valid_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "42",
        "role": "user",
        "iat": now,
        "exp": now + LIFETIME,
        "jti": "abc123",
        "sid": "session-1",
    }
    claims.update(overrides)
    return claims


def sign(claims: dict[str, Any], algorithm: str = "HS256") -> str:
    """A hand-built token signed with the codec's key and naming it (``kid``)."""
    return jwt.encode(claims, SECRET, algorithm=algorithm, headers={"kid": hmac_kid(SECRET)})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def assert_invalid(codec: TokenCodec, token: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        codec.verify(token)
    assert caught.value.fields == {"token": ["is invalid"]}


# --- round trip ---------------------------------------------------------------------------


def test_issued_token_verifies_to_the_same_principal(codec: TokenCodec) -> None:
    token = codec.issue(user_id=42, role="user", session_id="s-1")
    assert codec.verify(token) == Principal(user_id=42, role=Role.USER, session_id="s-1")


def test_admin_role_survives_the_round_trip(codec: TokenCodec) -> None:
    principal = codec.verify(codec.issue(user_id=1, role="admin"))
    assert principal.role is Role.ADMIN
    assert principal.is_admin


def test_issued_token_carries_every_required_claim_with_string_sub(codec: TokenCodec) -> None:
    issued_at = time.time()
    claims = jwt.decode(codec.issue(user_id=42, role="user", now=issued_at), SECRET, ["HS256"])
    assert set(REQUIRED_CLAIMS) <= set(claims)
    assert claims["sub"] == "42"
    assert claims["exp"] - claims["iat"] == LIFETIME
    assert claims["iat"] == int(issued_at)


def test_each_token_gets_a_unique_jti(codec: TokenCodec) -> None:
    first = jwt.decode(codec.issue(user_id=1, role="user"), SECRET, ["HS256"])
    second = jwt.decode(codec.issue(user_id=1, role="user"), SECRET, ["HS256"])
    assert first["jti"] != second["jti"]


def test_tokens_are_signed_with_hs256_by_default(codec: TokenCodec) -> None:
    header = jwt.get_unverified_header(codec.issue(user_id=1, role="user"))
    assert header["alg"] == "HS256"


# --- time ---------------------------------------------------------------------------------


def test_expired_token_is_rejected(codec: TokenCodec) -> None:
    token = codec.issue(user_id=1, role="user", now=time.time() - LIFETIME - 60)
    assert_invalid(codec, token)


def test_token_still_inside_its_lifetime_is_accepted(codec: TokenCodec) -> None:
    token = codec.issue(user_id=1, role="user", now=time.time() - LIFETIME + 600)
    assert codec.verify(token).user_id == 1


def test_token_issued_in_the_future_is_rejected(codec: TokenCodec) -> None:
    token = codec.issue(user_id=1, role="user", now=time.time() + 3_600)
    assert_invalid(codec, token)


# --- forgery ------------------------------------------------------------------------------


def test_token_signed_with_another_key_is_rejected(codec: TokenCodec) -> None:
    other = TokenCodec(secret="another-secret-" + "z" * 64, lifetime_seconds=LIFETIME)
    assert_invalid(codec, other.issue(user_id=1, role="user"))


def test_unsigned_alg_none_token_is_rejected(codec: TokenCodec) -> None:
    token = jwt.encode(valid_claims(), key=None, algorithm="none")
    assert jwt.get_unverified_header(token)["alg"] == "none"
    assert_invalid(codec, token)


def test_hand_built_alg_none_token_with_empty_signature_is_rejected(codec: TokenCodec) -> None:
    header = b64(orjson.dumps({"alg": "none", "typ": "JWT"}))
    payload = b64(orjson.dumps(valid_claims(role="admin")))
    assert_invalid(codec, f"{header}.{payload}.")


def test_other_hmac_algorithms_are_rejected_even_with_the_right_key(codec: TokenCodec) -> None:
    for algorithm in ("HS384", "HS512"):
        assert_invalid(codec, sign(valid_claims(), algorithm))


def test_algorithm_is_pinned_to_the_configured_one() -> None:
    hs512 = TokenCodec(secret=SECRET, algorithm="HS512")
    hs256 = TokenCodec(secret=SECRET, algorithm="HS256")
    assert hs512.verify(hs512.issue(user_id=5, role="user")).user_id == 5
    assert_invalid(hs256, hs512.issue(user_id=5, role="user"))
    assert_invalid(hs512, hs256.issue(user_id=5, role="user"))


def test_tampered_claims_are_rejected(codec: TokenCodec) -> None:
    header, _payload, signature = codec.issue(user_id=1, role="user").split(".")
    forged = b64(orjson.dumps(valid_claims(sub="1", role="admin")))
    assert_invalid(codec, f"{header}.{forged}.{signature}")


def test_tampered_signature_is_rejected(codec: TokenCodec) -> None:
    header, payload, signature = codec.issue(user_id=1, role="user").split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert_invalid(codec, f"{header}.{payload}.{flipped}")


def test_token_without_signature_segment_is_rejected(codec: TokenCodec) -> None:
    header, payload, _signature = codec.issue(user_id=1, role="user").split(".")
    assert_invalid(codec, f"{header}.{payload}.")


@pytest.mark.parametrize("garbage", ["", "garbage", "a.b.c", "a.b", "....", "Token abc"])
def test_garbage_is_rejected(codec: TokenCodec, garbage: str) -> None:
    assert_invalid(codec, garbage)


# --- claims -------------------------------------------------------------------------------


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_token_missing_a_required_claim_is_rejected(codec: TokenCodec, claim: str) -> None:
    claims = valid_claims()
    del claims[claim]
    assert_invalid(codec, sign(claims))


def test_required_claims_are_the_ones_we_issue() -> None:
    assert set(REQUIRED_CLAIMS) == {"sub", "role", "iat", "exp", "jti", "sid"}


def test_correctly_signed_hand_built_token_is_accepted(codec: TokenCodec) -> None:
    # The control for the claim tests below: the same shape, intact, verifies.
    assert codec.verify(sign(valid_claims())).user_id == 42


@pytest.mark.parametrize(
    "overrides",
    [
        {"sub": "not-a-number"},
        {"sub": ""},
        {"role": "superuser"},
        {"role": ""},
        {"exp": "tomorrow"},
    ],
    ids=["non-numeric-sub", "empty-sub", "unknown-role", "empty-role", "non-numeric-exp"],
)
def test_token_with_malformed_claims_is_rejected(
    codec: TokenCodec, overrides: dict[str, Any]
) -> None:
    assert_invalid(codec, sign(valid_claims(**overrides)))


def test_token_with_integer_sub_is_rejected(codec: TokenCodec) -> None:
    # PyJWT requires a string ``sub``; we issue strings, so an integer one is not ours.
    claims = valid_claims(sub=42)
    assert_invalid(codec, sign(claims))


# --- Authorization header -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Token abc.def.ghi", "abc.def.ghi"),
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("token abc.def.ghi", "abc.def.ghi"),
        ("BEARER abc.def.ghi", "abc.def.ghi"),
        ("  Token   abc.def.ghi  ", "abc.def.ghi"),
    ],
)
def test_parse_authorization_accepts_token_and_bearer_schemes(header: str, token: str) -> None:
    assert parse_authorization(header) == token


@pytest.mark.parametrize("header", [None, "", "   "])
def test_parse_authorization_treats_an_absent_or_empty_header_as_anonymous(
    header: str | None,
) -> None:
    assert parse_authorization(header) is None


@pytest.mark.parametrize(
    "header",
    ["abc.def.ghi", "Basic dXNlcjpwYXNz", "Token", "Bearer ", "Token    ", "JWT abc.def.ghi"],
)
def test_parse_authorization_rejects_other_shapes_as_invalid(header: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        parse_authorization(header)
    assert caught.value.fields == {"token": ["is invalid"]}


# --- a token verified once --------------------------------------------------------------


def test_a_remembered_token_still_expires(codec: TokenCodec) -> None:
    token = codec.issue(user_id=7, role="user", session_id="s-7", now=time.time() - LIFETIME + 1)
    assert codec.verify(token).user_id == 7  # verified and remembered
    assert codec.verify(token).user_id == 7  # answered from memory
    time.sleep(2.1)  # past its exp (whole seconds)
    with pytest.raises(Unauthenticated):
        codec.verify(token)


def test_a_rejected_token_is_never_remembered(codec: TokenCodec) -> None:
    token = codec.issue(user_id=7, role="user", session_id="s-7")
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            codec.verify(tampered)
    assert codec.verify(token).session_id == "s-7"


def test_the_memory_is_bounded(codec: TokenCodec, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "VERIFIED_CACHE_SIZE", 3)
    issued = [codec.issue(user_id=n, role="user", session_id=f"s-{n}") for n in range(1, 6)]
    assert [codec.verify(token).user_id for token in issued] == [1, 2, 3, 4, 5]
    assert len(codec._verified) <= 3
