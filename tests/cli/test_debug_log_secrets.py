"""With logging at DEBUG and every SQL statement echoed, a full session of a real
``quillpress serve`` (register, login, cookie mode with a CSRF-checked write, refresh by
body and by cookie, a password change, an article, GraphQL's login, logout) writes no
token, password, password hash, cookie value, Authorization header or secret key to
its output: all of it, uvicorn's, SQLAlchemy's and the app's, captured together."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from quillpress.db.models import AppUser
from tests.cli import db
from tests.cli.conftest import free_port, sqlite_url
from tests.cli.test_serve_process import BANNER, server_env, started, wait_for
from tests.conftest import TEST_SECRET
from tests.secret_scan import Secrets

FIRST_PASSWORD = "first-passphrase-7Qk2"
SECOND_PASSWORD = "second-passphrase-9Wm4"
EMAIL = "ann@example.com"


def _user(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


def _tokens(secrets: Secrets, source: str, payload: dict[str, Any]) -> str:
    """Register the token and refresh token of a sign-in; returns the token."""
    secrets.add(f"access token from {source}", payload["token"])
    secrets.add(f"refresh token from {source}", payload["refreshToken"])
    secrets.add(f"Authorization header from {source}", f"Token {payload['token']}")
    return str(payload["token"])


def _cookies(secrets: Secrets, source: str, response: httpx.Response) -> None:
    assert response.cookies, f"{source} set no cookie"
    for name, value in response.cookies.items():
        secrets.add(f"cookie {name} from {source}", value)


def run_flow(http: httpx.Client, secrets: Secrets, origin: str) -> None:
    signup = {"username": "ann", "email": EMAIL, "password": FIRST_PASSWORD}
    registered = _user(http.post("/api/users", json={"user": signup}), 201)
    _tokens(secrets, "register", registered)

    login = {"user": {"email": EMAIL, "password": FIRST_PASSWORD}}
    token = _tokens(secrets, "login", _user(http.post("/api/users/login", json=login)))
    bearer = {"Authorization": f"Token {token}"}

    cookie_login = http.post("/api/users/login?session=cookie", json=login)
    _user(cookie_login)
    _cookies(secrets, "cookie login", cookie_login)
    csrf = {"X-CSRF-Token": http.cookies["qp_csrf"], "Origin": origin}
    bio = {"user": {"bio": "written with a cookie"}}
    assert _user(http.put("/api/user", json=bio, headers=csrf))["bio"] == "written with a cookie"
    by_cookie = http.post("/api/users/refresh", headers=csrf)  # the path-scoped cookie
    assert by_cookie.status_code == 200, by_cookie.text
    _cookies(secrets, "cookie refresh", by_cookie)
    http.cookies.clear()  # the browser leaves; the rest is a header-token client

    by_body = http.post("/api/users/refresh", json={"refreshToken": registered["refreshToken"]})
    token = _tokens(secrets, "refresh", _user(by_body))
    bearer = {"Authorization": f"Token {token}"}

    new_password = {"user": {"password": SECOND_PASSWORD}}
    assert http.put("/api/user", json=new_password, headers=bearer).status_code == 200
    article = {"title": "Quiet logs", "description": "d", "body": "b", "tagList": ["ops"]}
    created = http.post("/api/articles", json={"article": article}, headers=bearer)
    assert created.status_code == 201, created.text

    mutation = "mutation($i: LoginInput!) { login(input: $i) { token refreshToken } }"
    variables = {"i": {"email": EMAIL, "password": SECOND_PASSWORD}}
    answer = http.post("/graphql", json={"query": mutation, "variables": variables})
    assert answer.status_code == 200, answer.text
    _tokens(secrets, "GraphQL login", answer.json()["data"]["login"])

    assert http.post("/api/users/logout", headers=bearer).status_code == 204
    assert http.get("/api/user", headers=bearer).status_code == 401  # it really logged out


@pytest.mark.parametrize("mode", ["development", "production"])
def test_a_full_session_at_debug_with_sql_echo_logs_no_secret(cli_env: Path, mode: str) -> None:
    port = free_port()
    log = cli_env / "serve.log"
    env = {
        **server_env(cli_env),
        "QUILLPRESS_ENV": mode,
        "QUILLPRESS_LOG_LEVEL": "DEBUG",
        "QUILLPRESS_DATABASE_ECHO": "true",
        # Plain-http test client: cookies without Secure (and so without __Host-).
        "QUILLPRESS_COOKIE_SECURE": "false",
    }
    secrets = Secrets()
    secrets.add("QUILLPRESS_SECRET_KEY", TEST_SECRET)
    for password in (FIRST_PASSWORD, SECOND_PASSWORD):
        secrets.add("a password used", password)
    command = [sys.executable, "-m", "quillpress", "serve", "--port", str(port)]
    origin = f"http://127.0.0.1:{port}"
    with started(command, env, log) as server:
        wait_for(log, BANNER.format(port=port), server)
        with httpx.Client(base_url=origin, timeout=30) as http:
            run_flow(http, secrets, origin)
        (password_hash,) = db.rows(sqlite_url(cli_env / "serve.db"), select(AppUser.password_hash))
        secrets.add("the stored password hash", password_hash[0])
        server.terminate()
        assert server.wait(timeout=60) == 0
    output = log.read_text(errors="replace")
    # The capture is real: DEBUG lines, the SQL echo and uvicorn's own lines are in it.
    assert "INSERT INTO app_user" in output
    assert "UPDATE app_user SET" in output  # the password change went through the echo
    assert ("[debug" if mode == "development" else '"level":"debug"') in output
    assert "Finished server process" in output  # uvicorn
    assert secrets.leaks(output) == []
