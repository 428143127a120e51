"""Accounts for the browser tests, made through the services as the CLI makes them.

Playwright's sync API keeps an event loop running in the test thread, so no coroutine can
be run there once the browser is up (``asyncio.run`` refuses). The backstage owns a thread
with its own event loop and the app's resources opened on it, as a command outside the
server opens them (``outside_server``: its writes bump the cache epoch the live server
polls); tests call it synchronously.

Administrators can only be made this way (the CLI's ``create-user --admin``); ordinary
accounts come the same way so that no test depends on the registration rate limit.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from quillpress.config import Settings
from quillpress.db.database import opened
from quillpress.domain.auth import Role
from quillpress.domain.clients import ClientInfo
from quillpress.domain.commands import RegisterUser
from quillpress.domain.validation import parse
from quillpress.infra.limits import Limiter
from quillpress.infra.resources import Resources
from quillpress.services import users as user_service
from quillpress.wiring import open_resources
from tests.conftest import truncate

T = TypeVar("T")

PASSWORD = "correct horse battery staple"
CALL_TIMEOUT_S = 60


@dataclass(frozen=True, slots=True)
class Account:
    """A registered account, its password, and the REST token of its first session."""

    username: str
    email: str
    password: str
    token: str

    @property
    def authorization(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}


def unique(prefix: str) -> str:
    """A name no other test of the run uses: the tests share one database per backend,
    so each makes its own accounts and articles instead of cleaning up after the others."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


class Backstage:
    """The services on an event loop of their own thread (see the module docstring)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, resources: Resources) -> None:
        self._loop = loop
        self._resources = resources

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=CALL_TIMEOUT_S)

    def register(
        self, prefix: str = "user", *, role: Role = Role.USER, user_agent: str | None = None
    ) -> Account:
        """A new account named ``prefix`` and a random suffix; its first session is made
        with ``user_agent`` (the console shows it in the user's sessions)."""
        username = unique(prefix)
        command = parse(
            RegisterUser,
            {"username": username, "email": f"{username}@example.org", "password": PASSWORD},
        )
        session = self._call(
            user_service.register(
                self._resources.database,
                self._resources.security,
                command,
                role=role,
                client=ClientInfo(user_agent=user_agent, ip="127.0.0.1"),
                limiter=Limiter.disabled(),
            )
        )
        return Account(username, command.email, PASSWORD, session.token)

    def empty_database(self) -> None:
        """Every row gone, as the other tests of the backend expect to find it."""
        self._call(truncate(opened(self._resources.database).engine))


@contextmanager
def backstage(settings: Settings) -> Iterator[Backstage]:
    """A :class:`Backstage` until the block ends; its thread and resources are closed."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="backstage", daemon=True)
    thread.start()
    stack = AsyncExitStack()

    async def enter() -> Resources:
        return await stack.enter_async_context(
            open_resources(settings, null_pool=True, outside_server=True)
        )

    try:
        resources = asyncio.run_coroutine_threadsafe(enter(), loop).result(CALL_TIMEOUT_S)
        yield Backstage(loop, resources)
    finally:
        asyncio.run_coroutine_threadsafe(stack.aclose(), loop).result(CALL_TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=CALL_TIMEOUT_S)
        loop.close()
