"""The documentation's shell blocks: which run in the tests, and running them.

A fenced block written ```` ```bash title="runnable" ```` runs, in page order, in one bash
session per page (variables carry from block to block) against a fresh ``quillpress serve
--demo`` on a free port, in an empty directory of its own (so a fresh SQLite database and
development key). Blocks reach the server through ``$QP_URL``; ``.venv/bin/quillpress`` and
``.venv/bin/python`` in that directory are this interpreter, so the CLI commands a page shows
work on the same database as its server. A runnable block may be followed by a
```` ```text title="output" ```` block: what the block prints must match it, loosely (see
``matches``). Every other shell block names in its title why it does not run
(```` ```bash title="needs Docker" ````). docs/contributing.md documents all this.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHELL_LANGUAGES = frozenset({"bash", "sh", "shell", "console", "shell-session"})
RUNNABLE = "runnable"
OUTPUT = "output"
SERVER_START_TIMEOUT_S = 90
PAGE_TIMEOUT_S = 120
QP_URL_DEFAULT = "QP_URL=${QP_URL:-http://127.0.0.1:8000}"
"""How a page's first runnable block starts: a reader gets ``make run``'s address."""
MARK = "\x1eqp-block"  # a record separator no command prints

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_TITLE = re.compile(r'title="(?P<title>[^"]*)"')


@dataclass
class Block:
    """One fenced code block of a page."""

    path: Path
    line: int  # 1-based line of the opening fence
    language: str
    title: str
    text: str
    expected: str | None = None  # the output block that follows a runnable one

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def is_shell(self) -> bool:
        return self.language in SHELL_LANGUAGES

    @property
    def runnable(self) -> bool:
        return self.is_shell and self.title == RUNNABLE


def pages() -> list[Path]:
    """The README and every page of the site."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """Every fenced block of ``path``, each runnable block holding the output block after it."""
    lines = path.read_text().splitlines()
    found: list[Block] = []
    index = 0
    previous_end = -1
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        indent, fence, info = match["indent"], match["fence"], match["info"].strip()
        body: list[str] = []
        end = index + 1
        while end < len(lines):
            closing = lines[end].strip()
            if closing.startswith(fence[0] * len(fence)) and not closing.strip(fence[0]):
                break
            body.append(lines[end][len(indent) :] if lines[end].startswith(indent) else lines[end])
            end += 1
        language = info.split()[0] if info.split() else ""
        title_match = _TITLE.search(info)
        block = Block(
            path=path,
            line=index + 1,
            language=language,
            title=title_match["title"] if title_match else "",
            text="\n".join(body) + "\n",
        )
        between = lines[previous_end + 1 : index] if previous_end >= 0 else ["x"]
        if (
            block.title == OUTPUT
            and found
            and found[-1].runnable
            and not any(text.strip() for text in between)
        ):
            found[-1].expected = block.text
        else:
            found.append(block)
        previous_end = end
        index = end + 1
    return found


def runnable_pages() -> list[Path]:
    return [path for path in pages() if any(block.runnable for block in blocks(path))]


# --- comparing output ------------------------------------------------------------------


def _normalise(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def matches(expected: str, actual: str) -> bool:
    """Whether ``actual`` is what ``expected`` shows, loosely: blank lines and runs of spaces
    do not count; ``…`` inside a line stands for any text on that line, and a line that is
    only ``…`` for any number of lines (none included). Everything else must be there, in
    order, line for line."""
    pattern = ""
    for line in _normalise(expected):
        if line == "…":
            pattern += r"(?:[^\n]*\n)*?"
        else:
            pattern += ".*?".join(re.escape(part) for part in line.split("…")) + r"\n"
    return re.fullmatch(pattern, "".join(line + "\n" for line in _normalise(actual))) is not None


# --- running a page --------------------------------------------------------------------


@dataclass
class BlockRun:
    block: Block
    output: str


@dataclass
class PageRun:
    path: Path
    runs: list[BlockRun] = field(default_factory=list)
    failed_block: Block | None = None
    status: int = 0
    stderr: str = ""
    server_log: str = ""
    seconds: float = 0.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def page_environment(workdir: Path, port: int) -> dict[str, str]:
    """The machine's environment without any Quillpress setting, plus the server's address
    and cheap password hashing (the demo's and the examples' hashes; nothing shown depends
    on the cost)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith("QUILLPRESS_") and name.upper() != "DATABASE_URL"
    }
    env.update(
        QP_URL=f"http://127.0.0.1:{port}",
        PATH=f"{workdir / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")])),
        QUILLPRESS_PASSWORD_TIME_COST="1",
        QUILLPRESS_PASSWORD_MEMORY_KIB="1024",
        QUILLPRESS_PASSWORD_PARALLELISM="1",
        NO_COLOR="1",
        COLUMNS="120",
        TERM="dumb",
    )
    return env


