"""The seam between a write and its change events: events are published once, after the
commit, never after a rollback; subscribers cannot undo or fail a committed write; and a
write whose principal vanished under a live token is ``Unauthenticated``."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence

import pytest
from sqlalchemy import text

from quillpress.db.database import Database
from quillpress.db.engine import create_engine
from quillpress.domain.auth import Principal
from quillpress.domain.commands import AddComment, UpdateArticle
from quillpress.domain.errors import Conflict, Forbidden, Unauthenticated
from quillpress.domain.events import ArticleCreated, Event, FollowAdded, UserRegistered
from quillpress.infra.events import EventBus
from quillpress.infra.resources import Resources
from quillpress.services import articles, comments, profiles
from tests.services.conftest import (
    Published,
    delete_user,
    scalar,
    sign_up,
    write_article,
)

EVENTS_LOGGER = "quillpress.events"
SUBSCRIBER_FAILED = "after-commit subscriber failed; the write stays committed"


class Boom(Exception):
    """What a test-local write raises after recording its events."""


@pytest.fixture
def events_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Records of the ``quillpress.events`` logger, captured directly: an app built in an
    earlier test configures the ``quillpress`` logger not to propagate to the root."""
    logger = logging.getLogger(EVENTS_LOGGER)
    saved = (logger.level, logger.propagate)
    logger.addHandler(caplog.handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)
        logger.level, logger.propagate = saved


async def tag_count(resources: Resources, name: str) -> int:
    return int(await scalar(resources, "SELECT count(*) FROM tag WHERE name = :n", n=name))


async def insert_tag_and_record(db: Database, name: str, *events: Event) -> None:
    """A minimal write: one row, the given events."""
    async with db.write() as tx:
        await tx.conn.execute(text("INSERT INTO tag (name) VALUES (:name)"), {"name": name})
        tx.record(*events)


# rollback: nothing published


@pytest.mark.parametrize("error", [Boom("mid-write"), Conflict.taken("name")])
async def test_a_write_that_raises_after_recording_publishes_nothing_and_keeps_nothing(
    resources: Resources, published: Published, error: Exception
) -> None:
    async def failing_write() -> None:
        async with resources.database.write() as tx:
            await tx.conn.execute(text("INSERT INTO tag (name) VALUES ('ghost')"))
            tx.record(UserRegistered(user_id=1, username="ghost"))
            raise error

    with pytest.raises(type(error)):
        await failing_write()
    assert published.batches == []
    assert await tag_count(resources, "ghost") == 0


async def test_a_use_case_refused_by_policy_publishes_nothing(
    resources: Resources, ann: Principal, bob: Principal, published: Published
) -> None:
    await write_article(resources, ann, "Mine")
    published.clear()
    with pytest.raises(Forbidden):
        await articles.update_article(
            resources.database, bob, "mine", UpdateArticle(title="Hijacked")
        )
    assert published.batches == []
    assert (await articles.get_article(resources.database, None, "mine")).title == "Mine"


async def test_a_write_that_records_nothing_publishes_no_batch(
    resources: Resources, published: Published
) -> None:
    await insert_tag_and_record(resources.database, "quiet")
    assert published.batches == []
    assert await tag_count(resources, "quiet") == 1


# after the commit


async def test_the_events_of_one_write_arrive_together_in_order(
    resources: Resources, published: Published
) -> None:
    first = UserRegistered(user_id=1, username="one")
    second = FollowAdded(follower_id=1, followed_id=2)
    await insert_tag_and_record(resources.database, "pair", first, second)
    assert published.batches == [[first, second]]


async def test_subscribers_run_after_the_commit_and_before_the_use_case_returns(
    resources: Resources, ann: Principal
) -> None:
    """The subscriber reads through an engine of its own: it can only see the row if the
    write committed, whatever connection the pool hands out."""
    seen: list[str | None] = []
    observer = create_engine(resources.settings.database_url, null_pool=True)

    async def read_back(events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, ArticleCreated):
                async with observer.connect() as conn:
                    slug = await conn.scalar(
                        text("SELECT slug FROM article WHERE id = :id"), {"id": event.article_id}
                    )
                seen.append(slug)

    resources.events.subscribe(read_back)
    try:
        await write_article(resources, ann, "Committed")
    finally:
        await observer.dispose()
    assert seen == ["committed"]


