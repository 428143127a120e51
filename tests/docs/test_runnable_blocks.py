"""The documentation's commands work as shown: each page's runnable blocks, in order, against a
fresh server and database of the page's own (see ``tests/docs/runnable.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.docs import runnable

PAGES = runnable.runnable_pages()
PARALLEL_PAGES = 3  # each page is a server and a bash session, mostly waiting on each other


def _page_id(path: Path) -> str:
    return str(path.relative_to(runnable.ROOT))


@pytest.fixture(scope="module")
def run_of(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[Path], runnable.PageRun]]:
    """Runs every selected page up front, a few at a time, and hands each test its page."""
    selected = [
        item.callspec.params["path"]
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
    ]
    template = runnable.seed_template(tmp_path_factory.mktemp("template")) if selected else None
    with ThreadPoolExecutor(max_workers=PARALLEL_PAGES) as pool:
        futures: dict[Path, Future[runnable.PageRun]] = {
            path: pool.submit(runnable.run_page, path, tmp_path_factory.mktemp(path.stem), template)
            for path in dict.fromkeys(selected)
        }
        yield lambda path: futures[path].result()


def _report(run: runnable.PageRun, block: runnable.Block, output: str, why: str) -> str:
    return (
        f"{why}: the block at {block.where}\n"
        f"--- block\n{block.text}"
        f"--- expected output\n{block.expected or ''}"
        f"--- actual output\n{output}\n"
        f"--- stderr (last 3000 characters)\n{run.stderr[-3000:]}\n"
        f"--- server log (last 2000 characters)\n{run.server_log[-2000:]}"
    )


@pytest.mark.parametrize("path", PAGES, ids=_page_id)
def test_the_page_s_runnable_blocks_run_and_print_what_the_page_shows(
    path: Path, run_of: Callable[[Path], runnable.PageRun]
) -> None:
    run = run_of(path)
    if run.status != 0:
        assert run.failed_block is not None
        output = run.runs[-1].output if run.runs else ""
        pytest.fail(_report(run, run.failed_block, output, f"exit status {run.status}"))
    for block_run in run.runs:
        block = block_run.block
        if block.expected is not None and not runnable.matches(block.expected, block_run.output):
            pytest.fail(_report(run, block, block_run.output, "the output differs"))
    blocks = [block for block in runnable.blocks(path) if block.runnable]
    assert len(run.runs) == len(blocks), "not every block ran"
