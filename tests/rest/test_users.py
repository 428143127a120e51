"""``POST /users``, ``POST /users/login``, ``GET /user`` and ``PUT /user``."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from quillpress.infra.tokens import TokenCodec
from tests.helpers import PASSWORD, auth, create_article, register

MISSING = {"errors": {"token": ["is missing"]}}
INVALID_TOKEN = {"errors": {"token": ["is invalid"]}}
BAD_CREDENTIALS = {"errors": {"credentials": ["invalid"]}}
USER_KEYS = {"email", "token", "username", "bio", "image"}
SIGN_IN_KEYS = USER_KEYS | {"refreshToken"}  # a sign-in also hands out a refresh token


def new_user(name: str = "ann", /, **overrides: Any) -> dict[str, Any]:
    user: dict[str, Any] = {
        "username": name,
        "email": f"{name}@example.com",
        "password": PASSWORD,
    }
    user.update(overrides)
    return user


async def post_user(client: httpx.AsyncClient, user: Any) -> httpx.Response:
    return await client.post("/api/users", json={"user": user})


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/users/login", json={"user": {"email": email, "password": password}}
    )


async def update(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> httpx.Response:
    return await client.put("/api/user", json={"user": fields}, headers=headers)


def signing_key(app: FastAPI) -> str:
    key: str = app.state.resources.settings.secret_key.get_secret_value()
    return key


def assert_no_secrets(response: httpx.Response, *passwords: str) -> None:
    body = response.text
    assert "$argon2" not in body
    assert "password" not in body.lower()
    for password in passwords:
        assert password not in body


# --- registration -------------------------------------------------------------------------


async def test_register_returns_201_with_the_user_envelope_and_a_token(
    client: httpx.AsyncClient,
) -> None:
    response = await post_user(client, new_user("ann"))
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    user = response.json()["user"]
    assert set(user) == SIGN_IN_KEYS
    assert user["username"] == "ann"
    assert user["email"] == "ann@example.com"
    assert user["bio"] is None
    assert user["image"] is None
    assert isinstance(user["token"], str)
    assert user["token"].count(".") == 2


async def test_registration_token_authenticates_as_the_new_user(
    client: httpx.AsyncClient,
) -> None:
    token = (await post_user(client, new_user("ann"))).json()["user"]["token"]
    response = await client.get("/api/user", headers=auth(token))
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "ann"


async def test_register_then_login_with_the_same_password(client: httpx.AsyncClient) -> None:
    await register(client, "ann")
    response = await login(client, "ann@example.com", PASSWORD)
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "ann"


async def test_register_with_both_taken_reports_both_fields(client: httpx.AsyncClient) -> None:
    await register(client, "ann")
    response = await post_user(client, new_user("ANN", email="Ann@Example.com"))
    assert response.status_code == 409
    assert response.json() == {
        "errors": {"username": ["has already been taken"], "email": ["has already been taken"]}
    }


async def test_register_without_a_user_object_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/users", json={})
    assert response.status_code == 422
    assert response.json() == {"errors": {"user": ["can't be blank"]}}


async def test_register_with_a_non_object_user_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/users", json={"user": "ann"})
    assert response.status_code == 422
    assert response.json() == {"errors": {"user": ["must be an object"]}}


@pytest.mark.parametrize("field", ["username", "email", "password"])
async def test_register_with_a_missing_field_is_422_keyed_by_it(
    client: httpx.AsyncClient, field: str
) -> None:
    user = new_user("ann")
    del user[field]
    response = await post_user(client, user)
    assert response.status_code == 422
    assert response.json() == {"errors": {field: ["can't be blank"]}}


@pytest.mark.parametrize("field", ["username", "email", "password"])
@pytest.mark.parametrize("blank", ["", "   ", None], ids=["empty", "spaces", "null"])
async def test_register_with_a_blank_field_is_422_cant_be_blank(
    client: httpx.AsyncClient, field: str, blank: str | None
) -> None:
    response = await post_user(client, new_user("ann", **{field: blank}))
    assert response.status_code == 422
    assert response.json() == {"errors": {field: ["can't be blank"]}}


async def test_register_with_everything_missing_reports_every_field(
    client: httpx.AsyncClient,
) -> None:
    response = await post_user(client, {})
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "username": ["can't be blank"],
            "email": ["can't be blank"],
            "password": ["can't be blank"],
        }
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [("username", 123), ("email", ["ann@example.com"]), ("password", 12345678)],
)
async def test_register_with_an_ill_typed_field_is_422_must_be_a_string(
    client: httpx.AsyncClient, field: str, value: Any
) -> None:
    response = await post_user(client, new_user("ann", **{field: value}))
    assert response.status_code == 422
    assert response.json() == {"errors": {field: ["must be a string"]}}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "is invalid"),
        ("username", "has space", "is invalid"),
        ("username", "x" * 41, "is too long (maximum is 40 characters)"),
        ("password", "short", "is too short (minimum is 8 characters)"),
    ],
)
async def test_register_with_an_ill_formed_field_is_422(
    client: httpx.AsyncClient, field: str, value: str, message: str
) -> None:
    response = await post_user(client, new_user("ann", **{field: value}))
    assert response.status_code == 422
    assert response.json() == {"errors": {field: [message]}}


async def test_register_with_invalid_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/users", content=b'{"user": {', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json() == {"errors": {"body": ["is not valid JSON"]}}


async def test_register_ignores_role_and_id_sent_by_the_client(
    client: httpx.AsyncClient,
) -> None:
    response = await post_user(client, new_user("mallory", role="admin", id=10**9))
    assert response.status_code == 201
    token = response.json()["user"]["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["role"] == "user"
    assert claims["sub"] != str(10**9)
    # And it has no admin power: it may not delete someone else's article.
    victim = await register(client, "victim")
    article = await create_article(client, victim)
    deleted = await client.delete(f"/api/articles/{article['slug']}", headers=auth(token))
    assert deleted.status_code == 403
    assert (await client.get(f"/api/articles/{article['slug']}")).status_code == 200


async def test_register_ignores_bio_and_image_sent_at_registration(
    client: httpx.AsyncClient,
) -> None:
    response = await post_user(client, new_user("ann", bio="hi", image="http://x/y.png"))
    assert response.status_code == 201
    assert response.json()["user"]["bio"] is None
    assert response.json()["user"]["image"] is None


# --- login --------------------------------------------------------------------------------


async def test_login_returns_200_with_the_user_and_a_working_token(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "ann")
    response = await login(client, "ann@example.com", PASSWORD)
    assert response.status_code == 200
    user = response.json()["user"]
    assert set(user) == SIGN_IN_KEYS
    assert (user["username"], user["email"]) == ("ann", "ann@example.com")
    me = await client.get("/api/user", headers=auth(user["token"]))
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "ann"


async def test_login_email_is_case_insensitive(client: httpx.AsyncClient) -> None:
    await register(client, "ann")
    response = await login(client, "ANN@Example.COM", PASSWORD)
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "ann@example.com"


async def test_login_password_is_case_sensitive(client: httpx.AsyncClient) -> None:
    await register(client, "ann")
    response = await login(client, "ann@example.com", PASSWORD.upper())
    assert response.status_code == 401
    assert response.json() == BAD_CREDENTIALS


async def test_login_failures_are_indistinguishable(client: httpx.AsyncClient) -> None:
    await register(client, "ann")
    unknown = await login(client, "nobody@example.com", PASSWORD)
    wrong = await login(client, "ann@example.com", "wrong-password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json() == BAD_CREDENTIALS
    assert unknown.content == wrong.content
    assert unknown.headers.get("www-authenticate") == wrong.headers.get("www-authenticate")


@pytest.mark.parametrize("field", ["email", "password"])
async def test_login_with_a_missing_field_is_422(client: httpx.AsyncClient, field: str) -> None:
    user = {"email": "ann@example.com", "password": PASSWORD}
    del user[field]
    response = await client.post("/api/users/login", json={"user": user})
    assert response.status_code == 422
    assert response.json() == {"errors": {field: ["can't be blank"]}}


async def test_login_with_blank_fields_is_422(client: httpx.AsyncClient) -> None:
    response = await login(client, "", "")
    assert response.status_code == 422
    assert response.json() == {
        "errors": {"email": ["can't be blank"], "password": ["can't be blank"]}
    }


# --- current user -------------------------------------------------------------------------


async def test_current_user_without_a_token_is_401_missing(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/user")
    assert response.status_code == 401
    assert response.json() == MISSING


async def test_current_user_with_an_empty_authorization_header_is_401_missing(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/user", headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.json() == MISSING


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "token", "bearer"])
async def test_current_user_accepts_token_and_bearer_schemes(
    client: httpx.AsyncClient, scheme: str
) -> None:
    headers = await register(client, "ann")
    token = headers["Authorization"].split(" ", 1)[1]
    response = await client.get("/api/user", headers=auth(token, scheme))
    assert response.status_code == 200
    user = response.json()["user"]
    assert set(user) == USER_KEYS
    assert user["username"] == "ann"
    assert user["token"] == token


@pytest.mark.parametrize(
    "header",
    [
        "Token garbage",
        "Bearer garbage",
        "Token a.b.c",
        "Token",
        "Bearer ",
        "Basic dXNlcjpwYXNzd29yZA==",
        "JWT abc",
    ],
)
async def test_current_user_with_a_garbage_or_malformed_header_is_401_invalid(
    client: httpx.AsyncClient, header: str
) -> None:
    response = await client.get("/api/user", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


async def test_current_user_with_a_bare_token_and_no_scheme_is_401_invalid(
    client: httpx.AsyncClient,
) -> None:
    headers = await register(client, "ann")
    bare = headers["Authorization"].split(" ", 1)[1]
    response = await client.get("/api/user", headers={"Authorization": bare})
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


async def test_current_user_with_an_expired_token_is_401_invalid(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    await register(client, "ann")
    lifetime = app.state.resources.settings.token_lifetime_seconds
    codec = TokenCodec(secret=signing_key(app), lifetime_seconds=lifetime)
    me = await login(client, "ann@example.com", PASSWORD)
    claims = jwt.decode(me.json()["user"]["token"], signing_key(app), ["HS256"])
    user_id, sid = int(claims["sub"]), claims["sid"]
    # Control: the same codec with a current timestamp is accepted by the app.
    fresh = codec.issue(user_id=user_id, role="user", session_id=sid)
    assert (await client.get("/api/user", headers=auth(fresh))).status_code == 200
    expired = codec.issue(
        user_id=user_id, role="user", session_id=sid, now=time.time() - lifetime - 60
    )
    response = await client.get("/api/user", headers=auth(expired))
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


async def test_current_user_with_an_alg_none_token_is_401_invalid(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await register(client, "ann")
    claims = jwt.decode(headers["Authorization"].split(" ", 1)[1], signing_key(app), ["HS256"])
    unsigned = jwt.encode({**claims, "role": "admin"}, key=None, algorithm="none")
    response = await client.get("/api/user", headers=auth(unsigned))
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


async def test_current_user_with_a_token_signed_by_another_key_is_401_invalid(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await register(client, "ann")
    claims = jwt.decode(headers["Authorization"].split(" ", 1)[1], signing_key(app), ["HS256"])
    forged = jwt.encode(claims, "a-different-secret-" + "y" * 40, algorithm="HS256")
    response = await client.get("/api/user", headers=auth(forged))
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


async def test_token_of_a_deleted_account_is_401_invalid(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await register(client, "ann")
    async with app.state.resources.database.engine.begin() as conn:
        await conn.execute(text("DELETE FROM app_user WHERE username = 'ann'"))
    response = await client.get("/api/user", headers=headers)
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


async def test_unauthorized_responses_carry_www_authenticate(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/user")
    assert response.headers["www-authenticate"] == "Token"


# --- update -------------------------------------------------------------------------------


async def test_update_without_a_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/user", json={"user": {"bio": "x"}})
    assert response.status_code == 401
    assert response.json() == MISSING


async def test_update_with_an_invalid_token_is_401(client: httpx.AsyncClient) -> None:
    response = await update(client, auth("garbage"), bio="x")
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


async def test_update_is_partial_omitted_fields_stay(client: httpx.AsyncClient) -> None:
    headers = await register(client, "ann")
    first = await update(client, headers, bio="I write", image="https://img.example/ann.png")
    assert first.status_code == 200
    second = await update(client, headers, bio="I write more")
    assert second.status_code == 200
    user = second.json()["user"]
    assert user == {
        "username": "ann",
        "email": "ann@example.com",
        "bio": "I write more",
        "image": "https://img.example/ann.png",
        "token": headers["Authorization"].split(" ", 1)[1],
    }
    # And it persisted, not just echoed.
    assert (await client.get("/api/user", headers=headers)).json()["user"] == user


async def test_update_with_an_empty_user_changes_nothing(client: httpx.AsyncClient) -> None:
    headers = await register(client, "ann")
    await update(client, headers, bio="kept")
    response = await update(client, headers)
    assert response.status_code == 200
    assert response.json()["user"]["bio"] == "kept"
    assert response.json()["user"]["username"] == "ann"


async def test_update_changes_username_and_email(client: httpx.AsyncClient) -> None:
    headers = await register(client, "ann")
    response = await update(client, headers, username="anna", email="anna@example.org")
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "anna"
    assert response.json()["user"]["email"] == "anna@example.org"
    assert (await client.get("/api/profiles/anna")).status_code == 200
    assert (await client.get("/api/profiles/ann")).status_code == 404
    assert (await login(client, "anna@example.org", PASSWORD)).status_code == 200
    assert (await login(client, "ann@example.com", PASSWORD)).status_code == 401


@pytest.mark.parametrize("field", ["bio", "image"])
@pytest.mark.parametrize("cleared", [None, "", "  "], ids=["null", "empty", "spaces"])
async def test_update_bio_and_image_accept_null_and_blank_as_null(
    client: httpx.AsyncClient, field: str, cleared: str | None
) -> None:
    headers = await register(client, "ann")
    await update(client, headers, **{field: "something"})
    response = await update(client, headers, **{field: cleared})
    assert response.status_code == 200
    assert response.json()["user"][field] is None
    assert (await client.get("/api/user", headers=headers)).json()["user"][field] is None


@pytest.mark.parametrize("field", ["username", "email"])
@pytest.mark.parametrize("value", [None, "", "   "], ids=["null", "empty", "spaces"])
async def test_update_username_or_email_to_null_or_blank_is_422(
    client: httpx.AsyncClient, field: str, value: str | None
) -> None:
    headers = await register(client, "ann")
    response = await update(client, headers, **{field: value})
    assert response.status_code == 422
    assert response.json() == {"errors": {field: ["can't be blank"]}}
    assert (await client.get("/api/user", headers=headers)).json()["user"]["username"] == "ann"


async def test_update_password_to_null_is_422(client: httpx.AsyncClient) -> None:
    headers = await register(client, "ann")
    response = await update(client, headers, password=None)
    assert response.status_code == 422
    assert response.json() == {"errors": {"password": ["can't be blank"]}}
    assert (await login(client, "ann@example.com", PASSWORD)).status_code == 200


async def test_update_with_an_ill_typed_field_is_422(client: httpx.AsyncClient) -> None:
    headers = await register(client, "ann")
    response = await update(client, headers, bio=5)
    assert response.status_code == 422
    assert response.json() == {"errors": {"bio": ["must be a string"]}}


async def test_update_with_an_invalid_email_is_422_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    headers = await register(client, "ann")
    response = await update(client, headers, email="nope", bio="not applied")
    assert response.status_code == 422
    assert response.json() == {"errors": {"email": ["is invalid"]}}
    assert (await client.get("/api/user", headers=headers)).json()["user"]["bio"] is None


async def test_changing_password_lets_you_log_in_with_the_new_one_only(
    client: httpx.AsyncClient,
) -> None:
    headers = await register(client, "ann")
    response = await update(client, headers, password="a-brand-new-password")
    assert response.status_code == 200
    assert_no_secrets(response, "a-brand-new-password", PASSWORD)
    assert (await login(client, "ann@example.com", "a-brand-new-password")).status_code == 200
    old = await login(client, "ann@example.com", PASSWORD)
    assert old.status_code == 401
    assert old.json() == BAD_CREDENTIALS


async def test_update_to_a_too_short_password_is_422_and_keeps_the_old_one(
    client: httpx.AsyncClient,
) -> None:
    headers = await register(client, "ann")
    response = await update(client, headers, password="short")
    assert response.status_code == 422
    assert response.json() == {"errors": {"password": ["is too short (minimum is 8 characters)"]}}
    assert (await login(client, "ann@example.com", PASSWORD)).status_code == 200


@pytest.mark.parametrize("taken", ["bob", "BOB"])
async def test_update_to_another_users_username_is_409(
    client: httpx.AsyncClient, taken: str
) -> None:
    headers = await register(client, "ann")
    await register(client, "bob")
    response = await update(client, headers, username=taken, bio="not applied")
    assert response.status_code == 409
    assert response.json() == {"errors": {"username": ["has already been taken"]}}
    user = (await client.get("/api/user", headers=headers)).json()["user"]
    assert (user["username"], user["bio"]) == ("ann", None)


@pytest.mark.parametrize("taken", ["bob@example.com", "Bob@EXAMPLE.com"])
async def test_update_to_another_users_email_is_409(client: httpx.AsyncClient, taken: str) -> None:
    headers = await register(client, "ann")
    await register(client, "bob")
    response = await update(client, headers, email=taken)
    assert response.status_code == 409
    assert response.json() == {"errors": {"email": ["has already been taken"]}}
    assert (await client.get("/api/user", headers=headers)).json()["user"]["email"] == (
        "ann@example.com"
    )


async def test_update_to_your_own_current_username_and_email_is_fine(
    client: httpx.AsyncClient,
) -> None:
    headers = await register(client, "ann")
    await register(client, "bob")  # another user exists, so the check has rows to consider
    response = await update(client, headers, username="ann", email="ann@example.com", bio="hi")
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "ann"
    assert response.json()["user"]["bio"] == "hi"


async def test_update_to_a_different_case_of_your_own_username_is_fine(
    client: httpx.AsyncClient,
) -> None:
    headers = await register(client, "ann")
    response = await update(client, headers, username="Ann", email="ANN@example.com")
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "Ann"
    assert response.json()["user"]["email"] == "ANN@example.com"


async def test_update_ignores_fields_a_client_may_not_set(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers = await register(client, "ann")
    response = await update(client, headers, role="admin", id=10**9, bio="hi")
    assert response.status_code == 200
    async with app.state.resources.database.engine.connect() as conn:
        row = (
            await conn.execute(text("SELECT id, role FROM app_user WHERE username = 'ann'"))
        ).one()
    assert row.role == "user"
    assert row.id != 10**9


async def test_token_keeps_working_after_a_username_change(client: httpx.AsyncClient) -> None:
    headers = await register(client, "ann")
    await update(client, headers, username="anna")
    response = await client.get("/api/user", headers=headers)
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "anna"


# --- secrets never leave ------------------------------------------------------------------


async def test_no_response_ever_contains_a_password_or_hash(client: httpx.AsyncClient) -> None:
    secret = "a-very-secret-passphrase"
    responses = [await post_user(client, new_user("ann", password=secret))]
    token = responses[0].json()["user"]["token"]
    headers = auth(token)
    responses.append(await login(client, "ann@example.com", secret))
    responses.append(await login(client, "ann@example.com", "wrong-password"))
    responses.append(await client.get("/api/user", headers=headers))
    responses.append(await update(client, headers, bio="hello"))
    responses.append(await update(client, headers, password="another-secret-phrase"))
    responses.append(await post_user(client, new_user("ann", password=secret)))
    responses.append(await client.get("/api/profiles/ann"))
    bob = await register(client, "bob")
    responses.append(await client.post("/api/profiles/ann/follow", headers=bob))
    article = await create_article(client, headers)
    responses.append(await client.get(f"/api/articles/{article['slug']}"))
    responses.append(await client.get("/api/articles"))
    for response in responses:
        assert response.status_code < 500, response.text
        assert_no_secrets(response, secret, "another-secret-phrase")
