"""The N+1 lesson tells the truth: its statement counts are asserted here, not just printed.

The lesson runs on a throwaway SQLite file and, when QUILLPRESS_TEST_POSTGRES_URL is set,
on a throwaway PostgreSQL database it creates and drops itself. Each (backend, page size)
runs the whole lesson once and the tests read the shared results."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from io import StringIO

import pytest
from rich.console import Console
from sqlalchemy import text
from typer.testing import CliRunner

from quillpress import cli
from quillpress.db.engine import create_engine
from quillpress.demo.n_plus_one import (
    EAGER,
    GRAPHQL,
    NAIVE,
    Lesson,
    LessonError,
    Result,
    run,
    run_sync,
)
from quillpress.demo.report import ON_POSTGRES, WHY_SQLITE_HIDES_IT, render
from tests.conftest import _postgres_admin_url

PAGE_SIZES = (3, 10)
GRAPHQL_STATEMENTS = {"sqlite": 3, "postgresql": 2}
"""The page (its tags apart on SQLite, inside the page query on PostgreSQL), then one
DataLoader batch for every post's comments."""

Lessons = dict[int, Lesson]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server_url(request: pytest.FixtureRequest) -> str | None:
    """``None`` for SQLite; the PostgreSQL server URL, or a skip with the reason."""
    return None if request.param == "sqlite" else _postgres_admin_url()


@pytest.fixture(scope="module")
def lessons(server_url: str | None) -> Lessons:
    """page size → the lesson, one full run per page size."""
    return {posts: run_sync(server_url, posts=posts) for posts in PAGE_SIZES}


def by_name(lesson: Lesson) -> dict[str, Result]:
    return {result.name: result for result in lesson.results}


def test_each_lesson_says_where_it_ran(lessons: Lessons, server_url: str | None) -> None:
    assert lessons[3].backend == ("sqlite" if server_url is None else "postgresql")


@pytest.mark.parametrize("posts", PAGE_SIZES)
def test_naive_way_costs_one_statement_per_post_plus_one(lessons: Lessons, posts: int) -> None:
    assert by_name(lessons[posts])[NAIVE].statements == 1 + posts


@pytest.mark.parametrize("posts", PAGE_SIZES)
def test_eager_loading_costs_two_statements(lessons: Lessons, posts: int) -> None:
    eager = by_name(lessons[posts])[EAGER]
    assert eager.statements == 2
    assert "FROM article" in eager.sql[0]
    assert "FROM comment" in eager.sql[1]
    assert " IN (" in eager.sql[1]


def test_eager_way_shows_that_lazy_loading_is_refused(lessons: Lessons) -> None:
    assert "lazy='raise'" in by_name(lessons[10])[EAGER].note


def test_graphql_dataloader_count_does_not_grow_with_the_page(lessons: Lessons) -> None:
    counts = {posts: by_name(lessons[posts])[GRAPHQL].statements for posts in PAGE_SIZES}
    assert counts[3] == counts[10] == GRAPHQL_STATEMENTS[lessons[3].backend], counts
    assert "FROM comment" in by_name(lessons[10])[GRAPHQL].sql[-1]  # the one batch


def test_naive_statements_repeat_the_comments_query(lessons: Lessons) -> None:
    first, *per_post = by_name(lessons[10])[NAIVE].sql
    assert "FROM article" in first
    assert len(per_post) == 10
    assert len(set(per_post)) == 1, "the same comments query, once per post"
    assert "FROM comment" in per_post[0]
    assert "WHERE comment.article_id = " in per_post[0]


@pytest.mark.parametrize("posts", PAGE_SIZES)
def test_every_way_loads_the_same_posts_and_comments(lessons: Lessons, posts: int) -> None:
    results = by_name(lessons[posts])
    naive, eager, graphql = (results[name].loaded for name in (NAIVE, EAGER, GRAPHQL))
    assert naive == eager == graphql
    assert naive == [
        (f"Post {i}", (f"Comment 2 on post {i}", f"Comment 1 on post {i}"))
        for i in range(1, posts + 1)
    ]


