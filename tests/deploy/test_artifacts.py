"""The deployment artifacts: the validators ``make validate-deploy`` runs reject a broken
file (so that gate can fail), and what no schema knows is pinned here: the files agree
with the code (setting names, probe paths, the image's user, the shutdown budget) and
with each other (nginx's upstream is compose's replicas; nginx accepts its config)."""

from __future__ import annotations

import ipaddress
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from quillpress.config import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
K8S = ROOT / "deploy" / "k8s"
SETTINGS = {ENV_PREFIX + name.upper() for name in Settings.model_fields}


def run(tool: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (the dev extra's own tools)
        [str(BIN / tool), *map(str, args)], capture_output=True, text=True, timeout=120
    )


def k8s(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((K8S / name).read_text())
    return document


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return document


# --- the validators fail on broken files -----------------------------------------------


def test_hadolint_rejects_an_unpinned_root_image_and_refuses_inline_ignores(
    tmp_path: Path,
) -> None:
    assert run("hadolint", "--disable-ignore-pragma", ROOT / "Dockerfile").returncode == 0
    broken = tmp_path / "Dockerfile"
    broken.write_text(
        "# hadolint ignore=DL3007\nFROM python:latest\nRUN pip install quillpress\n"
        'CMD ["quillpress", "serve"]\n'
    )
    result = run("hadolint", "--disable-ignore-pragma", broken)
    assert result.returncode == 1
    assert "DL3007" in result.stdout  # the ignore comment does not count
    assert "DL3013" in result.stdout


@pytest.mark.parametrize(
    ("schema", "path", "breakage"),
    [
        (
            "vendor.compose-spec",
            "compose.yaml",
            ("condition: service_completed_successfully", "condition: finished"),
        ),
        ("vendor.github-workflows", ".github/workflows/ci.yaml", ("runs-on:", "runs_on:")),
    ],
    ids=["compose", "workflow"],
)
def test_check_jsonschema_rejects_a_broken_file(
    tmp_path: Path, schema: str, path: str, breakage: tuple[str, str]
) -> None:
    source = (ROOT / path).read_text()
    assert run("check-jsonschema", "--builtin-schema", schema, ROOT / path).returncode == 0
    broken = tmp_path / Path(path).name
    broken.write_text(source.replace(*breakage))
    result = run("check-jsonschema", "--builtin-schema", schema, broken)
    assert result.returncode == 1, result.stdout
    assert "Schema validation errors" in result.stdout


def test_kubernetes_validate_rejects_an_unknown_field_and_a_wrong_type(tmp_path: Path) -> None:
    source = (K8S / "deployment.yaml").read_text()
    typo = tmp_path / "typo.yaml"
    typo.write_text(source.replace("  replicas: 2", "  replica: 2"))
    wrong_type = tmp_path / "wrong-type.yaml"
    wrong_type.write_text(source.replace("containerPort: 8000", "containerPort: http"))
    for broken in (typo, wrong_type):
        result = run("kubernetes-validate", "--strict", "--quiet", "-k", "1.34.0", broken)
        assert result.returncode == 1, (broken.name, result.stdout)


# --- what no schema knows ----------------------------------------------------------------


def test_every_quillpress_variable_in_the_artifacts_is_a_real_setting() -> None:
    texts = [
        (ROOT / "compose.yaml").read_text(),
        (ROOT / "Dockerfile").read_text(),
        *(path.read_text() for path in K8S.glob("*.yaml")),
    ]
    named = {name for text in texts for name in re.findall(r"\bQUILLPRESS_[A-Z0-9_]+", text)}
    assert named - SETTINGS - {"QUILLPRESS_IMAGE"} == set()
    assert set(k8s("configmap.yaml")["data"]) <= SETTINGS


def test_the_deployment_probes_health_runs_as_the_image_user_and_reads_the_secret() -> None:
    pod = k8s("deployment.yaml")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"USER {pod['securityContext']['runAsUser']}:" in dockerfile
    secrets = {
        entry["valueFrom"]["secretKeyRef"]["name"]
        for entry in container["env"]
        if "secretKeyRef" in entry.get("valueFrom", {})
    }
    assert secrets == {"quillpress-secrets"}
    assert "--no-migrate" in container["args"]
    assert k8s("migrate-job.yaml")["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "db",
        "upgrade",
    ]


def test_the_shutdown_timeout_fits_in_the_kill_grace_with_the_pre_stop_pause() -> None:
    pod = k8s("deployment.yaml")["spec"]["template"]["spec"]
    pause = int(pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][1])
    timeout = int(k8s("configmap.yaml")["data"]["QUILLPRESS_SHUTDOWN_TIMEOUT_SECONDS"])
    assert pause + timeout < pod["terminationGracePeriodSeconds"]
    app = compose()["services"]["app-1"]
    assert int(app["environment"]["QUILLPRESS_SHUTDOWN_TIMEOUT_SECONDS"]) < int(
        app["stop_grace_period"].removesuffix("s")
    )


def test_compose_replicas_wait_for_the_migration_and_nginx_balances_exactly_them() -> None:
    services = compose()["services"]
    replicas = sorted(name for name in services if name.startswith("app-"))
    assert len(replicas) == 2
    for name in replicas:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"] == ["db", "upgrade"]
    nginx = (ROOT / "deploy" / "compose" / "nginx.conf").read_text()
    upstream = re.findall(r"^\s*server (\S+):8000", nginx, flags=re.MULTILINE)
    assert sorted(upstream) == replicas


def test_every_shipped_deployment_names_its_proxy_in_trusted_proxies() -> None:
    """Behind nginx or an ingress, the client address comes from ``X-Forwarded-For`` only
    if the proxy is trusted: compose trusts nginx's fixed address in the network it
    declares (not the gateway, through which the host's clients arrive), Kubernetes
    cannot start a pod without the value, and the local cluster trusts its nginx on
    loopback."""
    document = compose()
    [pool] = document["networks"]["default"]["ipam"]["config"]
    subnet = ipaddress.ip_network(pool["subnet"])
    services = document["services"]
    nginx = ipaddress.ip_address(services["nginx"]["networks"]["default"]["ipv4_address"])
    assert nginx in subnet
    for name in ("app-1", "app-2"):
        trusted = services[name]["environment"]["QUILLPRESS_TRUSTED_PROXIES"]
        assert Settings(trusted_proxies=trusted).trusted_proxies == [str(nginx)]
        assert next(subnet.hosts()) != nginx  # the gateway is not trusted

    value = k8s("configmap.yaml")["data"]["QUILLPRESS_TRUSTED_PROXIES"]
    assert Settings(trusted_proxies=value).trusted_proxies  # a valid, non-empty example
    (container,) = k8s("deployment.yaml")["spec"]["template"]["spec"]["containers"]
    [required] = [e for e in container["env"] if e["name"] == "QUILLPRESS_TRUSTED_PROXIES"]
    assert required["valueFrom"]["configMapKeyRef"] == {
        "name": "quillpress-config",
        "key": "QUILLPRESS_TRUSTED_PROXIES",
        "optional": False,
    }

    up = (ROOT / "deploy" / "local" / "up.sh").read_text()
    assert "export QUILLPRESS_TRUSTED_PROXIES=127.0.0.1\n" in up
    upstreams = re.findall(r'echo "\s*server (\S+):\$port', up)
    assert upstreams == ["127.0.0.1"]  # nginx reaches the instances over loopback
    assert "listen 127.0.0.1:$NGINX_PORT" in up


def test_nginx_accepts_the_compose_config(tmp_path: Path) -> None:
    """``nginx -t`` on the real file, inside a minimal main config; the replicas' names
    only resolve inside compose's network, so they point at localhost here."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    server = (ROOT / "deploy" / "compose" / "nginx.conf").read_text()
    (tmp_path / "server.conf").write_text(re.sub(r"app-\d", "127.0.0.1", server))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}; "
        f"proxy_temp_path {tmp_path}; include {tmp_path}/server.conf; }}\n"
    )
    result = subprocess.run(  # noqa: S603 (the system's nginx)
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


# --- compose: secrets, one image, an nginx that answers ----------------------------------

APP_SERVICES = ("migrate", "app-1", "app-2")


def required_variables(text: str) -> set[str]:
    """Variables compose refuses to start without (``${NAME:?message}``)."""
    return set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))


def test_compose_has_no_default_database_password_and_env_example_makes_one() -> None:
    text = (ROOT / "compose.yaml").read_text()
    assert "POSTGRES_PASSWORD" in text
    assert not re.findall(r"\$\{POSTGRES_PASSWORD(?!:\?)", text), "every use is required"
    assert required_variables(text) == {"POSTGRES_PASSWORD", "QUILLPRESS_SECRET_KEY"}
    services = compose()["services"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${POSTGRES_PASSWORD:?"
    )

    # .env.example's command writes exactly the values compose requires, each usable.
    (command,) = [
        line.removeprefix("#   ")
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line.startswith("#   python3 -c") and line.endswith(">> .env")
    ]
    code = shlex.split(command)[2]
    printed = subprocess.run(  # noqa: S603 (the documented command, with this interpreter)
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    values = dict(line.split("=", 1) for line in printed.splitlines())
    assert set(values) == required_variables(text)
    assert re.fullmatch(r"[0-9a-f]{48}", values["POSTGRES_PASSWORD"])  # safe inside a URL
    key = values["QUILLPRESS_SECRET_KEY"]
    assert Settings(env="production", secret_key=key).secret_key is not None
    assert len(key) >= 32


def test_the_migration_gets_the_database_but_not_the_signing_key() -> None:
    services = compose()["services"]
    migrate = services["migrate"]["environment"]
    assert set(migrate) == {"QUILLPRESS_ENV", "QUILLPRESS_DATABASE_URL"}
    for name in ("app-1", "app-2"):
        replica = services[name]["environment"]
        assert replica["QUILLPRESS_SECRET_KEY"].startswith("${QUILLPRESS_SECRET_KEY:?")
        assert replica["QUILLPRESS_DATABASE_URL"] == migrate["QUILLPRESS_DATABASE_URL"]


def test_the_app_services_share_one_image_built_once() -> None:
    services = compose()["services"]
    images = {services[name]["image"] for name in APP_SERVICES}
    assert images == {"${QUILLPRESS_IMAGE:-quillpress:local}"}
    builders = [name for name, service in services.items() if "build" in service]
    assert builders == ["migrate"]  # the replicas run the image migrate built


def test_nginx_healthcheck_asks_nginx_itself(tmp_path: Path) -> None:
    """The healthcheck fetches a path nginx answers itself (not ``nginx -t``, which passes
    for a stopped server); run nginx on the real file and ask that path."""
    test = compose()["services"]["nginx"]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "curl"]
    url = test[-1]
    assert url.startswith("http://127.0.0.1/")
    path = url.removeprefix("http://127.0.0.1")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = (ROOT / "deploy" / "compose" / "nginx.conf").read_text()
    assert "listen 80;" in server
    server = server.replace("listen 80;", f"listen 127.0.0.1:{port};")
    (tmp_path / "server.conf").write_text(re.sub(r"app-\d", "127.0.0.1", server))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\ndaemon off;\n"
        "master_process off;\nevents {}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}; "
        f"proxy_temp_path {tmp_path}; include {tmp_path}/server.conf; }}\n"
    )
    process = subprocess.Popen(  # noqa: S603 (the system's nginx)
        [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nginx did not start: {(tmp_path / 'error.log').read_text()}")
                time.sleep(0.05)
        assert response.status_code == 200
        assert response.text == "ok\n"
    finally:
        process.terminate()
        process.wait(timeout=10)
