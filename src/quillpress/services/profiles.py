"""Profiles and follows."""

from __future__ import annotations

from quillpress.db.database import opened
from quillpress.domain.auth import Principal, Viewer, viewer_id
from quillpress.domain.clock import utcnow
from quillpress.domain.errors import Invalid, NotFound
from quillpress.domain.events import FollowAdded, FollowRemoved
from quillpress.domain.views import ProfileView
from quillpress.infra import cache_keys
from quillpress.infra.resources import Store
from quillpress.repositories import users as user_repo
from quillpress.services import read_tags
from quillpress.services.assemble import profile_view


async def get_profile(db: Store, viewer: Viewer, username: str) -> ProfileView:
    async with opened(db).read() as conn:
        row = await user_repo.get_profile(conn, username, viewer_id=viewer_id(viewer))
    if row is None:
        read_tags.note(cache_keys.uid(username))  # until someone takes the name
        raise NotFound("profile")
    view = profile_view(row)
    read_tags.profiles([view])
    return view


async def _set_following(
    db: Store, principal: Principal, username: str, *, on: bool
) -> ProfileView:
    """Idempotent both ways. Following yourself is refused (the database forbids it too)."""
    async with opened(db).write() as tx:
        target = await user_repo.get_id_by_username(tx.conn, username)
        if target is None:
            raise NotFound("profile")
        if on and target == principal.user_id:
            raise Invalid({"profile": ["cannot follow yourself"]})
        pair = {"follower_id": principal.user_id, "followed_id": target}
        if on and await user_repo.follow(tx.conn, **pair, now=utcnow()):
            tx.record(FollowAdded(**pair))
        if not on and await user_repo.unfollow(tx.conn, **pair):
            tx.record(FollowRemoved(**pair))
        # Read back inside the transaction: the answer is ready once the commit returns.
        row = await user_repo.get_profile(tx.conn, username, viewer_id=principal.user_id)
    assert row is not None  # found above, in this very transaction
    view = profile_view(row)
    read_tags.profiles([view])
    return view


async def follow(db: Store, principal: Principal, username: str) -> ProfileView:
    return await _set_following(db, principal, username, on=True)


async def unfollow(db: Store, principal: Principal, username: str) -> ProfileView:
    return await _set_following(db, principal, username, on=False)
