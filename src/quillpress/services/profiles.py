"""Profiles and follows."""

from __future__ import annotations

from quillpress.db.base import utcnow
from quillpress.db.database import Database
from quillpress.domain.auth import Principal, Viewer, viewer_id
from quillpress.domain.errors import Invalid, NotFound
from quillpress.domain.views import ProfileView
from quillpress.repositories import users as user_repo
from quillpress.services.assemble import profile_view


async def get_profile(db: Database, viewer: Viewer, username: str) -> ProfileView:
    async with db.read() as conn:
        row = await user_repo.get_profile(conn, username, viewer_id=viewer_id(viewer))
    if row is None:
        raise NotFound("profile")
    return profile_view(row, id_field="id")


async def _set_following(
    db: Database, principal: Principal, username: str, *, on: bool
) -> ProfileView:
    """Idempotent both ways. Following yourself is refused (the database forbids it too)."""
    async with db.write() as conn:
        target = await user_repo.get_id_by_username(conn, username)
        if target is None:
            raise NotFound("profile")
        if on and target == principal.user_id:
            raise Invalid({"profile": ["cannot follow yourself"]})
        if on:
            await user_repo.follow(
                conn, follower_id=principal.user_id, followed_id=target, now=utcnow()
            )
        else:
            await user_repo.unfollow(conn, follower_id=principal.user_id, followed_id=target)
        row = await user_repo.get_profile(conn, username, viewer_id=principal.user_id)
    assert row is not None
    return profile_view(row, id_field="id")


async def follow(db: Database, principal: Principal, username: str) -> ProfileView:
    return await _set_following(db, principal, username, on=True)


async def unfollow(db: Database, principal: Principal, username: str) -> ProfileView:
    return await _set_following(db, principal, username, on=False)
