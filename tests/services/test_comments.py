"""``services.comments``: adding, listing and deleting comments, their events, and the
policy (a comment's author or an admin deletes it; the article's author does not)."""

from __future__ import annotations

import pytest

from quillpress.domain.auth import Principal
from quillpress.domain.clients import ClientInfo
from quillpress.domain.commands import AddComment
from quillpress.domain.errors import Forbidden, NotFound
from quillpress.domain.events import CommentAdded, CommentDeleted
from quillpress.infra.resources import Resources
from quillpress.services import comments, profiles
from tests.services.conftest import Published, scalar, write_article, write_comment


async def comment_count(resources: Resources) -> int:
    return int(await scalar(resources, "SELECT count(*) FROM comment"))


async def test_add_comment_returns_it_with_its_author_and_records_comment_added(
    resources: Resources, ann: Principal, bob: Principal, published: Published
) -> None:
    article = await write_article(resources, ann, "Discussed")
    await profiles.follow(resources.database, bob, "ann")
    published.clear()
    created = await comments.add_comment(
        resources.database, ann, "discussed", AddComment(body="  First!  ")
    )
    view = created.view
    assert view.body == "First!"
    assert (view.author.id, view.author.username, view.author.following) == (
        ann.user_id,
        "ann",
        False,
    )
    assert view.created_at == view.updated_at
    assert published.batches == [
        [CommentAdded(comment_id=view.id, article_id=article.id, author_id=ann.user_id)]
    ]


async def test_commenting_on_an_unknown_article_is_not_found(
    resources: Resources, ann: Principal, published: Published
) -> None:
    with pytest.raises(NotFound) as caught:
        await write_comment(resources, ann, "nothing-here")
    assert caught.value.fields == {"article": ["not found"]}
    assert published.batches == []
    assert await comment_count(resources) == 0


async def test_list_comments_is_newest_first_with_the_viewers_follows(
    resources: Resources, ann: Principal, bob: Principal
) -> None:
    await write_article(resources, ann, "Discussed")
    first = await write_comment(resources, ann, "discussed", "one")
    second = await write_comment(resources, bob, "discussed", "two")
    await profiles.follow(resources.database, bob, "ann")
    as_bob = await comments.list_comments(resources.database, bob, "discussed")
    assert [(c.id, c.body) for c in as_bob] == [(second.id, "two"), (first.id, "one")]
    assert [c.author.following for c in as_bob] == [False, True]
    anonymous = await comments.list_comments(resources.database, None, "discussed")
    assert [c.author.following for c in anonymous] == [False, False]


async def test_listing_comments_of_an_unknown_article_is_not_found(
    resources: Resources,
) -> None:
    with pytest.raises(NotFound):
        await comments.list_comments(resources.database, None, "nothing-here")


async def test_comments_per_article_groups_them_and_keeps_articles_without_any(
    resources: Resources, ann: Principal
) -> None:
    talked = await write_article(resources, ann, "Talked")
    quiet = await write_article(resources, ann, "Quiet")
    comment = await write_comment(resources, ann, "talked")
    grouped = await comments.comments_per_article(resources.database, None, [talked.id, quiet.id])
    assert {key: [c.id for c in value] for key, value in grouped.items()} == {
        talked.id: [comment.id],
        quiet.id: [],
    }


async def test_the_author_deletes_their_comment_and_comment_deleted_is_recorded(
    resources: Resources, ann: Principal, bob: Principal, published: Published
) -> None:
    article = await write_article(resources, ann, "Discussed")
    comment = await write_comment(resources, bob, "discussed")
    published.clear()
    await comments.delete_comment(
        resources.database, bob, "discussed", comment.id, client=ClientInfo()
    )
    assert published.batches == [
        [CommentDeleted(comment_id=comment.id, article_id=article.id, author_id=bob.user_id)]
    ]
    assert await comments.list_comments(resources.database, None, "discussed") == []


async def test_a_comment_id_under_another_articles_slug_is_not_found_and_kept(
    resources: Resources, ann: Principal, published: Published
) -> None:
    await write_article(resources, ann, "Here")
    await write_article(resources, ann, "Elsewhere")
    comment = await write_comment(resources, ann, "here")
    published.clear()
    with pytest.raises(NotFound) as caught:
        await comments.delete_comment(
            resources.database, ann, "elsewhere", comment.id, client=ClientInfo()
        )
    assert caught.value.fields == {"comment": ["not found"]}
    assert published.batches == []
    assert await comment_count(resources) == 1


async def test_deleting_an_unknown_comment_or_article_is_not_found(
    resources: Resources, ann: Principal
) -> None:
    await write_article(resources, ann, "Here")
    with pytest.raises(NotFound) as unknown_comment:
        await comments.delete_comment(resources.database, ann, "here", 999_999, client=ClientInfo())
    with pytest.raises(NotFound) as unknown_article:
        await comments.delete_comment(
            resources.database, ann, "nothing-here", 1, client=ClientInfo()
        )
    assert unknown_comment.value.fields == {"comment": ["not found"]}
    assert unknown_article.value.fields == {"article": ["not found"]}


async def test_deleting_another_users_comment_is_forbidden_even_on_ones_own_article(
    resources: Resources, ann: Principal, bob: Principal, published: Published
) -> None:
    await write_article(resources, ann, "Anns article")
    comment = await write_comment(resources, bob, "anns-article")
    published.clear()
    with pytest.raises(Forbidden) as caught:
        await comments.delete_comment(
            resources.database, ann, "anns-article", comment.id, client=ClientInfo()
        )
    assert caught.value.fields == {"comment": ["forbidden"]}
    assert published.batches == []
    assert await comment_count(resources) == 1


async def test_an_admin_may_delete_any_comment(
    resources: Resources, ann: Principal, bob: Principal, admin: Principal, published: Published
) -> None:
    article = await write_article(resources, ann, "Discussed")
    comment = await write_comment(resources, bob, "discussed")
    published.clear()
    await comments.delete_comment(
        resources.database, admin, "discussed", comment.id, client=ClientInfo()
    )
    assert published.events == [
        CommentDeleted(comment_id=comment.id, article_id=article.id, author_id=bob.user_id)
    ]
    assert await comment_count(resources) == 0
