"""Use cases driven directly, without HTTP: the typed resources of a real database, and a
subscriber that records every event published after a commit.

The helpers below set a scene through the use cases themselves (so the rows are exactly
what the app would write) or, where a test needs what no use case does (delete an account
under a live token, promote a user), through plain SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from sqlalchemy import text

from quillpress.config import Settings
from quillpress.domain.auth import Principal, Role
from quillpress.domain.clients import ClientInfo
from quillpress.domain.commands import AddComment, CreateArticle, RegisterUser
from quillpress.domain.events import Event
from quillpress.domain.views import ArticleView, CommentView
from quillpress.infra.limits import Limiter
from quillpress.infra.resources import Resources
from quillpress.services import articles, comments, users
from quillpress.wiring import open_resources
from tests.conftest import truncate

PASSWORD = "correct-horse-battery"


class Published:
    """Every batch of events the bus delivered, in order."""

    def __init__(self) -> None:
        self.batches: list[list[Event]] = []

    async def __call__(self, events: Sequence[Event]) -> None:
        self.batches.append(list(events))

    @property
    def events(self) -> list[Event]:
        return [event for batch in self.batches for event in batch]

    def clear(self) -> None:
        self.batches.clear()


@pytest.fixture
def published() -> Published:
    return Published()


@pytest.fixture
async def resources(settings: Settings, published: Published) -> AsyncIterator[Resources]:
    async with open_resources(settings) as opened:
        opened.events.subscribe(published)
        try:
            yield opened
        finally:
            await truncate(opened.database.engine)


async def sign_up(resources: Resources, username: str) -> Principal:
    """Register ``username`` (email ``<username>@example.com``) and return its principal
    (signed in by the session the registration started)."""
    command = RegisterUser(username=username, email=f"{username}@example.com", password=PASSWORD)
    session = await users.register(
        resources.database,
        resources.security,
        command,
        client=ClientInfo(),
        limiter=Limiter.disabled(),
    )
    return Principal(user_id=session.user.id, session_id=session.session_id)


@pytest.fixture
async def ann(resources: Resources, published: Published) -> Principal:
    """A registered user; her registration event is cleared so tests see only their own."""
    principal = await sign_up(resources, "ann")
    published.clear()
    return principal


@pytest.fixture
async def bob(resources: Resources, published: Published) -> Principal:
    principal = await sign_up(resources, "bob")
    published.clear()
    return principal


@pytest.fixture
async def admin(resources: Resources, published: Published) -> Principal:
    """A user whose row says ``admin`` (the role a token's principal is built with)."""
    principal = await sign_up(resources, "root")
    await set_role(resources, principal.user_id, Role.ADMIN)
    published.clear()
    return Principal(user_id=principal.user_id, role=Role.ADMIN)


async def write_article(
    resources: Resources, author: Principal, title: str = "A title", tags: Sequence[str] = ()
) -> ArticleView:
    command = CreateArticle(
        title=title, description="About it", body="The body", tag_list=list(tags)
    )
    return (await articles.create_article(resources.database, author, command)).view


async def write_comment(
    resources: Resources, author: Principal, slug: str, body: str = "A comment"
) -> CommentView:
    created = await comments.add_comment(resources.database, author, slug, AddComment(body=body))
    return created.view


async def execute(resources: Resources, sql: str, **params: Any) -> None:
    """One statement in its own committed transaction, behind every use case's back."""
    async with resources.database.engine.begin() as conn:
        await conn.execute(text(sql), params)


async def scalar(resources: Resources, sql: str, **params: Any) -> Any:
    async with resources.database.engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar()


async def delete_user(resources: Resources, user_id: int) -> None:
    await execute(resources, "DELETE FROM app_user WHERE id = :id", id=user_id)


async def set_role(resources: Resources, user_id: int, role: Role) -> None:
    await execute(
        resources, "UPDATE app_user SET role = :role WHERE id = :id", role=role.value, id=user_id
    )
