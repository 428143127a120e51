"""``services.articles``: writing, reading, listing, favoriting and deleting articles, the
events each write records, and the policy (authors edit; authors and admins delete)."""

from __future__ import annotations

import pytest

from quillpress.domain.auth import Principal
from quillpress.domain.clients import ClientInfo
from quillpress.domain.commands import ArticleFilter, CreateArticle, Page, UpdateArticle
from quillpress.domain.errors import Forbidden, NotFound
from quillpress.domain.events import (
    ArticleCreated,
    ArticleDeleted,
    ArticleUpdated,
    FavoriteAdded,
    FavoriteRemoved,
)
from quillpress.domain.views import ArticleView
from quillpress.infra.resources import Resources
from quillpress.services import articles, profiles
from tests.services.conftest import Published, scalar, write_article, write_comment

FIRST_PAGE = Page(limit=20)

# Code-point order: upper case before lower case, accented letters after "z".
UNSORTED_TAGS = ["zeta", "éclair", "beta", "Alpha", "_under"]
CODE_POINT_ORDER = ["Alpha", "_under", "beta", "zeta", "éclair"]


async def update(
    resources: Resources, principal: Principal, slug: str, **fields: object
) -> ArticleView:
    command = UpdateArticle.model_validate(fields)
    return await articles.update_article(resources.database, principal, slug, command)


async def count(resources: Resources, table: str) -> int:
    return int(await scalar(resources, f"SELECT count(*) FROM {table}"))  # noqa: S608 (fixed)


async def listed(
    resources: Resources, viewer: Principal | None = None, **filters: str
) -> list[str]:
    page = await articles.list_articles(
        resources.database, viewer, ArticleFilter.model_validate(filters), FIRST_PAGE
    )
    return [item.slug for item in page.items]


# create_article


async def test_create_returns_the_full_article_and_records_article_created(
    resources: Resources, ann: Principal, published: Published
) -> None:
    command = CreateArticle(
        title="How to train your dragon",
        description="Ever wonder how?",
        body="You have to believe",
        tag_list=["training", "dragons", "training"],
    )
    view = (await articles.create_article(resources.database, ann, command)).view
    assert view.slug == "how-to-train-your-dragon"
    assert (view.title, view.description, view.body) == (
        "How to train your dragon",
        "Ever wonder how?",
        "You have to believe",
    )
    assert view.tag_list == ["dragons", "training"]
    assert (view.favorited, view.favorites_count) == (False, 0)
    assert (view.author.id, view.author.username, view.author.following) == (
        ann.user_id,
        "ann",
        False,
    )
    assert view.created_at == view.updated_at
    assert published.batches == [
        [
            ArticleCreated(
                article_id=view.id,
                author_id=ann.user_id,
                slug="how-to-train-your-dragon",
                tags=("training", "dragons"),  # the author's order, duplicates dropped
            )
        ]
    ]


async def test_a_second_article_with_the_same_title_gets_a_numbered_slug(
    resources: Resources, ann: Principal, bob: Principal
) -> None:
    first = await write_article(resources, ann, "Same title")
    second = await write_article(resources, bob, "Same title")
    assert (first.slug, second.slug) == ("same-title", "same-title-2")


async def test_tag_lists_are_sorted_by_code_point_in_every_view(
    resources: Resources, ann: Principal, bob: Principal
) -> None:
    created = await write_article(resources, ann, "Tagged", UNSORTED_TAGS)
    await profiles.follow(resources.database, bob, "ann")
    page = await articles.list_articles(resources.database, None, ArticleFilter(), FIRST_PAGE)
    feed = await articles.feed(resources.database, bob, FIRST_PAGE)
    read = await articles.get_article(resources.database, bob, "tagged")
    assert created.tag_list == CODE_POINT_ORDER
    assert read.tag_list == CODE_POINT_ORDER
    assert page.items[0].tag_list == CODE_POINT_ORDER
    assert feed.items[0].tag_list == CODE_POINT_ORDER


# get_article


