"""The demo blog as plain data (``seeding.plan``), generated from the plan alone: no clock,
no database.

Tags come from a pool of ``plan.tags`` names drawn with a Zipf-like skew (a few popular, a
long tail); an article's first tag names its topic, so its title, body and code block are
about the same thing. Users get a bio and a generated avatar most of the time."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import accumulate

from quillpress.infra import avatars
from quillpress.seeding import text
from quillpress.seeding.plan import (
    BASE_DATE,
    MAX_TAGS,
    DemoArticle,
    DemoComment,
    DemoData,
    DemoUser,
    SeedPlan,
)
from quillpress.seeding.prose import Prose
from quillpress.seeding.text import Topic
from quillpress.services.slugs import candidates, slug_base

WITH_BIO = 0.85
WITH_AVATAR = 0.85


def _ago(rng: random.Random, *, low: timedelta, high: timedelta) -> datetime:
    """A whole second between ``high`` and ``low`` before the base date."""
    seconds = rng.randint(int(low.total_seconds()), int(high.total_seconds()))
    return BASE_DATE - timedelta(seconds=seconds)


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.randint(0, max(0, int((end - start).total_seconds()))))


def _users(rng: random.Random, prose: Prose, plan: SeedPlan) -> list[DemoUser]:
    users: list[DemoUser] = []
    taken: set[str] = set()
    for index in range(plan.users):
        name = f"{rng.choice(text.FIRST)}_{rng.choice(text.LAST)}"
        username = name if name not in taken else f"{name}{index}"
        taken.add(username)
        users.append(
            DemoUser(
                username=username,
                email=f"{username}@example.com",
                bio=prose.bio() if rng.random() < WITH_BIO else None,
                image=avatars.url(plan.public_url, username)
                if rng.random() < WITH_AVATAR
                else None,
                created_at=_ago(rng, low=timedelta(days=400), high=timedelta(days=800)),
            )
        )
    return users


def tag_pool(size: int) -> list[tuple[str, Topic]]:
    """The ``size`` most popular tags, each with the topic it is about.

    Bare topic names come first, most popular first; past them, suffixed variants
    ("python-tips"…) make the long tail a benchmark's few hundred tags need."""
    if not 1 <= size <= MAX_TAGS:
        raise ValueError(f"the tag pool holds 1 to {MAX_TAGS} tags, not {size}")
    pool = [(topic.tag + suffix, topic) for suffix in text.TAG_SUFFIXES for topic in text.TOPICS]
    return pool[:size]


def tag_weights(size: int) -> list[float]:
    """Cumulative weights ``1 / (rank + k)``: Zipf-like, the first tag most often drawn.

    ``k`` grows with the pool so a big one keeps a flatter head: a few hundred tags get
    ``k = 5``, the distribution the benchmarks were measured with; the default thirty get
    ``k = 1``, so the top tag appears on several times more articles than the median one."""
    offset = max(1, size // 60)
    return list(accumulate(1 / (rank + offset) for rank in range(size)))


def _pick_tags(rng: random.Random, pool: Sequence[str], cum_weights: Sequence[float]) -> list[str]:
    wanted = min(rng.randint(3, 7), len(pool))
    picked: dict[str, None] = {}
    while len(picked) < wanted:
        picked.update(dict.fromkeys(rng.choices(pool, cum_weights=cum_weights, k=wanted)))
    return list(picked)[:wanted]


def _unique(title: str, taken: set[str]) -> str:
    part, candidate = 2, title
    while candidate in taken:
        candidate, part = f"{title}, part {part}", part + 1
    taken.add(candidate)
    return candidate


def _articles(
    rng: random.Random, prose: Prose, users: list[DemoUser], plan: SeedPlan
) -> list[DemoArticle]:
    pool = tag_pool(plan.tags)
    names = [name for name, _ in pool]
    topics = dict(pool)
    cum_weights = tag_weights(plan.tags)
    times = sorted(
        _ago(rng, low=timedelta(minutes=1), high=timedelta(days=365)) for _ in range(plan.articles)
    )
    titles: set[str] = set()
    slugs: set[str] = set()
    articles: list[DemoArticle] = []
    last = BASE_DATE - timedelta(seconds=1)
    for created_at in times:
        tags = _pick_tags(rng, names, cum_weights)
        topic = topics[tags[0]]
        subject = prose.subject(topic)
        title = _unique(prose.title(topic, subject), titles)
        slug = next(candidates(slug_base(title), slugs))
        slugs.add(slug)
        edited = rng.random() < 0.2
        comments = [
            DemoComment(
                author=rng.randrange(len(users)),
                body=prose.comment(subject),
                created_at=_between(rng, created_at, last),
            )
            for _ in range(rng.randint(0, 5))
        ]
        articles.append(
            DemoArticle(
                slug=slug,
                title=title,
                description=prose.description(topic, subject),
                body=prose.body(topic, subject),
                author=rng.randrange(len(users)),
                created_at=created_at,
                updated_at=_between(rng, created_at, last) if edited else created_at,
                tags=tags,
                favorited_by=[
                    (fan, _between(rng, created_at, last))
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
    """The whole data set, from the plan alone (no clock, no database)."""
    if plan.users < 1 and plan.articles > 0:
        raise ValueError("articles need at least one user to write them")
    tag_pool(plan.tags)  # refuses an impossible pool before any work
    rng = random.Random(plan.seed)
    prose = Prose(rng)
    users = _users(rng, prose, plan)
    articles = _articles(rng, prose, users, plan)
    follows = _follows(rng, users)
    tags = list(dict.fromkeys(tag for article in articles for tag in article.tags))
    return DemoData(users=users, tags=tags, articles=articles, follows=follows)