def test_timings_are_measured(lessons: Lessons) -> None:
    for result in lessons[10].results:
        assert 0 < result.milliseconds <= result.total_milliseconds


def _printed(lesson: Lesson, *, full_sql: bool = False) -> str:
    console = Console(record=True, file=StringIO(), width=120)
    render(lesson.results, console, backend=lesson.backend, full_sql=full_sql)
    return console.export_text()


def test_render_prints_the_table_the_statements_and_the_lesson(lessons: Lessons) -> None:
    text = _printed(lessons[10])
    where = "SQLite" if lessons[10].backend == "sqlite" else "PostgreSQL"
    assert f"Loading 10 posts with their comments ({where})" in text
    for header in ("Way", "Statements", "DB time (ms)", "Total (ms)"):
        assert header in text
    naive_row = next(line for line in text.splitlines() if line.startswith("│ naive"))
    assert "│         11 │" in naive_row
    placeholder = "?" if lessons[10].backend == "sqlite" else "$1::BIGINT"
    repeated = "10 x SELECT comment.body FROM comment WHERE comment.article_id = "
    assert repeated + placeholder in text
    assert "lazy='raise'" in text
    assert "Problem:" in text
    assert "Fix:" in text
    why = WHY_SQLITE_HIDES_IT if lessons[10].backend == "sqlite" else ON_POSTGRES
    assert why.split(":")[0] in text


def test_full_sql_prints_every_statement_whole(lessons: Lessons) -> None:
    cropped, whole = _printed(lessons[3]), _printed(lessons[3], full_sql=True)
    longest = max((sql for result in lessons[3].results for sql in result.sql), key=len)
    assert "…" in cropped
    assert "…" not in whole
    for line in longest.strip().splitlines():
        assert line.strip() in whole, line


@pytest.mark.parametrize("posts", [0, 101])
async def test_page_size_outside_the_graphql_limits_is_refused(posts: int) -> None:
    with pytest.raises(ValueError, match="between 1 and 100"):
        await run(posts=posts)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///somewhere.db", "must be a PostgreSQL URL"),
        ("mysql://root@localhost/blog", "must be a PostgreSQL URL"),
        ("not a url", "not a database URL"),
        ("postgresql://postgres@127.0.0.1:1/postgres", "cannot create a database on"),
    ],
)
async def test_an_unusable_database_url_is_one_clear_error(url: str, message: str) -> None:
    with pytest.raises(LessonError, match=message):
        await run(url, posts=1)


def test_the_cli_reports_a_bad_url_in_one_line_and_exits_2() -> None:
    result = CliRunner().invoke(
        cli.app, ["demo", "n-plus-one", "--database-url", "postgresql://x@127.0.0.1:1/x"]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: cannot create a database on postgresql+asyncpg://x@")


def test_the_cli_prints_full_sql_on_request() -> None:
    result = CliRunner().invoke(cli.app, ["demo", "n-plus-one", "--posts", "2", "--sql"])
    assert result.exit_code == 0, result.output
    assert "Loading 2 posts with their comments (SQLite)" in result.output
    assert "ORDER BY comment.created_at DESC, comment.id DESC" in result.output


async def _databases(server_url: str) -> set[str]:
    engine = create_engine(server_url, null_pool=True)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT datname FROM pg_database"))
            return {row[0] for row in rows}
    finally:
        await engine.dispose()


def test_on_postgresql_the_lesson_leaves_the_server_as_it_found_it() -> None:
    """The lesson's data lives in a database of its own, dropped afterwards. (The server
    is shared: other runs' databases may come and go meanwhile, so only the lesson's own
    kind of name is compared.)"""
    server_url = _postgres_admin_url()
    before = asyncio.run(_databases(server_url))
    lesson = run_sync(server_url, posts=2)
    assert lesson.backend == "postgresql"
    left = asyncio.run(_databases(server_url)) - before
    assert not {name for name in left if name.startswith("quillpress_demo_")}, left


def test_python_dash_m_runs_the_lesson() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "quillpress.demo.n_plus_one"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Loading 10 posts with their comments (SQLite)" in result.stdout
    assert "naive" in result.stdout
