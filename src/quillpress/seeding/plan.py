"""What the demo blog is made of: the plan that asks for it and the plain data it yields.

Its shape is fixed to match the measurements in the design notes, so benchmark figures stay
comparable: about five tags per article, a few favorites and comments per article, follows
among users. Timestamps count back from a fixed base date, so they are reproducible and
always in the past."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from quillpress.seeding.text import TAG_SUFFIXES, TOPICS

BASE_DATE = datetime(2026, 1, 1, tzinfo=UTC)
"""All demo timestamps lie before this instant."""

DEFAULT_TAGS = 30
"""A tag pool a front end's popular-tags box can show; benchmarks ask for a few hundred."""
MAX_TAGS = len(TOPICS) * len(TAG_SUFFIXES)

LOCAL_URL = "http://127.0.0.1:8000"
"""Where ``quillpress serve`` listens by default: the avatar base when none is configured."""


@dataclass(frozen=True, slots=True)
class SeedPlan:
    users: int = 50
    articles: int = 500
    seed: int = 42
    tags: int = DEFAULT_TAGS  # size of the pool articles draw their tags from
    public_url: str = LOCAL_URL  # avatar URLs are absolute, under this base (no trailing /)


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    email: str
    bio: str | None
    image: str | None  # absolute URL of a generated avatar
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
    tags: list[str]  # the tags articles use, each once
    articles: list[DemoArticle]  # oldest first, so ids grow with time
    follows: list[tuple[int, int, datetime]]  # (follower index, followed index, at)