async def test_a_subscriber_may_write_through_the_database(
    resources: Resources, ann: Principal, events_log: pytest.LogCaptureFixture
) -> None:
    """The write's connection (and SQLite's write lock) is released before subscribers run,
    so a subscriber's own write neither waits nor deadlocks."""

    async def write_more(events: Sequence[Event]) -> None:
        if any(isinstance(event, ArticleCreated) for event in events):
            await insert_tag_and_record(resources.database, "from-subscriber")

    resources.events.subscribe(write_more)
    started = time.monotonic()
    await write_article(resources, ann, "Triggers")
    assert time.monotonic() - started < 1.5  # well inside busy_timeout and the bus timeout
    assert await tag_count(resources, "from-subscriber") == 1
    assert not [r for r in events_log.records if r.levelno >= logging.ERROR]


async def test_each_committed_change_is_logged_at_debug(
    resources: Resources, ann: Principal, events_log: pytest.LogCaptureFixture
) -> None:
    await write_article(resources, ann, "Logged")
    lines = [r for r in events_log.records if r.getMessage() == "committed"]
    assert [getattr(r, "event", None) for r in lines] == ["ArticleCreated"]
    assert "slug='logged'" in getattr(lines[0], "change", "")


# failing and hanging subscribers


async def test_a_failing_subscriber_is_logged_and_neither_undoes_nor_fails_the_write(
    resources: Resources,
    ann: Principal,
    published: Published,
    events_log: pytest.LogCaptureFixture,
) -> None:
    async def broken(_events: Sequence[Event]) -> None:
        raise ValueError("subscriber bug")

    later = Published()
    resources.events.subscribe(broken)
    resources.events.subscribe(later)
    view = await write_article(resources, ann, "Survives")
    assert view.slug == "survives"
    assert (await articles.get_article(resources.database, None, "survives")).id == view.id
    assert len(published.batches) == len(later.batches) == 1  # before and after it
    [failure] = [r for r in events_log.records if r.getMessage() == SUBSCRIBER_FAILED]
    assert failure.levelno == logging.ERROR
    assert failure.exc_info is not None
    assert isinstance(failure.exc_info[1], ValueError)
    assert "broken" in getattr(failure, "subscriber", "")
    assert getattr(failure, "events", None) == ["ArticleCreated"]


async def test_a_hanging_subscriber_is_cut_off_at_the_bus_timeout(
    resources: Resources, ann: Principal, events_log: pytest.LogCaptureFixture
) -> None:
    cancelled = asyncio.Event()

    async def hang(_events: Sequence[Event]) -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    later = Published()
    bus = EventBus(timeout_seconds=0.05)
    bus.subscribe(hang)
    bus.subscribe(later)
    db = Database(resources.database.engine, publish=bus.publish)
    started = time.monotonic()
    await insert_tag_and_record(db, "hung", UserRegistered(user_id=1, username="x"))
    assert time.monotonic() - started < 2
    assert cancelled.is_set()
    assert await tag_count(resources, "hung") == 1
    assert len(later.batches) == 1
    [failure] = [r for r in events_log.records if r.getMessage() == SUBSCRIBER_FAILED]
    assert failure.exc_info is not None
    assert isinstance(failure.exc_info[1], TimeoutError)


# a principal that vanished under a live token

GhostWrite = Callable[[Resources, Principal], Awaitable[object]]


async def ghost_creates_article(resources: Resources, ghost: Principal) -> object:
    return await write_article(resources, ghost, "Ghost story", ["boo"])


async def ghost_favorites(resources: Resources, ghost: Principal) -> object:
    return await articles.favorite(resources.database, ghost, "target")


async def ghost_comments(resources: Resources, ghost: Principal) -> object:
    return await comments.add_comment(resources.database, ghost, "target", AddComment(body="Boo"))


async def ghost_follows(resources: Resources, ghost: Principal) -> object:
    return await profiles.follow(resources.database, ghost, "ann")


@pytest.mark.parametrize(
    "write", [ghost_creates_article, ghost_favorites, ghost_comments, ghost_follows]
)
async def test_a_write_by_a_deleted_user_is_unauthenticated_and_stores_nothing(
    resources: Resources,
    ann: Principal,
    published: Published,
    write: GhostWrite,
) -> None:
    await write_article(resources, ann, "Target")
    ghost = await sign_up(resources, "ghost")
    await delete_user(resources, ghost.user_id)
    published.clear()
    with pytest.raises(Unauthenticated) as caught:
        await write(resources, ghost)
    assert caught.value.fields == {"token": ["is invalid"]}
    assert published.batches == []
    for table in ("article", "favorite", "comment", "follow"):
        expected = 1 if table == "article" else 0
        assert await scalar(resources, f"SELECT count(*) FROM {table}") == expected  # noqa: S608
    assert await tag_count(resources, "boo") == 0
