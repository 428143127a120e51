"""The id of the request being served, readable from any code that runs on its behalf.

A context variable follows the request's task, the tasks it spawns (GraphQL resolvers,
DataLoader batches) and the threads Starlette and asyncio hand work to, so REST handlers,
GraphQL resolvers, services and log lines all see the same id without passing it around.
The request-id middleware (``quillpress.api.middleware.RequestId``) is its only writer."""

from __future__ import annotations

from contextvars import ContextVar, Token

_request_id: ContextVar[str | None] = ContextVar("quillpress_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request this code runs for; ``None`` outside a request (CLI, startup)."""
    return _request_id.get()


def bind_request_id(request_id: str) -> Token[str | None]:
    """Make ``request_id`` current; hand the token to :func:`unbind_request_id` when done."""
    return _request_id.set(request_id)


def unbind_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)
