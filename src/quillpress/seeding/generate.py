"""The demo blog as plain data, generated from a seed alone: no clock, no database.

Its shape is fixed to match the measurements in the design notes, so benchmark figures
stay comparable: about five tags per article from a pool of a few hundred (a few popular,
a long tail), a few favorites and comments per article, follows among users. Timestamps
count back from a fixed base date, so they are reproducible and always in the past."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from quillpress.seeding import text as vocab
from quillpress.services.slugs import candidates, slug_base

BASE_DATE = datetime(2026, 1, 1, tzinfo=UTC)
"""All demo timestamps lie before this instant."""


@dataclass(frozen=True, slots=True)
class SeedPlan:
    users: int = 50
    articles: int = 500
    seed: int = 42


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    email: str
    bio: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DemoComment:
    author: int  # index into DemoData.users
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DemoArticle:
    slug: str
    title: str
    description: str
    body: str
    author: int  # index into DemoData.users
    created_at: datetime
    updated_at: datetime
    tags: list[str]
    favorited_by: list[tuple[int, datetime]]  # (index into DemoData.users, at)
    comments: list[DemoComment]


@dataclass(frozen=True, slots=True)
class DemoData:
    users: list[DemoUser]
    tags: list[str]
    articles: list[DemoArticle]  # oldest first, so ids grow with time
    follows: list[tuple[int, int, datetime]]  # (follower index, followed index, at)


class _Text:
    """Readable filler from a small vocabulary; one ``choices`` call per sentence keeps
    ten thousand article bodies to about a second."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def sentence(self, low: int = 6, high: int = 16) -> str:
        words = self.rng.choices(vocab.WORDS, k=self.rng.randint(low, high))
        return " ".join(words).capitalize() + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(3, 6)))

    def body(self) -> str:
        return "\n\n".join(self.paragraph() for _ in range(self.rng.randint(3, 6)))


def _ago(rng: random.Random, *, low: timedelta, high: timedelta) -> datetime:
    """A whole second between ``high`` and ``low`` before the base date."""
    seconds = rng.randint(int(low.total_seconds()), int(high.total_seconds()))
    return BASE_DATE - timedelta(seconds=seconds)


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.randint(0, max(0, int((end - start).total_seconds()))))


def _users(rng: random.Random, count: int) -> list[DemoUser]:
    users: list[DemoUser] = []
    taken: set[str] = set()
    for index in range(count):
        name = f"{rng.choice(vocab.FIRST)}_{rng.choice(vocab.LAST)}"
        username = name if name not in taken else f"{name}{index}"
        taken.add(username)
        users.append(
            DemoUser(
                username=username,
                email=f"{username}@example.com",
                bio=rng.choice(vocab.BIOS) if rng.random() < 0.6 else None,
                created_at=_ago(rng, low=timedelta(days=400), high=timedelta(days=800)),
            )
        )
    return users


def _tag_pool() -> list[str]:
    """A few hundred names; earlier ones are drawn more often (popular tags, long tail)."""
    return [topic + suffix for suffix in vocab.TAG_SUFFIXES for topic in vocab.TOPICS]


def _pick_tags(rng: random.Random, pool: Sequence[str], cum_weights: Sequence[float]) -> list[str]:
    wanted = rng.randint(3, 7)
    picked: dict[str, None] = {}
    while len(picked) < wanted:
        picked.update(dict.fromkeys(rng.choices(pool, cum_weights=cum_weights, k=wanted)))
    return list(picked)[:wanted]


def _title(rng: random.Random, taken: set[str]) -> str:
    closer = rng.choice(vocab.CLOSERS)
    title = f"{rng.choice(vocab.OPENERS)} {rng.choice(vocab.TOPICS)}" + (
        f" {closer}" if closer else ""
    )
    part, candidate = 2, title
    while candidate in taken:
        candidate, part = f"{title}, part {part}", part + 1
    taken.add(candidate)
    return candidate


def _articles(rng: random.Random, users: list[DemoUser], count: int) -> list[DemoArticle]:
    text = _Text(rng)
    pool = _tag_pool()
    cum_weights = list(accumulate(1 / (rank + 5) for rank in range(len(pool))))
    times = sorted(
        _ago(rng, low=timedelta(minutes=1), high=timedelta(days=365)) for _ in range(count)
    )
    titles: set[str] = set()
    slugs: set[str] = set()
    articles: list[DemoArticle] = []
    for created_at in times:
        title = _title(rng, titles)
        slug = next(candidates(slug_base(title), slugs))
        slugs.add(slug)
        edited = rng.random() < 0.2
        comments = [
            DemoComment(
                author=rng.randrange(len(users)),
                body=text.sentence(4, 24),
                created_at=_between(rng, created_at, BASE_DATE - timedelta(seconds=1)),
            )
            for _ in range(rng.randint(0, 5))
        ]
        articles.append(
            DemoArticle(
                slug=slug,
                title=title,
                description=text.sentence(8, 18),
                body=text.body(),
                author=rng.randrange(len(users)),
                created_at=created_at,
                updated_at=_between(rng, created_at, BASE_DATE - timedelta(seconds=1))
                if edited
                else created_at,
                tags=_pick_tags(rng, pool, cum_weights),
                favorited_by=[
                    (fan, _between(rng, created_at, BASE_DATE - timedelta(seconds=1)))
                    for fan in rng.sample(range(len(users)), min(len(users), rng.randint(0, 10)))
                ],
                comments=sorted(comments, key=lambda comment: comment.created_at),
            )
        )
    return articles


def _follows(rng: random.Random, users: list[DemoUser]) -> list[tuple[int, int, datetime]]:
    follows: list[tuple[int, int, datetime]] = []
    others = len(users) - 1
    for follower in range(len(users)):
        # Sample among the others without building a list per user: skip over oneself.
        for drawn in rng.sample(range(others), min(others, rng.randint(0, 10))):
            followed = drawn + (drawn >= follower)
            at = _ago(rng, low=timedelta(minutes=1), high=timedelta(days=365))
            follows.append((follower, followed, at))
    return follows


def generate(plan: SeedPlan) -> DemoData:
    """The whole data set, from ``plan.seed`` alone (no clock, no database)."""
    if plan.users < 1 and plan.articles > 0:
        raise ValueError("articles need at least one user to write them")
    rng = random.Random(plan.seed)
    users = _users(rng, plan.users)
    articles = _articles(rng, users, plan.articles)
    follows = _follows(rng, users)
    tags = list(dict.fromkeys(tag for article in articles for tag in article.tags))
    return DemoData(users=users, tags=tags, articles=articles, follows=follows)
