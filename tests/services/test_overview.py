"""``services.overview``: admins only; totals and daily series equal to what counting the
tables says, after inserts and deletes through the use cases and behind their back (raw
SQL, an account's cascades), zeros on empty days; one statement whatever the data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from quillpress.db.stats import StatementStats, current_stats
from quillpress.domain.auth import Principal, Role
from quillpress.domain.clients import ClientInfo
from quillpress.domain.errors import Forbidden, Invalid
from quillpress.domain.overview import Overview
from quillpress.infra.resources import Resources
from quillpress.services import articles, comments, limits, sessions
from quillpress.services.limits import Lockout
from quillpress.services.overview import overview
from tests.services.conftest import (
    delete_user,
    execute,
    scalar,
    sign_up,
    write_article,
    write_comment,
)
from tests.services.test_admin import login

ADMIN = Principal(user_id=0, role=Role.ADMIN)
TODAY = datetime.now(UTC).date()


def series(result: Overview, key: str) -> dict[date, int]:
    return dict(next(s for s in result.series if s.key == key).points)


def today(result: Overview, key: str) -> int:
    return series(result, key)[TODAY]


async def totals(resources: Resources) -> tuple[int, int, int, int]:
    """What counting the tables says."""
    return (
        await scalar(resources, "SELECT count(*) FROM app_user"),
        await scalar(resources, "SELECT count(*) FROM article"),
        await scalar(resources, "SELECT count(*) FROM comment"),
        await scalar(resources, "SELECT count(*) FROM user_session WHERE revoked_at IS NULL"),
    )


def figures(result: Overview) -> tuple[int, int, int, int]:
    return (result.users, result.articles, result.comments, result.active_sessions)


async def test_a_non_admin_is_refused(resources: Resources) -> None:
    ann = await sign_up(resources, "ann")
    with pytest.raises(Forbidden):
        await overview(resources.database, ann)


@pytest.mark.parametrize("days", [0, -1, 367])
async def test_a_window_out_of_range_is_invalid(resources: Resources, days: int) -> None:
    with pytest.raises(Invalid):
        await overview(resources.database, ADMIN, days=days)


async def test_an_empty_site_has_every_day_at_zero_oldest_first(resources: Resources) -> None:
    result = await overview(resources.database, ADMIN, days=7)
    assert figures(result) == (0, 0, 0, 0)
    assert [s.key for s in result.series] == [
        "signups",
        "sign_ins",
        "articles",
        "comments",
        "lockouts",
    ]
    expected_days = [TODAY - timedelta(days=n) for n in range(6, -1, -1)]
    for one in result.series:
        assert [day for day, _ in one.points] == expected_days
        assert one.total == 0


async def test_counts_follow_the_use_cases_writes_and_deletes(resources: Resources) -> None:
    ann = await sign_up(resources, "ann")
    bob = await sign_up(resources, "bob")
    first = await write_article(resources, ann, "First")
    second = await write_article(resources, bob, "Second")
    comment = await write_comment(resources, bob, first.slug)
    await write_comment(resources, ann, second.slug)
    await login(resources, "ann")

    result = await overview(resources.database, ADMIN)
    assert figures(result) == await totals(resources) == (2, 2, 2, 3)
    assert (today(result, "signups"), today(result, "articles")) == (2, 2)
    assert (today(result, "comments"), today(result, "sign_ins")) == (2, 1)

    await comments.delete_comment(
        resources.database, bob, first.slug, comment.id, client=ClientInfo()
    )
    await articles.delete_article(resources.database, bob, second.slug, client=ClientInfo())
    await sessions.logout(resources.database, ann, client=ClientInfo())

    result = await overview(resources.database, ADMIN)
    # The second article's comment went with it (a cascade).
    assert figures(result) == await totals(resources) == (2, 1, 0, 2)
    assert (today(result, "articles"), today(result, "comments")) == (1, 0)
    assert today(result, "sign_ins") == 1  # the audit log keeps its row


async def test_a_deleted_account_takes_its_content_and_sessions_off_the_counts(
    resources: Resources,
) -> None:
    ann = await sign_up(resources, "ann")
    bob = await sign_up(resources, "bob")
    article = await write_article(resources, ann)
    await write_comment(resources, bob, article.slug)
    await write_comment(resources, ann, article.slug)
    await delete_user(resources, ann.user_id)

    result = await overview(resources.database, ADMIN)
    assert figures(result) == await totals(resources) == (1, 0, 0, 1)


async def test_raw_sql_on_past_days_is_counted_on_those_days(resources: Resources) -> None:
    ann = await sign_up(resources, "ann")
    days_ago = {3: 2, 10: 1}
    for back, many in days_ago.items():
        at = datetime.now(UTC) - timedelta(days=back)
        for n in range(many):
            await execute(
                resources,
                "INSERT INTO article (slug, title, description, body, author_id, "
                "created_at, updated_at) VALUES (:slug, 't', 'd', 'b', :author, :at, :at)",
                slug=f"raw-{back}-{n}",
                author=ann.user_id,
                at=at,
            )
    old = datetime.now(UTC) - timedelta(days=40)
    await execute(
        resources,
        "INSERT INTO article (slug, title, description, body, author_id, created_at, "
        "updated_at) VALUES ('old', 't', 'd', 'b', :author, :at, :at)",
        author=ann.user_id,
        at=old,
    )

    result = await overview(resources.database, ADMIN)
    per_day = series(result, "articles")
    assert len(per_day) == 30
    assert {day: n for day, n in per_day.items() if n} == {
        TODAY - timedelta(days=3): 2,
        TODAY - timedelta(days=10): 1,
    }
    assert result.articles == 4  # the total counts every day, the window only 30

    await execute(resources, "DELETE FROM article WHERE slug LIKE 'raw-3-%'")
    result = await overview(resources.database, ADMIN)
    assert series(result, "articles")[TODAY - timedelta(days=3)] == 0
    assert result.articles == 2


async def test_lockouts_and_revocations_by_raw_sql_are_counted(resources: Resources) -> None:
    await sign_up(resources, "ann")
    lockout = Lockout(rule="login", limit=5, window_seconds=60, account="user:ann", ip=None)
    await limits.on_lockout(resources.database, lockout, ClientInfo())
    await limits.on_lockout(resources.database, lockout, ClientInfo())
    await execute(resources, "UPDATE user_session SET revoked_at = created_at")

    result = await overview(resources.database, ADMIN)
    assert today(result, "lockouts") == 2
    assert result.active_sessions == 0

    await execute(resources, "UPDATE user_session SET revoked_at = NULL")
    assert (await overview(resources.database, ADMIN)).active_sessions == 1


async def test_the_overview_is_one_statement(resources: Resources) -> None:
    ann = await sign_up(resources, "ann")
    await write_article(resources, ann)
    stats = StatementStats(statements=[])
    token = current_stats.set(stats)
    try:
        await overview(resources.database, ADMIN)
    finally:
        current_stats.reset(token)
    assert stats.count == 1
