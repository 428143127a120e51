"""The response cache's front: a cached anonymous read answered before routing.

For a ``GET`` of a public read this layer looks the shared answer up in the cache
(``infra.cache``) in one round trip and, when it is current, sends it without the
framework's routing, validation or dependency solving. On a miss it lets the request
through with a read record open (``infra.read_tags``): the read use cases note the tags
of what they read and the ids behind each ``favorited``/``following`` flag, and a ``200``
whose record is complete is stored with those tags, its ``ETag`` and its headers.

The stored answer is the anonymous one (every flag false). A signed-in request is
authenticated here, through the one way in (``services.authentication``), and gets the
shared answer with its own flags filled in from one statement
(``services.viewer_flags``); a signed-in miss stores its answer with the flags cleared.
"Anonymous" means no ``Authorization`` header and no session cookie.

The hit contract: a hit is header for header what a miss answers. Everything added per
request (request id, ``Server-Timing``, security headers, CORS) is added by the layers
around this one, for hits and misses alike; the ``Link`` header, built from the request's
own URL, is rebuilt for each request from the cursor the entry stores; a matching
``If-None-Match`` is a ``304`` decided in the store, without the body being sent back.
The key is the route and its known query parameters, normalised (unknown ones are
ignored, as the API ignores them). Concurrent misses of one key in this process run the
request once (single flight); the others are answered from its result."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import orjson
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quillpress.api.credentials import AUTHENTICATED, credentials_of
from quillpress.api.graphql.identity import request_identity
from quillpress.api.http_caching import DROPPED_ON_304, etag_of, matches
from quillpress.api.middleware import ROUTE_KEY
from quillpress.api.rest import links
from quillpress.domain.errors import DomainError
from quillpress.infra import cache_keys, read_tags
from quillpress.infra.persisted_queries import SHA256_HEX, document_hash
from quillpress.infra.read_tags import ReadTags
from quillpress.infra.resources import Resources
from quillpress.services import viewer_flags
from quillpress.services.authentication import (
    Authenticated,
    admitted,
    claimed,
    live_role,
    session_key,
)

SESSION_COOKIE = b"qp_session="


@dataclass(frozen=True, slots=True)
class Route:
    """A public read whose anonymous answers are shared: its template (for metrics and
    logs), its path and the query parameters that change the answer."""

    template: str
    path: re.Pattern[str]
    params: frozenset[str] = frozenset()


LIST_PARAMS = frozenset({"tag", "author", "favorited", "limit", "offset", "cursor"})
ROUTES = (
    Route("/api/articles", re.compile(r"/api/articles"), LIST_PARAMS),
    Route("/api/tags", re.compile(r"/api/tags")),
    Route("/api/articles/{slug}", re.compile(r"/api/articles/(?!feed$)[^/]+")),
    Route("/api/articles/{slug}/comments", re.compile(r"/api/articles/[^/]+/comments")),
    Route("/api/profiles/{username}", re.compile(r"/api/profiles/[^/]+")),
)


def route_of(path: str) -> Route | None:
    for route in ROUTES:
        if route.path.fullmatch(path):
            return route
    return None


def key_of(route: Route, scope: Scope) -> str:
    """``r:<path>?<known parameters, sorted>``; a repeated parameter counts by its last
    value, as FastAPI reads it."""
    known: dict[str, str] = {}
    if route.params and scope["query_string"]:
        for name, value in parse_qsl(scope["query_string"].decode("latin-1"), True):
            if name in route.params:
                known[name] = value
    query = urlencode(sorted(known.items()))
    return f"r:{quote(scope['path'], safe='/')}?{query}"


GRAPHQL = "/graphql"


def graphql_key(params: Any) -> str | None:
    """``g:<document sha256>:<operation and variables, hashed>`` for a GraphQL request's
    parameters (a document or a persisted query's hash: the two agree), or ``None`` for
    one that cannot be a shared answer (not a query, or not a request at all)."""
    if not isinstance(params, dict):
        return None
    query, extensions = params.get("query"), params.get("extensions")
    operation_name, variables = params.get("operationName"), params.get("variables")
    if isinstance(query, str):
        if query.lstrip().startswith(("mutation", "subscription")):
            return None
        document = document_hash(query)
    else:
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        named = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(named, str) or not SHA256_HEX.fullmatch(named):
            return None
        document = named
    if not (operation_name is None or isinstance(operation_name, str)):
        return None
    if not (variables is None or isinstance(variables, dict)):
        return None
    identity = request_identity(document, operation_name, variables)
    rest = hashlib.sha256(f"{operation_name or ''}\n{identity.variables_json}".encode())
    return f"g:{document}:{rest.hexdigest()[:32]}"


def _graphql_get_params(scope: Scope) -> dict[str, Any] | None:
    params: dict[str, Any] = dict(parse_qsl(scope["query_string"].decode("latin-1"), True))
    if "query" not in params and "extensions" not in params:
        return None  # GraphiQL's page, not a request
    for name in ("variables", "extensions"):
        if name in params:
            try:
                params[name] = orjson.loads(params[name])
            except orjson.JSONDecodeError:
                return None
    return params


def anonymous(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"authorization" or (name == b"cookie" and SESSION_COOKIE in value):
            return False
    return True


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


def _replaced(
    headers: list[tuple[bytes, bytes]], policy: bytes, etag: bytes
) -> list[tuple[bytes, bytes]]:
    """``headers`` with the answer's ``Cache-Control`` and ``ETag`` (in place)."""
    swapped = {b"cache-control": policy, b"etag": etag}
    return [(name, swapped.get(name, value)) for name, value in headers]


def _shared(
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
        headers = _replaced(headers, PUBLIC, etag_of(body))
    elif shared != body:
        return None
    return Stored(headers, page, list(record.favorited), list(record.following), body, tags)


class ResponseCache:
    def __init__(self, app: ASGIApp, *, resources_of: Callable[[Scope], Resources | None]) -> None:
        self.app = app
        self._resources_of = resources_of
        self._inflight: dict[str, asyncio.Future[Stored | None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == GRAPHQL and scope["method"] in {"GET", "POST"}:
            await self._graphql(scope, receive, send)
            return
        if scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        route = route_of(scope["path"])
        found_resources = None if route is None else self._resources_of(scope)
        if route is None or found_resources is None or not found_resources.cache.enabled:
            await self.app(scope, receive, send)
            return
        cache = found_resources.cache
        raw_key = key_of(route, scope)
        key = cache.key(raw_key)
        if key is None:  # cooling down after a failure, or the epoch unknown
            await self.app(scope, receive, send)
            return
        if not anonymous(scope["headers"]):
            await self._signed_in(scope, receive, send, route, raw_key, found_resources)
            return
        if_none_match = b""
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                if_none_match = value
        found = await cache.lookup(key, if_none_match)
        if found is None:
            await self.app(scope, receive, send)
            return
        if found.payload is not None and found.not_modified:
            line = found.payload
            head = Stored.parse(line + b"\n")
            if matches(if_none_match, head.etag):
                scope[ROUTE_KEY] = route.template
                await self._answer(scope, send, head, if_none_match, not_modified=True)
                return
            found = await cache.lookup(key)  # the store's substring test was too loose
            if found is None:
                await self.app(scope, receive, send)
                return
        if found.payload is not None:
            scope[ROUTE_KEY] = route.template
            await self._answer(scope, send, Stored.parse(found.payload), if_none_match)
            return
        await self._shared_or_miss(
            scope, receive, send, route, key, found.mark, None, found_resources
        )

    async def _shared_or_miss(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        route: Route,
        key: str,
        mark: bytes,
        viewer: Authenticated | None,
        found: Resources,
    ) -> None:
        """A miss: share the answer a concurrent miss of the key is computing in this
        process, or compute it."""
        waiting = self._inflight.get(key)
        if waiting is None:
            await self._miss(scope, receive, send, key, mark, viewer, found)
            return
        shared = await asyncio.shield(waiting)
        if shared is None:
            await self.app(scope, receive, send)
            return
        scope[ROUTE_KEY] = route.template
        if viewer is not None:
            flags = await _flags_from_database(shared, viewer, found)
            shared = _for_viewer(shared, flags)
        await self._answer(scope, send, shared, _if_none_match(scope))

    async def _signed_in(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        route: Route,
        raw_key: str,
        found: Resources,
    ) -> None:
        """A signed-in read: the token verified here, then one round trip for the shared
        answer, the viewer's flags for it and (with Redis) the session; the session is
        admitted through the one way in (``services.authentication``), and the answer is
        sent with the viewer's flags filled in."""
        cache = found.cache
        credentials = credentials_of(Request(scope), found.settings)
        try:
            claim = claimed(found.security, credentials)
        except DomainError:
            claim = None
        if claim is None:  # refused or no token: the app answers it as it answers all
            await self.app(scope, receive, send)
            return
        key = cache.key(raw_key)
        flags_key = cache.key(f"f:{claim.user_id}:{raw_key}")
        session = cache.key(session_key(claim.user_id, claim.session_id)[0])
        entries = None
        if key is not None and flags_key is not None and session is not None:
            keys = [key, flags_key, session] if cache.shared else [key, flags_key]
            entries = await cache.lookup_many(keys)
        if entries is not None and len(entries) == 3 and entries[2].payload is not None:
            role: str | None = entries[2].payload.decode()  # the session, from the same trip
        else:
            role = await live_role(found.database, claim.user_id, claim.session_id)
        try:
            viewer = await admitted(
                found.database,
                claim,
                role,
                credentials,
                activity=found.activity,
                limiter=found.limiter,
            )
        except DomainError:
            await self.app(scope, receive, send)
            return
        scope[AUTHENTICATED] = viewer
        if entries is None or key is None:  # bypassed: the database answers
            await self.app(scope, receive, send)
            return
        answer, flags_entry = entries[0], entries[1]
        if answer.payload is None:
            await self._shared_or_miss(scope, receive, send, route, key, answer.mark, viewer, found)
            return
        scope[ROUTE_KEY] = route.template
        stored = Stored.parse(answer.payload)
        fresh: Flags | None = None
        flags = None if flags_entry.payload is None else Flags.parse(flags_entry.payload)
        if flags is None or not flags.fits(stored):
            flags = fresh = await _flags_from_database(stored, viewer, found)
        await self._answer(scope, send, _for_viewer(stored, flags), _if_none_match(scope))
        if fresh is not None and flags_key is not None:
            tags = [*stored.tags, *viewer_tags(claim.user_id)]
            await cache.fill(flags_key, tags, fresh.payload(), answer.mark)

    async def _graphql(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An anonymous GraphQL query (POST, or GET with a document or a persisted
        query's hash) answered from the shared answers the endpoint declared shared."""
        found_resources = self._resources_of(scope)
        if (
            found_resources is None
            or not found_resources.cache.enabled
            or not anonymous(scope["headers"])
        ):
            await self.app(scope, receive, send)
            return
        params: Any = None
        if scope["method"] == "GET":
            params = _graphql_get_params(scope)
        else:
            body, receive = await _buffered(receive)
            try:
                params = orjson.loads(body)
            except orjson.JSONDecodeError:
                params = None
        key = None if params is None else graphql_key(params)
        cache = found_resources.cache
        key = None if key is None else cache.key(key)
        found = None if key is None else await cache.lookup(key)
        if key is None or found is None:
            await self.app(scope, receive, send)
            return
        if found.payload is not None:
            scope[ROUTE_KEY] = GRAPHQL
            await self._answer(scope, send, Stored.parse(found.payload), b"")
            return
        waiting = self._inflight.get(key)
        if waiting is not None:
            shared = await asyncio.shield(waiting)
            if shared is not None:
                scope[ROUTE_KEY] = GRAPHQL
                await self._answer(scope, send, shared, b"")
                return
            await self.app(scope, receive, send)
            return
        await self._miss(scope, receive, send, key, found.mark, None, found_resources, graphql=True)

    async def _miss(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: str,
        mark: bytes,
        viewer: Authenticated | None,
        found: Resources,
        *,
        graphql: bool = False,
    ) -> None:
        """Run the request with a read record open, answer it as the app did, and store
        the shared form of a complete ``200`` under the tags it read."""
        future: asyncio.Future[Stored | None] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        start: Message | None = None
        chunks: list[bytes] = []
        done = False

        async def capture(message: Message) -> None:
            nonlocal start, done
            if message["type"] == "http.response.start" and message["status"] == 200:
                start = message
            elif start is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                done = not message.get("more_body", False)
            else:
                await send(message)

        stored: Stored | None = None
        record, token = read_tags.begin()
        try:
            await self.app(scope, receive, capture)
        finally:
            read_tags.end(token)
            if start is not None and done:
                stored = _shared(
                    start, b"".join(chunks), record, signed_in=viewer is not None, graphql=graphql
                )
            future.set_result(stored)
            del self._inflight[key]
        if start is None:
            return
        await send(start)
        await send({"type": "http.response.body", "body": b"".join(chunks)})
        if stored is not None:
            await found.cache.fill(key, record.tags, stored.payload(), mark, stored.etag)

    async def _answer(
        self,
        scope: Scope,
        send: Send,
        stored: Stored,
        if_none_match: bytes,
        *,
        not_modified: bool = False,
    ) -> None:
        headers = list(stored.headers)
        if stored.following_page is not None:
            cursor, limit = stored.following_page
            headers.append((b"link", links.link(URL(scope=scope), cursor, limit).encode("latin-1")))
        if not_modified or (if_none_match and matches(if_none_match, stored.etag)):
            kept = [(name, value) for name, value in headers if name not in DROPPED_ON_304]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        headers.append((b"content-length", str(len(stored.body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": stored.body})


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a ``receive`` that hands it to the app once more."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


def _if_none_match(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            return bytes(value)
    return b""


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


async def _flags_from_database(stored: Stored, viewer: Authenticated, found: Resources) -> Flags:
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


def _for_viewer(stored: Stored, flags: Flags) -> Stored:
    """The shared answer with the viewer's flags, and the headers a signed-in answer
    carries (``private``; the ETag of what this viewer is sent)."""
    body = stored.body
    if any(flags.favorited) or any(flags.following):
        body = with_flags(body, flags.favorited, flags.following)
    return replace(stored, headers=_replaced(stored.headers, PRIVATE, etag_of(body)), body=body)


def resources_of_app(scope: Scope) -> Resources | None:
    """The running app's resources (``None`` before the lifespan opened them)."""
    found: Any = getattr(getattr(scope.get("app"), "state", None), "resources", None)
    return found if isinstance(found, Resources) else None