def prepare_workdir(workdir: Path) -> None:
    """``.venv/bin/quillpress`` and ``.venv/bin/python`` as the docs write them."""
    bin_dir = workdir / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    python = shlex.quote(sys.executable)
    for name, command in (("python", python), ("quillpress", f"{python} -m quillpress")):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nexec {command} "$@"\n')
        script.chmod(0o755)


def seed_template(directory: Path) -> Path:
    """A migrated database holding the demo data, made once and copied for each page: what
    ``serve --demo`` would seed into an empty one, with ``make run``'s avatar URLs (seeding
    costs more than the rest of a page's start)."""
    env = page_environment(directory, 8000)
    subprocess.run(
        [sys.executable, "-m", "quillpress", "seed"],
        cwd=directory,
        env=env,
        capture_output=True,
        check=True,
        timeout=SERVER_START_TIMEOUT_S,
    )
    return directory / "quillpress.db"


def start_server(workdir: Path, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (workdir / "server.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "quillpress", "serve", "--demo", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return server
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return server
        except OSError:
            pass
        time.sleep(0.1)
    return server


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def script_for(runnable: list[Block]) -> str:
    parts = ["set -eo pipefail"]
    for number, block in enumerate(runnable):
        parts.append(f"printf '\\n{MARK} {number}\\n'")
        parts.append(block.text)
    parts.append(f"printf '\\n{MARK} end\\n'")
    return "\n".join(parts) + "\n"


def run_page(path: Path, workdir: Path, template: Path | None = None) -> PageRun:
    """Every runnable block of ``path`` in order, against a fresh server of its own (on a copy
    of ``template``'s database when given, else on an empty one it seeds)."""
    started = time.monotonic()
    runnable = [block for block in blocks(path) if block.runnable]
    prepare_workdir(workdir)
    if template is not None:
        shutil.copyfile(template, workdir / template.name)
    port = free_port()
    env = page_environment(workdir, port)
    result = PageRun(path)
    server = start_server(workdir, port, env)
    try:
        if server.poll() is not None:
            result.status = -1
            result.failed_block = runnable[0]
            result.stderr = "the server did not start"
            return result
        completed = subprocess.run(  # noqa: S603
            ["bash", "-c", script_for(runnable)],  # noqa: S607 (the system's bash)
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=PAGE_TIMEOUT_S,
            check=False,
        )
    finally:
        stop_server(server)
        result.server_log = (workdir / "server.log").read_text(errors="replace")
        result.seconds = time.monotonic() - started
    result.status = completed.returncode
    result.stderr = completed.stderr
    segments = completed.stdout.split(f"\n{MARK} ")
    reached: list[str] = []
    for segment in segments[1:]:
        label, _, output = segment.partition("\n")
        if label == "end":
            break
        reached.append(output)
    for block, output in zip(runnable, reached, strict=False):
        result.runs.append(BlockRun(block, output))
    if completed.returncode != 0:
        result.failed_block = runnable[max(0, len(reached) - 1)]
    return result
