"""The repositories' rows are typed: mypy (strict, the project's configuration) finds a
misspelled field where a service reads one, before anything runs (with the project's
``.mypy_cache`` warm, as ``make lint`` leaves it, in under a second); and each row type's
fields are the names of the columns its statement selects, in order (rows are built
from the statement's by position)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mypy import api
from sqlalchemy import Select, select

from quillpress.repositories import comments, listings, users

ROOT = Path(__file__).resolve().parents[2]

READER = """\
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.repositories.articles import get_by_slug


async def favorites(conn: AsyncConnection) -> int:
    found = await get_by_slug(conn, "a-slug", viewer_id=None)
    assert found is not None
    return int(found[0].{field})
"""


def test_mypy_reports_a_misspelled_row_field_and_passes_the_right_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "spelled.py").write_text(READER.format(field="favorites_count"))
    (tmp_path / "misspelled.py").write_text(READER.format(field="favourites_count"))
    monkeypatch.chdir(ROOT)  # the configuration's mypy_path ("src") and its cache
    report, errors, status = api.run(
        [
            "--config-file",
            "pyproject.toml",
            "--no-error-summary",
            str(tmp_path / "spelled.py"),
            str(tmp_path / "misspelled.py"),
        ]
    )
    assert errors == ""
    assert status == 1
    # The file's name only: mypy's cache may name an unchanged file by the path it had
    # when the cache was written (another run's temporary directory).
    [line] = report.splitlines()
    assert line.endswith(
        'misspelled.py:9: error: "ArticleRow" has no attribute "favourites_count"  [attr-defined]'
    )


@pytest.mark.parametrize(
    ("row", "statement"),
    [
        (listings.ArticleRow, listings.article_columns(None, with_body=True)),
        (users.ProfileRow, select(*users.profile_columns(None))),
        (users.AccountRow, select(*users.ACCOUNT_COLUMNS)),
        (users.AdminUserRow, select(*users.ADMIN_COLUMNS)),
        (comments.CommentRow, comments._with_author(None)),
    ],
)
def test_a_row_type_names_its_statements_columns_in_order(row: Any, statement: Select[Any]) -> None:
    assert row._fields == tuple(statement.selected_columns.keys())
