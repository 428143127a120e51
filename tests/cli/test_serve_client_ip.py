"""The client IP the rate limits count, through a real ``quillpress serve``: a forged
``X-Forwarded-For`` changes nothing unless the peer is in ``QUILLPRESS_TRUSTED_PROXIES``
(uvicorn's own default would trust 127.0.0.1, i.e. every local client), and an untrusted
peer's header is reported once in the server's log, naming the setting."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from quillpress.cli.supervisor import proxy_options
from tests.cli.conftest import free_port
from tests.cli.test_serve_process import BANNER, server_env, started, wait_for
from tests.conftest import make_settings
from tests.helpers import PASSWORD

ACCOUNT = {"username": "ann", "email": "ann@example.com", "password": PASSWORD}


def _failed_logins_with_forged_addresses(base: str, count: int) -> list[int]:
    statuses = []
    with httpx.Client(base_url=base, timeout=10) as http:
        assert http.post("/api/users", json={"user": ACCOUNT}).status_code == 201
        for n in range(count):
            response = http.post(
                "/api/users/login",
                json={"user": {"email": ACCOUNT["email"], "password": "wrong"}},
                headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
            )
            statuses.append(response.status_code)
    return statuses


def _serve(directory: Path, trusted: str) -> tuple[list[str], dict[str, str], int]:
    port = free_port()
    command = [sys.executable, "-m", "quillpress", "serve", "--port", str(port)]
    env = {**server_env(directory), "QUILLPRESS_TRUSTED_PROXIES": trusted}
    return command, env, port


def test_a_forged_forwarded_for_does_not_change_the_client_ip(cli_env: Path) -> None:
    command, env, port = _serve(cli_env, "")
    log = cli_env / "serve.log"
    with started(command, env, log) as server:
        wait_for(log, BANNER.format(port=port), server)
        statuses = _failed_logins_with_forged_addresses(f"http://127.0.0.1:{port}", 11)
    # every attempt came from 127.0.0.1, whatever the header claimed
    assert statuses == [401] * 10 + [429], log.read_text()
    warned = [line for line in log.read_text().splitlines() if "QUILLPRESS_TRUSTED_PROXIES" in line]
    assert len(warned) == 1, log.read_text()  # once, not per request


def test_a_trusted_proxy_has_its_forwarded_for_honoured(cli_env: Path) -> None:
    command, env, port = _serve(cli_env, "127.0.0.1")
    log = cli_env / "serve.log"
    with started(command, env, log) as server:
        wait_for(log, BANNER.format(port=port), server)
        base = f"http://127.0.0.1:{port}"
        statuses = _failed_logins_with_forged_addresses(base, 11)
        with httpx.Client(base_url=base, timeout=10) as http:
            signed_in = http.post(
                "/api/users/login",
                json={"user": {"email": ACCOUNT["email"], "password": PASSWORD}},
                headers={"X-Forwarded-For": "198.51.100.77"},
            )
            token = signed_in.json()["user"]["token"]
            sessions = http.get("/api/user/sessions", headers={"Authorization": f"Token {token}"})
    assert statuses == [401] * 11, log.read_text()  # eleven addresses, one failure each
    assert "QUILLPRESS_TRUSTED_PROXIES" not in log.read_text()
    assert "198.51.100.77" in {session["ip"] for session in sessions.json()["sessions"]}


def test_serve_turns_uvicorns_proxy_headers_off_without_trusted_proxies() -> None:
    settings = make_settings("sqlite:///unused.db")
    assert proxy_options(settings) == {"proxy_headers": False, "forwarded_allow_ips": ""}
    trusted = make_settings("sqlite:///unused.db", trusted_proxies="10.0.0.0/8, 192.0.2.1")
    assert proxy_options(trusted) == {
        "proxy_headers": True,
        "forwarded_allow_ips": "10.0.0.0/8,192.0.2.1",
    }
