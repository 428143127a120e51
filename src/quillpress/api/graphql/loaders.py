"""DataLoaders for the graph edges REST does not have. Each batch calls one batch-shaped
use case, so every nesting level costs one round of statements, whatever the page size.

Every batch opens its own read connection: concurrent resolvers never share a connection."""

from __future__ import annotations

from collections.abc import Sequence

from aiodataloader import DataLoader

from quillpress.domain.auth import Principal
from quillpress.domain.commands import Group, Page
from quillpress.domain.views import ArticleView, CommentView, Paged
from quillpress.infra.resources import Store
from quillpress.services import articles as article_service
from quillpress.services import comments as comment_service
from quillpress.services.articles import PageFields

PagesKey = tuple[Group, Page, PageFields]


class Loaders:
    def __init__(self, db: Store, viewer: Principal | None) -> None:
        self._db = db
        self._viewer = viewer
        self.comments: DataLoader[int, list[CommentView]] = DataLoader(self._comments)
        self._pages: dict[PagesKey, DataLoader[int, Paged[ArticleView]]] = {}

    async def _comments(self, article_ids: Sequence[int]) -> list[list[CommentView]]:
        found = await comment_service.comments_per_article(self._db, self._viewer, article_ids)
        return [found[article_id] for article_id in article_ids]

    def article_pages(
        self, group: Group, page: Page, wanted: PageFields
    ) -> DataLoader[int, Paged[ArticleView]]:
        """One loader per distinct (edge, page arguments, wanted): keys are user ids."""
        key = (group, page, wanted)
        loader = self._pages.get(key)
        if loader is None:

            async def batch(user_ids: Sequence[int]) -> list[Paged[ArticleView]]:
                found = await article_service.articles_per_group(
                    self._db, self._viewer, group, user_ids, page, wanted
                )
                return [found[user_id] for user_id in user_ids]

            loader = self._pages[key] = DataLoader(batch)
        return loader
