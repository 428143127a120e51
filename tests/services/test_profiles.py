"""``services.profiles``: reading profiles, and following (idempotent both ways, with an
event only for a real change)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from quillpress.db.database import Database
from quillpress.domain.auth import Principal
from quillpress.domain.errors import Invalid, NotFound
from quillpress.domain.events import FollowAdded, FollowRemoved
from quillpress.domain.views import ProfileView
from quillpress.infra.resources import Resources
from quillpress.services import profiles
from tests.services.conftest import Published, scalar

SetFollowing = Callable[[Database, Principal, str], Awaitable[ProfileView]]


async def follows(resources: Resources) -> int:
    return int(await scalar(resources, "SELECT count(*) FROM follow"))


async def test_a_profile_is_found_by_username_in_any_case(
    resources: Resources, ann: Principal
) -> None:
    view = await profiles.get_profile(resources.database, None, "ANN")
    assert view == ProfileView(
        id=ann.user_id, username="ann", bio=None, image=None, following=False
    )


async def test_an_unknown_profile_is_not_found(resources: Resources) -> None:
    with pytest.raises(NotFound) as caught:
        await profiles.get_profile(resources.database, None, "nobody")
    assert caught.value.fields == {"profile": ["not found"]}


async def test_follow_returns_the_followed_profile_and_records_follow_added(
    resources: Resources, ann: Principal, bob: Principal, published: Published
) -> None:
    view = await profiles.follow(resources.database, ann, "bob")
    assert (view.id, view.username, view.following) == (bob.user_id, "bob", True)
    assert published.batches == [[FollowAdded(follower_id=ann.user_id, followed_id=bob.user_id)]]
    assert (await profiles.get_profile(resources.database, ann, "bob")).following
    assert not (await profiles.get_profile(resources.database, None, "bob")).following
    assert not (await profiles.get_profile(resources.database, bob, "ann")).following


async def test_following_twice_is_a_no_op_without_an_event(
    resources: Resources, ann: Principal, bob: Principal, published: Published
) -> None:
    await profiles.follow(resources.database, ann, "bob")
    published.clear()
    view = await profiles.follow(resources.database, ann, "BOB")
    assert view.following
    assert published.batches == []
    assert await follows(resources) == 1


async def test_unfollow_records_follow_removed(
    resources: Resources, ann: Principal, bob: Principal, published: Published
) -> None:
    await profiles.follow(resources.database, ann, "bob")
    published.clear()
    view = await profiles.unfollow(resources.database, ann, "bob")
    assert not view.following
    assert published.batches == [[FollowRemoved(follower_id=ann.user_id, followed_id=bob.user_id)]]
    assert await follows(resources) == 0


async def test_unfollowing_who_you_do_not_follow_is_a_no_op_without_an_event(
    resources: Resources, ann: Principal, bob: Principal, published: Published
) -> None:
    await profiles.follow(resources.database, bob, "ann")  # the other direction stays
    published.clear()
    view = await profiles.unfollow(resources.database, ann, "bob")
    assert not view.following
    assert published.batches == []
    assert await follows(resources) == 1


async def test_following_yourself_is_invalid_and_stores_nothing(
    resources: Resources, ann: Principal, published: Published
) -> None:
    with pytest.raises(Invalid) as caught:
        await profiles.follow(resources.database, ann, "Ann")
    assert caught.value.fields == {"profile": ["cannot follow yourself"]}
    assert published.batches == []
    assert await follows(resources) == 0


async def test_unfollowing_yourself_is_a_harmless_no_op(
    resources: Resources, ann: Principal, published: Published
) -> None:
    view = await profiles.unfollow(resources.database, ann, "ann")
    assert not view.following
    assert published.batches == []


@pytest.mark.parametrize("action", [profiles.follow, profiles.unfollow])
async def test_following_an_unknown_profile_is_not_found(
    resources: Resources, ann: Principal, published: Published, action: SetFollowing
) -> None:
    with pytest.raises(NotFound) as caught:
        await action(resources.database, ann, "nobody")
    assert caught.value.fields == {"profile": ["not found"]}
    assert published.batches == []
