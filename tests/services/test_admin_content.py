"""``services.admin_content``: every comment of the site newest first with its filters,
and the moderation deletes: admins only, a reason required and kept in the audit row,
written in the delete's own transaction, the same events as an ordinary delete."""

from __future__ import annotations

from typing import Any

import pytest

from quillpress.domain.auth import Principal
from quillpress.domain.clients import ClientInfo
from quillpress.domain.commands import AdminCommentFilter, AuditFilter, make_page
from quillpress.domain.errors import Forbidden, Invalid, NotFound
from quillpress.domain.events import ArticleDeleted, CommentDeleted
from quillpress.infra.resources import Resources
from quillpress.services import admin as admin_service
from quillpress.services import admin_content, audit
from tests.services.conftest import Published, execute, scalar, write_article, write_comment

PAGE = make_page(20, max_limit=100)


async def comments(
    resources: Resources, admin: Principal, page: Any = PAGE, **filters: str
) -> tuple[list[str], int | None, bool]:
    found = await admin_content.list_comments(
        resources.database, admin, AdminCommentFilter(**filters), page
    )
    return [item.body for item in found.items], found.total, found.has_next


async def test_every_comment_newest_first_filtered_by_article_or_author(
    resources: Resources, admin: Principal, ann: Principal, bob: Principal
) -> None:
    first = await write_article(resources, ann, "First")
    second = await write_article(resources, bob, "Second")
    await write_comment(resources, ann, first.slug, "one")
    await write_comment(resources, bob, second.slug, "two")
    await write_comment(resources, bob, first.slug, "three")
    assert await comments(resources, admin) == (["three", "two", "one"], 3, False)
    assert await comments(resources, admin, article=first.slug) == (["three", "one"], 2, False)
    assert await comments(resources, admin, author="BOB") == (["three", "two"], 2, False)
    assert await comments(resources, admin, author="bob", article=first.slug) == (
        ["three"],
        1,
        False,
    )
    assert await comments(resources, admin, author="nobody") == ([], 0, False)
    assert await comments(resources, admin, make_page(1, 1, max_limit=100)) == (["two"], 3, True)
    page = await admin_content.list_comments(
        resources.database, admin, AdminCommentFilter(), make_page(1, max_limit=100)
    )
    [item] = page.items
    assert (item.author, item.article_slug, item.article_title) == ("bob", first.slug, "First")


async def test_the_unfiltered_total_comes_from_the_daily_counters_not_a_count_of_the_table(
    resources: Resources, admin: Principal, ann: Principal
) -> None:
    """Cost flat as comments grow: the counters' sum is the total (the triggers keep it
    equal to the table, as tests/services/test_overview.py pins); a filter still counts."""
    article = await write_article(resources, ann, "Thread")
    await write_comment(resources, ann, article.slug, "one")
    await write_comment(resources, ann, article.slug, "two")
    assert (await comments(resources, admin))[1] == 2
    await execute(resources, "UPDATE daily_count SET count = count + 40 WHERE kind = 'comments'")
    assert (await comments(resources, admin))[1] == 42
    assert (await comments(resources, admin, article=article.slug))[1] == 2


async def test_a_moderation_delete_of_an_article_records_its_reason(
    resources: Resources, admin: Principal, ann: Principal, published: Published
) -> None:
    article = await write_article(resources, ann, "Spam")
    published.clear()
    await admin_content.delete_article(
        resources.database, admin, article.slug, reason="  Spam  ", client=ClientInfo()
    )
    assert await scalar(resources, "SELECT count(*) FROM article") == 0
    assert [type(event) for event in published.events] == [ArticleDeleted]
    events = await admin_service.list_audit(
        resources.database, admin, AuditFilter(action="admin.article_delete"), PAGE
    )
    [event] = events.items
    assert (event.target, event.reason) == (f"article:{article.slug}", "Spam")


async def test_a_moderation_delete_of_a_comment_records_its_reason(
    resources: Resources, admin: Principal, ann: Principal, published: Published
) -> None:
    article = await write_article(resources, ann)
    comment = await write_comment(resources, ann, article.slug)
    published.clear()
    await admin_content.delete_comment(
        resources.database, admin, comment.id, reason="Abuse", client=ClientInfo()
    )
    assert await scalar(resources, "SELECT count(*) FROM comment") == 0
    assert published.events == [
        CommentDeleted(comment_id=comment.id, article_id=article.id, author_id=ann.user_id)
    ]
    events = await admin_service.list_audit(
        resources.database, admin, AuditFilter(target=f"comment:{comment.id}"), PAGE
    )
    assert [(event.action, event.reason) for event in events.items] == [
        ("admin.comment_delete", "Abuse")
    ]
    with pytest.raises(NotFound, match="comment"):
        await admin_content.delete_comment(
            resources.database, admin, comment.id, reason="Abuse", client=ClientInfo()
        )


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "can't be blank"),
        ("   ", "can't be blank"),
        ("x" * 501, "is too long (maximum is 500 characters)"),
    ],
)
async def test_a_moderation_delete_needs_a_short_reason(
    resources: Resources, admin: Principal, ann: Principal, reason: str, message: str
) -> None:
    article = await write_article(resources, ann)
    with pytest.raises(Invalid) as refused:
        await admin_content.delete_article(
            resources.database, admin, article.slug, reason=reason, client=ClientInfo()
        )
    assert refused.value.fields == {"reason": [message]}
    assert await scalar(resources, "SELECT count(*) FROM article") == 1


async def test_only_admins_moderate_even_their_own_content(
    resources: Resources, ann: Principal
) -> None:
    article = await write_article(resources, ann)
    comment = await write_comment(resources, ann, article.slug)
    db = resources.database
    with pytest.raises(Forbidden):
        await admin_content.delete_article(db, ann, article.slug, reason="x", client=ClientInfo())
    with pytest.raises(Forbidden):
        await admin_content.delete_comment(db, ann, comment.id, reason="x", client=ClientInfo())
    with pytest.raises(Forbidden):
        await admin_content.list_comments(db, ann, AdminCommentFilter(), PAGE)
    assert await scalar(resources, "SELECT count(*) FROM comment") == 1


async def test_an_unknown_article_is_not_found(resources: Resources, admin: Principal) -> None:
    with pytest.raises(NotFound, match="article"):
        await admin_content.delete_article(
            resources.database, admin, "nothing", reason="x", client=ClientInfo()
        )


async def test_the_delete_and_its_audit_row_share_one_transaction(
    resources: Resources,
    admin: Principal,
    ann: Principal,
    published: Published,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    article = await write_article(resources, ann)
    published.clear()

    async def failing(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the audit write failed")

    monkeypatch.setattr(audit, "record", failing)
    with pytest.raises(RuntimeError):
        await admin_content.delete_article(
            resources.database, admin, article.slug, reason="Spam", client=ClientInfo()
        )
    assert await scalar(resources, "SELECT count(*) FROM article") == 1
    assert published.events == []