async def test_get_article_shows_the_viewers_own_favorite_and_follow(
    resources: Resources, ann: Principal, bob: Principal
) -> None:
    await write_article(resources, ann, "Read me")
    await articles.favorite(resources.database, bob, "read-me")
    await profiles.follow(resources.database, bob, "ann")
    as_bob = await articles.get_article(resources.database, bob, "read-me")
    anonymous = await articles.get_article(resources.database, None, "read-me")
    as_ann = await articles.get_article(resources.database, ann, "read-me")
    assert (as_bob.favorited, as_bob.author.following, as_bob.favorites_count) == (True, True, 1)
    assert (anonymous.favorited, anonymous.author.following, anonymous.favorites_count) == (
        False,
        False,
        1,
    )
    assert (as_ann.favorited, as_ann.author.following) == (False, False)
    assert anonymous.body == "The body"


async def test_get_article_of_an_unknown_slug_is_not_found(resources: Resources) -> None:
    with pytest.raises(NotFound) as caught:
        await articles.get_article(resources.database, None, "nothing-here")
    assert caught.value.fields == {"article": ["not found"]}


# update_article


async def test_an_edit_that_keeps_the_title_keeps_the_slug(
    resources: Resources, ann: Principal, published: Published
) -> None:
    created = await write_article(resources, ann, "Stable", ["one"])
    published.clear()
    view = await update(resources, ann, "stable", body="A new body", title="Stable")
    assert (view.slug, view.body, view.tag_list) == ("stable", "A new body", ["one"])
    assert view.updated_at >= created.updated_at
    assert published.batches == [
        [
            ArticleUpdated(
                article_id=created.id,
                author_id=ann.user_id,
                slug="stable",
                previous_slug="stable",
                tags=("one",),
                previous_tags=("one",),
            )
        ]
    ]


async def test_a_new_title_moves_the_article_to_a_new_slug(
    resources: Resources, ann: Principal, published: Published
) -> None:
    created = await write_article(resources, ann, "Old title")
    published.clear()
    view = await update(resources, ann, "old-title", title="New title")
    assert (view.id, view.slug, view.title) == (created.id, "new-title", "New title")
    [event] = published.events
    assert isinstance(event, ArticleUpdated)
    assert (event.slug, event.previous_slug) == ("new-title", "old-title")
    assert (await articles.get_article(resources.database, None, "new-title")).id == created.id
    with pytest.raises(NotFound):
        await articles.get_article(resources.database, None, "old-title")


async def test_a_new_title_whose_slug_is_taken_gets_a_numbered_slug(
    resources: Resources, ann: Principal
) -> None:
    await write_article(resources, ann, "Taken")
    await write_article(resources, ann, "Other")
    view = await update(resources, ann, "other", title="Taken")
    assert view.slug == "taken-2"


async def test_a_title_that_drops_a_hex_looking_word_gets_the_new_slug(
    resources: Resources, ann: Principal, published: Published
) -> None:
    await write_article(resources, ann, "Hello world cafe")
    published.clear()
    view = await update(resources, ann, "hello-world-cafe", title="Hello world")
    assert view.slug == "hello-world"
    [event] = published.events
    assert isinstance(event, ArticleUpdated)
    assert (event.slug, event.previous_slug) == ("hello-world", "hello-world-cafe")


async def test_new_tags_replace_the_old_and_the_event_names_both(
    resources: Resources, ann: Principal, published: Published
) -> None:
    created = await write_article(resources, ann, "Retagged", ["old", "both"])
    published.clear()
    view = await update(resources, ann, "retagged", tagList=["new", "both"])
    assert view.tag_list == ["both", "new"]
    assert published.events == [
        ArticleUpdated(
            article_id=created.id,
            author_id=ann.user_id,
            slug="retagged",
            previous_slug="retagged",
            tags=("new", "both"),
            previous_tags=("old", "both"),
        )
    ]
    assert await articles.list_tags(resources.database) == ["both", "new"]


async def test_an_empty_tag_list_clears_the_tags(
    resources: Resources, ann: Principal, published: Published
) -> None:
    await write_article(resources, ann, "Untagged", ["gone"])
    published.clear()
    view = await update(resources, ann, "untagged", tagList=[])
    assert view.tag_list == []
    [event] = published.events
    assert isinstance(event, ArticleUpdated)
    assert (event.tags, event.previous_tags) == ((), ("gone",))


async def test_an_update_that_gives_no_field_records_no_event(
    resources: Resources, ann: Principal, published: Published
) -> None:
    created = await write_article(resources, ann, "Untouched")
    published.clear()
    view = await update(resources, ann, "untouched")
    assert view.updated_at == created.updated_at
    assert published.batches == []


