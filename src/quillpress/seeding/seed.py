"""Seeding an empty database with the demo blog (``seeding.generate`` makes it).

Generation is pure and runs before any connection is opened; the writes are bulk
inserts in one transaction, never per-row objects, and only into an empty database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from quillpress.db.database import Database
from quillpress.domain.errors import Conflict
from quillpress.infra.passwords import PasswordHasher
from quillpress.repositories import counters
from quillpress.repositories import seed as seed_repo
from quillpress.seeding.generate import generate
from quillpress.seeding.plan import SeedPlan

DEMO_PASSWORD = "password123"  # noqa: S105 (documented demo password, never for real accounts)
"""Every demo account signs in with this password (documented in the README)."""

Progress = Callable[[str, int, int], None]
"""``(stage, rows written so far, rows in total)``."""


@dataclass(frozen=True, slots=True)
class SeedSummary:
    counts: dict[str, int] = field(default_factory=dict)


async def database_has_users(db: Database) -> bool:
    async with db.read() as conn:
        return await seed_repo.has_users(conn)


def _not_empty() -> Conflict:
    return Conflict({"database": ["already has users; seed only an empty database"]})


def _ignore_progress(_stage: str, _done: int, _total: int) -> None:
    return None


async def seed_demo(
    db: Database,
    passwords: PasswordHasher,
    plan: SeedPlan,
    progress: Progress = _ignore_progress,
) -> SeedSummary:
    """Fill an empty database with ``generate(plan)``; ``Conflict`` if it has users.

    The demo password is hashed once and shared by every account (a hash per user would
    cost ~0.2 s each). All rows go in one transaction: a failure leaves nothing behind."""
    if await database_has_users(db):
        raise _not_empty()
    data = generate(plan)
    password_hash = await passwords.hash(DEMO_PASSWORD)
    counts = {
        "users": len(data.users),
        "tags": len(data.tags),
        "articles": len(data.articles),
        "article tags": sum(len(article.tags) for article in data.articles),
        "follows": len(data.follows),
        "favorites": sum(len(article.favorited_by) for article in data.articles),
        "comments": sum(len(article.comments) for article in data.articles),
    }
    total, done = sum(counts.values()), 0

    def step(stage: str) -> Callable[[int], None]:
        def advance(rows: int) -> None:
            nonlocal done
            done += rows
            progress(stage, done, total)

        return advance

    progress("users", 0, total)
    async with db.write() as tx:
        conn = tx.conn
        if await seed_repo.has_users(conn):  # someone got there first; checked under the lock
            raise _not_empty()
        user_ids = await seed_repo.insert_users(
            conn,
            [
                {
                    "username": user.username,
                    "email": user.email,
                    "password_hash": password_hash,
                    "bio": user.bio,
                    "image": user.image,
                    "role": "user",
                    "created_at": user.created_at,
                    "updated_at": user.created_at,
                }
                for user in data.users
            ],
            step("users"),
        )
        tag_ids = await seed_repo.ensure_tags(conn, data.tags, step("tags"))
        article_ids = await seed_repo.insert_articles(
            conn,
            [
                {
                    "slug": article.slug,
                    "title": article.title,
                    "description": article.description,
                    "body": article.body,
                    "author_id": user_ids[article.author],
                    "created_at": article.created_at,
                    "updated_at": article.updated_at,
                }
                for article in data.articles
            ],
            step("articles"),
        )
        pairs = list(zip(article_ids, data.articles, strict=True))
        await seed_repo.insert_article_tags(
            conn,
            [
                {"article_id": article_id, "tag_id": tag_ids[name], "position": position}
                for article_id, article in pairs
                for position, name in enumerate(article.tags)
            ],
            step("article tags"),
        )
        await seed_repo.insert_follows(
            conn,
            [
                {"follower_id": user_ids[a], "followed_id": user_ids[b], "created_at": at}
                for a, b, at in data.follows
            ],
            step("follows"),
        )
        await seed_repo.insert_favorites(
            conn,
            [
                {"user_id": user_ids[fan], "article_id": article_id, "created_at": at}
                for article_id, article in pairs
                for fan, at in article.favorited_by
            ],
            step("favorites"),
        )
        await seed_repo.insert_comments(
            conn,
            [
                {
                    "body": comment.body,
                    "article_id": article_id,
                    "author_id": user_ids[comment.author],
                    "created_at": comment.created_at,
                    "updated_at": comment.created_at,
                }
                for article_id, article in pairs
                for comment in article.comments
            ],
            step("comments"),
        )
        await counters.recount(conn)  # bulk inserts bypass the writes that keep them
    return SeedSummary(counts=counts)
