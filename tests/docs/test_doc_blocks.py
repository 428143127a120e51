"""The rules the documentation's code blocks follow (docs/contributing.md), checked without
running anything."""

from __future__ import annotations

import re

from tests.docs import runnable

README = runnable.ROOT / "README.md"
README_MAX_LINES = 250


def test_every_shell_block_runs_in_the_tests_or_says_why_it_does_not() -> None:
    unmarked: list[str] = []
    by_reason: dict[str, list[str]] = {}
    for path in runnable.pages():
        for block in runnable.blocks(path):
            if not block.is_shell or block.runnable:
                continue
            first = next((line for line in block.text.splitlines() if line.strip()), "")
            if block.title in {"", runnable.OUTPUT}:
                unmarked.append(f"{block.where}: {first}")
            else:
                by_reason.setdefault(block.title, []).append(f"{block.where}: {first}")
    # The blocks that do not run here (Docker, Kubernetes, the cluster, PostgreSQL …), listed.
    for reason, where in sorted(by_reason.items()):
        print(f"\nnot run ({reason}):")
        print("\n".join(f"  {line}" for line in where))
    assert not unmarked, (
        'shell blocks must be title="runnable" or name in their title what they need '
        '(e.g. title="needs Docker"):\n' + "\n".join(unmarked)
    )


def test_output_blocks_follow_a_runnable_block() -> None:
    stray = [
        block.where
        for path in runnable.pages()
        for block in runnable.blocks(path)
        if block.title == runnable.OUTPUT
    ]
    assert not stray, f'a title="output" block checks the runnable block just before it: {stray}'


def test_runnable_blocks_reach_the_server_through_qp_url() -> None:
    """The first runnable block of a page that talks to the server sets ``QP_URL`` unless it is
    set (the tests set it; a reader gets ``make run``'s address); no block names an address."""
    unset: list[str] = []
    fixed: list[str] = []
    for path in runnable.pages():
        found = [block for block in runnable.blocks(path) if block.runnable]
        talking = [block for block in found if "$QP_URL" in block.text]
        if talking and runnable.QP_URL_DEFAULT not in talking[0].text:
            unset.append(talking[0].where)
        for block in found:
            if re.search(
                r"(localhost|127\.0\.0\.1):\d", block.text.replace(runnable.QP_URL_DEFAULT, "")
            ):
                fixed.append(block.where)
    assert not unset, (
        f"start the page's first runnable block with {runnable.QP_URL_DEFAULT}: {unset}"
    )
    assert not fixed, f"use $QP_URL, not a fixed address, in runnable blocks: {fixed}"


def test_the_readme_is_a_front_door() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"
    measured = [
        line
        for line in lines
        if re.search(r"req/s|\bp(50|99)\b|\d\s?ms\b|\d+(\.\d+)?x floor", line)
    ]
    assert not measured, f"figures belong in docs/performance.md: {measured}"


def test_a_runnable_readme_walk_through_exists() -> None:
    assert any(block.runnable for block in runnable.blocks(README))


def test_loose_output_matching() -> None:
    assert runnable.matches('a: …\n…\nb  "2 statements"', 'a: 17\nx\ny\nb "2 statements"\n')
    assert runnable.matches("…\nend", "end")
    assert not runnable.matches('desc="2 statements"', 'desc="4 statements"')
    assert not runnable.matches("one\ntwo", "one\ntwo\nthree")
