"""How long ``quillpress --version`` and ``quillpress --help`` take, start to exit.

Each command runs ``--runs`` times (after one warm-up run that writes the bytecode
caches); it prints the median wall time and the median CPU time (user + system) of the
process. On an idle machine the two agree; on a busy one the wall time grows with the
wait for a core while the CPU time barely moves, so quote both, with the load average
printed beside them. The goal is a median wall time ≤ 0.4 s on an idle machine.

    .venv/bin/python bench/cli_startup.py
    .venv/bin/python bench/cli_startup.py --runs 21 --command "seed --help"

Not a test: a timing depends on the machine (tests/cli/test_cli_imports.py holds what a
test can: that these commands load none of the application)."""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ENTRY_POINT = Path(sys.executable).with_name("quillpress")
COMMANDS = ["--version", "--help"]


def one_run(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command`` (a child process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument(
        "--command", action="append", help="arguments after quillpress (repeatable)"
    )
    args = parser.parse_args()
    program = [str(ENTRY_POINT)] if ENTRY_POINT.exists() else [sys.executable, "-m", "quillpress"]
    print(f"{' '.join(program)}, {args.runs} runs each, load average {os.getloadavg()[0]:.2f}")
    for arguments in args.command or COMMANDS:
        command = [*program, *shlex.split(arguments)]
        one_run(command)  # warm-up: bytecode caches written, files in the page cache
        walls, cpus = zip(*(one_run(command) for _ in range(args.runs)), strict=True)
        print(
            f"quillpress {arguments:<12} median wall {statistics.median(walls):.3f} s, "
            f"median CPU {statistics.median(cpus):.3f} s"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