async def test_an_edit_that_repeats_the_current_values_records_no_event(
    resources: Resources, ann: Principal, published: Published
) -> None:
    await write_article(resources, ann, "Same", ["kept"])
    published.clear()
    await update(resources, ann, "same", title="Same", body="The body", tagList=["kept"])
    assert published.batches == []


async def test_editing_another_users_article_is_forbidden_and_changes_nothing(
    resources: Resources, ann: Principal, bob: Principal, published: Published
) -> None:
    await write_article(resources, ann, "Mine", ["kept"])
    published.clear()
    with pytest.raises(Forbidden) as caught:
        await update(resources, bob, "mine", title="Stolen", tagList=[])
    assert caught.value.fields == {"article": ["forbidden"]}
    assert published.batches == []
    view = await articles.get_article(resources.database, None, "mine")
    assert (view.title, view.tag_list) == ("Mine", ["kept"])


async def test_an_admin_may_not_edit_another_users_article(
    resources: Resources, ann: Principal, admin: Principal, published: Published
) -> None:
    await write_article(resources, ann, "Mine")
    published.clear()
    with pytest.raises(Forbidden):
        await update(resources, admin, "mine", body="Edited by an admin")
    assert published.batches == []
    assert (await articles.get_article(resources.database, None, "mine")).body == "The body"


async def test_updating_an_unknown_slug_is_not_found(resources: Resources, ann: Principal) -> None:
    with pytest.raises(NotFound):
        await update(resources, ann, "nothing-here", body="x")


# delete_article


async def test_delete_records_the_rows_it_cascades_to(
    resources: Resources, ann: Principal, bob: Principal, published: Published
) -> None:
    created = await write_article(resources, ann, "Doomed", ["zz", "aa"])
    await articles.favorite(resources.database, bob, "doomed")
    await articles.favorite(resources.database, ann, "doomed")
    first = await write_comment(resources, bob, "doomed")
    second = await write_comment(resources, ann, "doomed")
    published.clear()
    await articles.delete_article(resources.database, ann, "doomed", client=ClientInfo())
    assert published.batches == [
        [
            ArticleDeleted(
                article_id=created.id,
                author_id=ann.user_id,
                slug="doomed",
                tags=("zz", "aa"),
                favorited_by=tuple(sorted([ann.user_id, bob.user_id])),
                comment_ids=tuple(sorted([first.id, second.id])),
            )
        ]
    ]
    for table in ("article", "favorite", "comment", "article_tag"):
        assert await count(resources, table) == 0, table
    with pytest.raises(NotFound):
        await articles.get_article(resources.database, None, "doomed")


async def test_deleting_another_users_article_is_forbidden(
    resources: Resources, ann: Principal, bob: Principal, published: Published
) -> None:
    await write_article(resources, ann, "Mine")
    published.clear()
    with pytest.raises(Forbidden) as caught:
        await articles.delete_article(resources.database, bob, "mine", client=ClientInfo())
    assert caught.value.fields == {"article": ["forbidden"]}
    assert published.batches == []
    assert await count(resources, "article") == 1


async def test_an_admin_may_delete_any_article(
    resources: Resources, ann: Principal, admin: Principal, published: Published
) -> None:
    created = await write_article(resources, ann, "Spam")
    published.clear()
    await articles.delete_article(resources.database, admin, "spam", client=ClientInfo())
    [event] = published.events
    assert isinstance(event, ArticleDeleted)
    assert (event.article_id, event.author_id) == (created.id, ann.user_id)
    assert await count(resources, "article") == 0


async def test_deleting_an_unknown_slug_is_not_found(
    resources: Resources, ann: Principal, published: Published
) -> None:
    with pytest.raises(NotFound):
        await articles.delete_article(resources.database, ann, "nothing-here", client=ClientInfo())
    assert published.batches == []


# favorite / unfavorite


async def test_favorite_counts_once_and_records_favorite_added_once(
    resources: Resources, ann: Principal, bob: Principal, published: Published
) -> None:
    created = await write_article(resources, ann, "Liked")
    published.clear()
    view = await articles.favorite(resources.database, bob, "liked")
    assert (view.favorited, view.favorites_count) == (True, 1)
    assert published.batches == [[FavoriteAdded(article_id=created.id, user_id=bob.user_id)]]
    published.clear()
    again = await articles.favorite(resources.database, bob, "liked")
    assert (again.favorited, again.favorites_count) == (True, 1)
    assert published.batches == []


