"""A shared answer as the cache keeps it, and a viewer's copy of it: the stored head
(headers, the next page's cursor, the ids behind each viewer flag, the tags) and body, the
viewer's flags slot by slot, and the body with those flags filled in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import orjson
from starlette.types import Message

from quillpress.api.http_caching import VARY, etag_of
from quillpress.api.rest import links
from quillpress.infra import cache_keys
from quillpress.infra.read_tags import ReadTags
from quillpress.infra.resources import Resources
from quillpress.services import viewer_flags
from quillpress.services.authentication import Authenticated

KEPT_OUT = frozenset({b"content-length", b"link"})
"""Headers rebuilt per answer rather than stored."""

PUBLIC = b"public, no-cache"
PRIVATE = b"private, no-cache"


@dataclass(frozen=True, slots=True)
class Stored:
    """A shared (anonymous) answer as the cache keeps it: a head line (its headers, the
    next page's cursor, the ids behind its viewer flags) and the body."""

    headers: list[tuple[bytes, bytes]]
    following_page: tuple[str, int] | None
    favorited: list[int]
    following: list[int]
    body: bytes
    tags: list[str]
    """What the answer shows: a viewer's flags for it are kept under these too."""

    def payload(self) -> bytes:
        pairs = [[name.decode("latin-1"), value.decode("latin-1")] for name, value in self.headers]
        head = {
            "h": pairs,
            "n": self.following_page,
            "f": self.favorited,
            "u": self.following,
            "t": self.tags,
        }
        return orjson.dumps(head) + b"\n" + self.body

    @staticmethod
    def parse(payload: bytes) -> Stored:
        line, _, body = payload.partition(b"\n")
        head = orjson.loads(line)
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in head["h"]]
        page = head["n"]
        following_page = (page[0], page[1]) if page else None
        return Stored(headers, following_page, head["f"], head["u"], body, head["t"])

    @property
    def etag(self) -> bytes:
        return next((value for name, value in self.headers if name == b"etag"), b"")


class FlagsMismatch(Exception):
    """The answer shows more or fewer viewer flags than the reads recorded."""


def _set_flags(node: Any, favorited: Iterator[bool], following: Iterator[bool]) -> None:
    """Set each ``favorited`` and ``following`` in ``node``, in document order."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "favorited":
                node[key] = next(favorited)
            elif key == "following":
                node[key] = next(following)
            elif isinstance(value, dict | list):
                _set_flags(value, favorited, following)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict | list):
                _set_flags(item, favorited, following)


def with_flags(body: bytes, favorited: list[bool], following: list[bool]) -> bytes:
    """``body`` with its viewer flags set to these, serialized as the app serializes."""
    favorites, follows = iter(favorited), iter(following)
    document = orjson.loads(body)
    try:
        _set_flags(document, favorites, follows)
    except StopIteration:
        raise FlagsMismatch from None
    if next(favorites, None) is not None or next(follows, None) is not None:
        raise FlagsMismatch
    return orjson.dumps(document)


def replaced_headers(
    headers: list[tuple[bytes, bytes]], policy: bytes, etag: bytes, vary: bytes
) -> list[tuple[bytes, bytes]]:
    """``headers`` with the answer's ``Cache-Control``, ``ETag`` and ``Vary`` (in place).
    A ``Vary`` naming ``Host`` (a page whose ``Link`` names the request's host) keeps it
    first, as the uncached answer has it."""
    swapped = {b"cache-control": policy, b"etag": etag, b"vary": vary}
    replaced = []
    for name, value in headers:
        if name == b"vary" and b"host" in (part.strip().lower() for part in value.split(b",")):
            replaced.append((name, b"Host, " + vary))
        else:
            replaced.append((name, swapped.get(name, value)))
    return replaced


def shared_answer(
    start: Message, body: bytes, record: ReadTags, *, signed_in: bool, graphql: bool
) -> Stored | None:
    """The shared answer to store from a complete ``200``, or ``None``: not one that sets
    a cookie, whose reads were not all tagged, or whose flags the reads did not name.
    A GraphQL answer must also have been declared shared by the endpoint (a query, no
    errors, anonymous); its flags are not filled in per viewer (its shape is the
    client's), so only anonymous requests are answered from it."""
    if not record.cacheable or not record.tags or (graphql and not record.shared):
        return None
    headers: list[tuple[bytes, bytes]] = []
    page: tuple[str, int] | None = None
    for name, value in start.get("headers", []):
        if name == b"set-cookie":
            return None
        if name == b"link":
            page = links.next_of(value.decode("latin-1"))
            if page is None:
                return None
        elif name not in KEPT_OUT:
            headers.append((name, value))
    tags = sorted(record.tags)
    if graphql:
        return Stored(headers, page, [], [], body, tags)
    # The viewer's flags out (what an anonymous reader is answered). This also checks
    # that the reads named every flag the answer shows, so a signed-in hit can fill
    # them in; an anonymous answer must come out unchanged.
    try:
        shared = with_flags(body, [False] * len(record.favorited), [False] * len(record.following))
    except FlagsMismatch:
        return None
    if signed_in:
        body = shared
        headers = replaced_headers(headers, PUBLIC, etag_of(body), VARY)
    elif shared != body:
        return None
    return Stored(headers, page, list(record.favorited), list(record.following), body, tags)


@dataclass(frozen=True, slots=True)
class Flags:
    """A viewer's flags for one shared answer, slot by slot (what it favorited among the
    articles shown, whom it follows among the people shown)."""

    favorited: list[bool]
    following: list[bool]

    def payload(self) -> bytes:
        bits = "".join("1" if flag else "0" for flag in self.favorited)
        bits += "|" + "".join("1" if flag else "0" for flag in self.following)
        return bits.encode()

    def fits(self, stored: Stored) -> bool:
        return len(self.favorited) == len(stored.favorited) and len(self.following) == len(
            stored.following
        )

    @staticmethod
    def parse(payload: bytes) -> Flags:
        favorited, _, following = payload.partition(b"|")
        return Flags([bit == 0x31 for bit in favorited], [bit == 0x31 for bit in following])


def viewer_tags(user_id: int) -> tuple[str, str]:
    """What a viewer's flags depend on besides the answer: their favorites and follows."""
    return cache_keys.viewer_favorites(user_id), cache_keys.viewer_follows(user_id)


async def flags_from_database(stored: Stored, viewer: Authenticated, found: Resources) -> Flags:
    """The viewer's flags for the ids a shared answer shows: one statement."""
    flags = await viewer_flags.flags(
        found.database,
        viewer.principal,
        article_ids=set(stored.favorited),
        author_ids=set(stored.following),
    )
    return Flags(
        [article_id in flags.favorited for article_id in stored.favorited],
        [user_id in flags.following for user_id in stored.following],
    )


def for_viewer(stored: Stored, flags: Flags, vary: bytes) -> Stored:
    """The shared answer with the viewer's flags, and the headers a signed-in answer
    carries (``private``; the ETag of what this viewer is sent; ``vary``, as
    ``http_caching.vary_for`` says for the request)."""
    body = stored.body
    if any(flags.favorited) or any(flags.following):
        body = with_flags(body, flags.favorited, flags.following)
    headers = replaced_headers(stored.headers, PRIVATE, etag_of(body), vary)
    return replace(stored, headers=headers, body=body)
