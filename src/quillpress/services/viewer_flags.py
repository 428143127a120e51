"""The viewer's ``favorited`` and ``following`` flags for shared content.

An article's facts are the same for everyone; these two flags belong to the viewer. The
response cache serves the shared facts and asks this use case for the flags of the ids a
cached answer shows: one statement, whatever the page size."""

from __future__ import annotations

from collections.abc import Collection

from quillpress.db.database import opened
from quillpress.domain.auth import Principal
from quillpress.infra.resources import Store
from quillpress.repositories import viewer_flags as flag_repo
from quillpress.repositories.viewer_flags import NO_FLAGS, ViewerFlags

__all__ = ["ViewerFlags", "flags"]


async def flags(
    db: Store, viewer: Principal, *, article_ids: Collection[int], author_ids: Collection[int]
) -> ViewerFlags:
    if not article_ids and not author_ids:
        return NO_FLAGS
    async with opened(db).read() as conn:
        return await flag_repo.viewer_flags(
            conn, viewer.user_id, article_ids=article_ids, author_ids=author_ids
        )
