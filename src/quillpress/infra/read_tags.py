"""What a request's reads depended on: the tags its answer is cached under.

The response cache (``api.response_cache``) opens a record for a request it may store;
the read use cases note the tags of everything they read (``infra.cache_keys``) as they
read it. A record nobody opened costs one context-variable lookup per read: nothing is
noted outside a cacheable request."""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field


@dataclass(slots=True)
class ReadTags:
    tags: set[str] = field(default_factory=set)
    cacheable: bool = True
    """False once a read noted something that cannot be tagged (the answer is then
    served, never stored)."""
    shared: bool = False
    """Set by an adapter whose answers are not all shareable (GraphQL: only a query,
    executed without errors): this one is the same for every anonymous client."""
    favorited: list[int] = field(default_factory=list)
    """The article id behind each ``favorited`` flag the answer shows, in order."""
    following: list[int] = field(default_factory=list)
    """The user id behind each ``following`` flag the answer shows, in order: the viewer's
    flags of a shared answer are filled in for each viewer from these."""


current_read_tags: ContextVar[ReadTags | None] = ContextVar("quillpress_read_tags", default=None)


def recording() -> bool:
    """Whether the current request's reads are being recorded (so a read may spend an
    extra lookup to name what it depends on)."""
    return current_read_tags.get() is not None


def note(*tags: str | None) -> None:
    """Record ``tags`` for the current request; ``None`` marks the answer uncacheable."""
    record = current_read_tags.get()
    if record is None:
        return
    for tag in tags:
        if tag is None:
            record.cacheable = False
        else:
            record.tags.add(tag)


def slots(*, favorited: Iterable[int] = (), following: Iterable[int] = ()) -> None:
    """Record the ids behind the answer's viewer flags, in the order the answer shows them."""
    record = current_read_tags.get()
    if record is not None:
        record.favorited.extend(favorited)
        record.following.extend(following)


def share() -> None:
    """The adapter's word that the current answer is the same for every anonymous client."""
    record = current_read_tags.get()
    if record is not None:
        record.shared = True


def note_all(tags: Iterable[str]) -> None:
    record = current_read_tags.get()
    if record is not None:
        record.tags.update(tags)


def begin() -> tuple[ReadTags, Token[ReadTags | None]]:
    record = ReadTags()
    return record, current_read_tags.set(record)


def end(token: Token[ReadTags | None]) -> None:
    current_read_tags.reset(token)