async def test_unfavorite_records_favorite_removed_only_when_there_was_one(
    resources: Resources, ann: Principal, bob: Principal, published: Published
) -> None:
    created = await write_article(resources, ann, "Liked")
    await articles.favorite(resources.database, bob, "liked")
    published.clear()
    view = await articles.unfavorite(resources.database, bob, "liked")
    assert (view.favorited, view.favorites_count) == (False, 0)
    assert published.batches == [[FavoriteRemoved(article_id=created.id, user_id=bob.user_id)]]
    published.clear()
    again = await articles.unfavorite(resources.database, bob, "liked")
    assert (again.favorited, again.favorites_count) == (False, 0)
    assert published.batches == []


async def test_favorites_of_several_users_add_up(
    resources: Resources, ann: Principal, bob: Principal
) -> None:
    await write_article(resources, ann, "Popular")
    await articles.favorite(resources.database, ann, "popular")
    view = await articles.favorite(resources.database, bob, "popular")
    assert view.favorites_count == 2


@pytest.mark.parametrize("on", [True, False])
async def test_favoriting_an_unknown_slug_is_not_found(
    resources: Resources, ann: Principal, published: Published, on: bool
) -> None:
    action = articles.favorite if on else articles.unfavorite
    with pytest.raises(NotFound) as caught:
        await action(resources.database, ann, "nothing-here")
    assert caught.value.fields == {"article": ["not found"]}
    assert published.batches == []


# list_articles / feed / list_tags


async def test_list_articles_is_newest_first_without_bodies(
    resources: Resources, ann: Principal, bob: Principal
) -> None:
    for title in ("First", "Second", "Third"):
        await write_article(resources, ann, title)
    page = await articles.list_articles(resources.database, bob, ArticleFilter(), FIRST_PAGE)
    assert [item.slug for item in page.items] == ["third", "second", "first"]
    assert page.total == 3
    assert not page.has_next
    assert all(item.body is None for item in page.items)


async def test_list_articles_pages_by_limit_and_offset(
    resources: Resources, ann: Principal
) -> None:
    for title in ("First", "Second", "Third"):
        await write_article(resources, ann, title)
    page = await articles.list_articles(
        resources.database, None, ArticleFilter(), Page(limit=1, offset=1)
    )
    assert [item.slug for item in page.items] == ["second"]
    assert (page.total, page.has_next) == (3, True)


async def test_list_articles_filters_by_tag_author_and_favoriter(
    resources: Resources, ann: Principal, bob: Principal
) -> None:
    await write_article(resources, ann, "Anns tagged", ["x"])
    await write_article(resources, ann, "Anns plain")
    await write_article(resources, bob, "Bobs tagged", ["x"])
    await articles.favorite(resources.database, bob, "anns-plain")
    assert await listed(resources, tag="x") == ["bobs-tagged", "anns-tagged"]
    assert await listed(resources, author="ann") == ["anns-plain", "anns-tagged"]
    assert await listed(resources, favorited="bob") == ["anns-plain"]
    assert await listed(resources, author="ann", tag="x") == ["anns-tagged"]
    assert await listed(resources, tag="unknown") == []
    assert await listed(resources, author="nobody") == []


async def test_the_feed_holds_only_articles_by_followed_authors(
    resources: Resources, ann: Principal, bob: Principal, admin: Principal
) -> None:
    await write_article(resources, ann, "By ann")
    await write_article(resources, admin, "By root")
    await write_article(resources, bob, "By bob")
    assert (await articles.feed(resources.database, bob, FIRST_PAGE)).items == []
    await profiles.follow(resources.database, bob, "ann")
    feed = await articles.feed(resources.database, bob, FIRST_PAGE)
    assert [item.slug for item in feed.items] == ["by-ann"]
    assert feed.total == 1
    assert feed.items[0].author.following


async def test_list_tags_is_most_used_first_then_by_code_point(
    resources: Resources, ann: Principal
) -> None:
    await write_article(resources, ann, "One", ["rare", "common", "b", "B"])
    await write_article(resources, ann, "Two", ["common"])
    assert await articles.list_tags(resources.database) == ["common", "B", "b", "rare"]
