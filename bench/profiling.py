"""``bench/run.py --profile LABEL``: where a target's time goes, recorded with py-spy.

After the measured rounds (so sampling never skews the figures), each chosen target is
loaded once more for ``--duration`` seconds while ``py-spy record`` samples its server
process. The samples are written as collapsed stacks (``<label>.txt``: one line per stack
with its count; ``speedscope`` and ``flamegraph.pl`` read it) and summarised here: the
packages and functions with most samples on top of the stack (own time), and
Quillpress's own functions on the stack anywhere (inclusive time: which use case, which
cache read), as shares of all samples.

py-spy is not a project dependency: ``.venv/bin/pip install py-spy``. It attaches to a
running process, so it needs ptrace permission (root, or ``CAP_SYS_PTRACE``, or
``kernel.yama.ptrace_scope=0``)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.harness import BenchError
from bench.measure import Load, Target, one_run

INSTALL = "py-spy is not installed (not a project dependency): .venv/bin/pip install py-spy"
LINE = re.compile(r":\d+\)$")  # a frame's line number: functions are summed over lines
TOP = 15
LOOP = ("Runner.run (", "BaseEventLoop.run_until_complete (", "BaseEventLoop.run_forever (")


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def record(load: Load, target: Target, script: Path, directory: Path) -> Path:
    """Load ``target`` for ``--duration`` s under py-spy; its collapsed stacks' file."""
    tool = py_spy()
    if tool is None:
        raise BenchError(INSTALL)
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / f"{slug(target.label)}.txt"
    seconds = load.args.duration
    if load.args.warmup:
        one_run(load, target, script, load.args.warmup)
    command = [tool, "record", "--pid", str(load.servers[target.server].pid), "--duration"]
    command += [str(seconds), "--rate", "200", "--format", "raw", "--nonblocking"]
    command += ["--output", str(out)]
    spy = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        run = one_run(load, target, script, seconds)
        output, _ = spy.communicate(timeout=seconds + 30)
    finally:
        if spy.poll() is None:
            spy.kill()
            spy.wait()
    if spy.returncode != 0 or not out.exists():
        text = output.decode(errors="replace")[-1500:]
        raise BenchError(f"py-spy failed on {target.label} (ptrace permission?):\n{text}")
    cpu = f", CPU {run.cpu_ms:.2f} ms/request" if run.cpu_ms is not None else ""
    print(f"\nprofile    {target.label}: {run.sample.rps:.0f} req/s under py-spy{cpu} → {out}")
    return out


def _package(frame: str) -> str:
    """``quillpress`` of ``list_tags (quillpress/api/rest/tags.py)``."""
    where = frame.rpartition(" (")[2].rstrip(")")
    return where.split("/", 1)[0] if "/" in where else where.partition(":")[0] or "?"


def _below_loop(frames: list[str]) -> list[str]:
    """The frames under the event loop's run (the startup frames above it, from runpy to
    ``asyncio.Runner.run``, are on every stack and say nothing)."""
    for index in range(len(frames) - 1, -1, -1):
        if frames[index].startswith(LOOP):
            return frames[index + 1 :]
    return frames


def summarize(path: Path, top: int = TOP) -> None:
    """Own time per package and per function, and inclusive time of Quillpress's own
    functions below the event loop (not the ASGI middleware's ``__call__`` chain, which
    holds every request), as shares of all samples."""
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [LINE.sub(")", frame) for frame in stack.split(";")]
        total += count
        own[frames[-1]] += count
        packages[_package(frames[-1])] += count
        for frame in set(_below_loop(frames)):
            if _package(frame) == "quillpress" and ".__call__ (" not in frame:
                inclusive[frame] += count
    if not total:
        print("           no samples (the process was idle?)")
        return
    shares = ", ".join(
        f"{name} {100 * count / total:.0f}%" for name, count in packages.most_common(10)
    )
    print(f"           own time by package ({total} samples): {shares}")
    titles = ("own time", "inclusive time, Quillpress's functions (middleware left out)")
    for title, counter in zip(titles, (own, inclusive), strict=True):
        print(f"           top {top} by {title}:")
        for frame, count in counter.most_common(top):
            print(f"           {100 * count / total:5.1f}%  {frame[:110]}")
