"""The N+1 lesson tells the truth: its statement counts are asserted here, not just printed.

Each page size runs the whole lesson once (throwaway SQLite, about a second) and the
tests read the shared results."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from quillpress.demo import n_plus_one
from quillpress.demo.n_plus_one import EAGER, GRAPHQL, NAIVE, Result, render, run, run_sync

PAGE_SIZES = (3, 10)


@pytest.fixture(scope="module")
def lessons() -> dict[int, dict[str, Result]]:
    """page size → way name → result, one full run per page size."""
    return {
        posts: {result.name: result for result in run_sync(posts=posts)} for posts in PAGE_SIZES
    }


@pytest.mark.parametrize(("posts", "statements"), [(3, 4), (10, 11)])
def test_naive_way_costs_one_statement_per_post_plus_one(
    lessons: dict[int, dict[str, Result]], posts: int, statements: int
) -> None:
    assert lessons[posts][NAIVE].statements == 1 + posts == statements


@pytest.mark.parametrize("posts", PAGE_SIZES)
def test_eager_loading_costs_two_statements(
    lessons: dict[int, dict[str, Result]], posts: int
) -> None:
    eager = lessons[posts][EAGER]
    assert eager.statements == 2
    assert "FROM article" in eager.sql[0]
    assert "FROM app_user" in eager.sql[1]
    assert " IN (" in eager.sql[1]


def test_eager_way_shows_that_lazy_loading_is_refused(
    lessons: dict[int, dict[str, Result]],
) -> None:
    assert "lazy='raise'" in lessons[10][EAGER].note


def test_graphql_dataloader_count_does_not_grow_with_the_page(
    lessons: dict[int, dict[str, Result]],
) -> None:
    counts = {posts: lessons[posts][GRAPHQL].statements for posts in PAGE_SIZES}
    assert counts[3] == counts[10], counts
    # The root page (rows, tags), then one batch for every author's nested list (rows, tags).
    assert counts[10] == 4, lessons[10][GRAPHQL].sql


def test_naive_statements_repeat_the_author_query(
    lessons: dict[int, dict[str, Result]],
) -> None:
    first, *per_post = lessons[10][NAIVE].sql
    assert "FROM article" in first
    assert len(per_post) == 10
    assert len(set(per_post)) == 1, "the same author query, once per post"
    assert "FROM app_user" in per_post[0]
    assert "WHERE app_user.id = " in per_post[0]


@pytest.mark.parametrize("posts", PAGE_SIZES)
def test_every_way_loads_the_same_posts_and_authors(
    lessons: dict[int, dict[str, Result]], posts: int
) -> None:
    naive, eager, graphql = (lessons[posts][name].loaded for name in (NAIVE, EAGER, GRAPHQL))
    assert naive == eager == graphql
    assert [title for title, _ in naive] == [f"Post {i}" for i in range(1, posts + 1)]
    assert len({author for _, author in naive}) == posts


def test_timings_are_measured(lessons: dict[int, dict[str, Result]]) -> None:
    for result in lessons[10].values():
        assert 0 < result.milliseconds <= result.total_milliseconds


def test_render_prints_the_table_the_statements_and_the_lesson(
    lessons: dict[int, dict[str, Result]],
) -> None:
    console = Console(record=True, file=StringIO(), width=120)
    render(list(lessons[10].values()), console)
    text = console.export_text()
    assert "Loading 10 posts with their authors" in text
    for header in ("Way", "Statements", "DB time (ms)", "Total (ms)"):
        assert header in text
    naive_row = next(line for line in text.splitlines() if line.startswith("│ naive"))
    assert "│         11 │" in naive_row
    assert "10 x SELECT app_user.username FROM app_user WHERE app_user.id = ?" in text
    assert "lazy='raise'" in text
    assert "Problem:" in text
    assert "Fix:" in text


def test_main_runs_and_prints(tmp_path: Path) -> None:
    out = StringIO()
    n_plus_one.main(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'given.db'}",
        posts=3,
        console=Console(file=out, width=120),
    )
    assert "Loading 3 posts with their authors" in out.getvalue()


async def test_a_given_database_can_host_the_lesson_twice(tmp_path: Path) -> None:
    """Names are unique per run and the page is the newest posts, so an existing
    database (here: one the lesson already ran on) gives the same counts."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'reused.db'}"
    for _ in range(2):
        results = {result.name: result.statements for result in await run(url, posts=3)}
        assert results == {NAIVE: 4, EAGER: 2, GRAPHQL: 4}


@pytest.mark.parametrize("posts", [0, 101])
async def test_page_size_outside_the_graphql_limits_is_refused(posts: int) -> None:
    with pytest.raises(ValueError, match="between 1 and 100"):
        await run(posts=posts)


def test_python_dash_m_runs_the_lesson() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "quillpress.demo.n_plus_one"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Loading 10 posts with their authors" in result.stdout
    assert "naive" in result.stdout
