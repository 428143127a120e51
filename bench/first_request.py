"""From ``git clone`` to the first answered request, the way a newcomer meets the project.

Each round clones the repository into a fresh temporary directory, runs ``make run`` there
with every download cache disabled (``PIP_NO_CACHE_DIR=1``, ``UV_NO_CACHE=1``: the packages
come from the index, as on a new machine), and times the first ``GET /api/articles`` that
answers 200, counted from the start of ``make run``. The clone itself is not counted. It
prints each round and the median, with the CPU seconds ``make run`` used (every process
it started, up to the server's stop): on an idle machine the wall time is about that
plus the downloads, on a busy one the wall time grows with the wait for a core. Standard
library only: it runs before any virtualenv.

    python3 bench/first_request.py            # 3 rounds of this checkout's HEAD
    python3 bench/first_request.py --rounds 5 --repo /path/to/clone

Needs the package index (PyPI) to be reachable. Not a test: the figure depends on the
network and on what else the machine is doing (say which when you quote it)."""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answered(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/articles", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def one_round(repo: str, keep_log: Path) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="quillpress-clone-") as directory:
        clone = Path(directory) / "quillpress"
        subprocess.run(["git", "clone", "--quiet", repo, str(clone)], check=True)
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("QUILLPRESS_", "UV_"))},
            "PIP_NO_CACHE_DIR": "1",
            "UV_NO_CACHE": "1",
        }
        with keep_log.open("wb") as log:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.monotonic()
            make = subprocess.Popen(
                ["make", "run", f"PORT={port}"],
                cwd=clone,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                while not answered(port):
                    if make.poll() is not None:
                        raise SystemExit(f"make run stopped (status {make.returncode}): {keep_log}")
                    if time.monotonic() - started > TIMEOUT_S:
                        raise SystemExit(f"no answer within {TIMEOUT_S} s: {keep_log}")
                    time.sleep(0.05)
                elapsed = time.monotonic() - started
            finally:
                if make.poll() is None:
                    os.killpg(make.pid, signal.SIGTERM)
                    try:
                        make.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        os.killpg(make.pid, signal.SIGKILL)
                        make.wait()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        size = sum(f.stat().st_size for f in (clone / ".venv").rglob("*") if f.is_file())
        print(f"  virtualenv {size / 1e6:.0f} MB", flush=True)
        return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repo", default=str(ROOT), help="what to clone (default: this one)")
    args = parser.parse_args()
    if shutil.which("make") is None:
        raise SystemExit("make is not installed")
    log = Path(tempfile.gettempdir()) / "quillpress-first-request.log"
    times, cpus = [], []
    for number in range(1, args.rounds + 1):
        load = os.getloadavg()[0]
        elapsed, cpu = one_round(args.repo, log)
        times.append(elapsed)
        cpus.append(cpu)
        print(
            f"round {number}: {elapsed:.1f} s, {cpu:.1f} CPU s (load average before: {load:.2f})",
            flush=True,
        )
    print(
        f"median of {len(times)}: {statistics.median(times):.1f} s clone → first request, "
        f"{statistics.median(cpus):.1f} CPU s; load average now {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
