"""The id of the request being served, readable from any code that runs on its behalf.

A context variable follows the request's task, the tasks it spawns (GraphQL resolvers,
DataLoader batches) and the threads Starlette and asyncio hand work to, so REST handlers,
GraphQL resolvers, services and log lines all see the same id without passing it around.
The edge layer (``quillpress.api.edge.Edge``) is its only writer."""

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


class RequestFacts:
    """What a request learns about itself while it runs, for its log line: a mutable
    object the request middleware makes current, so a value written deep inside (the one
    way in, from a copied context such as a dependency's) is seen by the middleware."""

    __slots__ = ("user_id",)

    def __init__(self) -> None:
        self.user_id: int | None = None


_facts: ContextVar[RequestFacts | None] = ContextVar("quillpress_request_facts", default=None)


def begin_request_facts() -> tuple[RequestFacts, Token[RequestFacts | None]]:
    facts = RequestFacts()
    return facts, _facts.set(facts)


def end_request_facts(token: Token[RequestFacts | None]) -> None:
    _facts.reset(token)


def note_user(user_id: int) -> None:
    """The request is authenticated as ``user_id`` (written by the one way in only)."""
    facts = _facts.get()
    if facts is not None:
        facts.user_id = user_id
