"""Rows to views for a whole page: one extra query (tags) per page, never per row."""

from __future__ import annotations

from collections.abc import Sequence

from quillpress.db.database import Connection
from quillpress.domain.views import ArticleView, CommentView, ProfileView
from quillpress.repositories import listings
from quillpress.repositories.comments import CommentRow
from quillpress.repositories.listings import ArticleRow
from quillpress.repositories.users import ProfileRow


def profile_view(row: ProfileRow) -> ProfileView:
    return ProfileView(
        id=row.id,
        username=row.username,
        bio=row.bio,
        image=row.image,
        following=bool(row.following),
    )


def author_view(row: ArticleRow | CommentRow) -> ProfileView:
    """The author's profile, read from the columns an article or a comment carries."""
    return ProfileView(
        id=row.author_id,
        username=row.username,
        bio=row.bio,
        image=row.image,
        following=bool(row.following),
    )


def article_view(row: ArticleRow, tags: list[str], *, with_body: bool) -> ArticleView:
    return ArticleView(
        id=row.id,
        slug=row.slug,
        title=row.title,
        description=row.description,
        body=row.body if with_body else None,
        # By name, by code point, on every backend: the RealWorld test collections
        # expect ["dragons", "training"] back for ["training", "dragons"].
        tag_list=sorted(tags),
        created_at=row.created_at,
        updated_at=row.updated_at,
        favorited=bool(row.favorited),
        favorites_count=row.favorites_count,
        author=author_view(row),
    )


def article_views_from(
    rows: Sequence[ArticleRow], tags: dict[int, list[str]], *, with_body: bool
) -> list[ArticleView]:
    return [article_view(row, tags[row.id], with_body=with_body) for row in rows]


async def article_views(
    conn: Connection, rows: Sequence[ArticleRow], *, with_body: bool = False
) -> list[ArticleView]:
    """Views for rows that came without their tags: one batched tag query for all of them."""
    tags = await listings.tags_many(conn, [row.id for row in rows])
    return article_views_from(rows, tags, with_body=with_body)


def comment_view(row: CommentRow) -> CommentView:
    return CommentView(
        id=row.id,
        body=row.body,
        created_at=row.created_at,
        updated_at=row.updated_at,
        author=author_view(row),
    )
