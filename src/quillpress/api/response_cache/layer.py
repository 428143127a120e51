"""The response cache's front: cached public reads answered before routing.

For a ``GET`` of a public read this layer looks the shared answer up in the cache
(``infra.cache``) in one round trip and, when it is current, sends it without the
framework's routing, validation or dependency solving. On a miss it lets the request
through with a read record open (``infra.read_tags``): the read use cases note the tags
of what they read and the ids behind each ``favorited``/``following`` flag, and a ``200``
whose record is complete is stored with those tags, its ``ETag`` and its headers.

The stored answer is the anonymous one (every flag false). A signed-in request's token is
verified here, and one round trip brings the shared answer, the viewer's flags for it
(kept under the answer's tags and the viewer's own) and, with Redis, the session; the
session is admitted through the one way in (``services.authentication``) and the answer
sent with the viewer's flags filled in (read with one statement when none were kept,
``services.viewer_flags``). A signed-in miss stores its answer with the flags cleared.
"Anonymous" means no ``Authorization`` header and no session cookie.

The hit contract: a hit is header for header what a miss answers. Everything added per
request (request id, ``Server-Timing``, security headers, CORS) is added by the layers
around this one, for hits and misses alike; the ``Link`` header, built from the request's
own URL (or ``QUILLPRESS_PUBLIC_URL``), is rebuilt for each request from the cursor the
entry stores (its ``Vary: Host`` is stored with the other headers); a matching
``If-None-Match`` is a ``304`` decided in the store, without the body being sent back.
The key is the route and its known query parameters, normalised (unknown ones are
ignored, as the API ignores them). Concurrent misses of one key in this process run the
request once (single flight); the others are answered from its result.

Size: the hit path is one ASGI function on the hot path, kept in one place so its cost (one
round trip, no framework) is visible where it is paid."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quillpress.api.credentials import AUTHENTICATED, credentials_of
from quillpress.api.http_caching import DROPPED_ON_304, NO_STORE, matches, vary_for, with_vary
from quillpress.api.middleware import ROUTE_KEY
from quillpress.api.response_cache.answers import (
    Flags,
    Stored,
    flags_from_database,
    for_viewer,
    shared_answer,
    viewer_tags,
)
from quillpress.api.response_cache.requests import (
    GRAPHQL,
    Route,
    anonymous,
    graphql_get_params,
    graphql_key,
    key_of,
    route_of,
)
from quillpress.api.rest import envelopes, links
from quillpress.domain.errors import DomainError
from quillpress.infra import read_tags
from quillpress.infra.cache import Found
from quillpress.infra.resources import Resources
from quillpress.services.authentication import (
    Authenticated,
    Claim,
    Credentials,
    admitted,
    claimed,
    live_role,
    session_key,
)
from quillpress.services.users import account_key, decoded_account

ACCOUNT = "/api/user"


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
        if scope["path"] == ACCOUNT:
            await self._account(scope, receive, send)
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
        if_none_match = _if_none_match(scope)
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
        if viewer is not None:
            try:
                flags = await flags_from_database(shared, viewer, found)
            except DomainError:  # the database cannot answer: the app says so its way
                await self.app(scope, receive, send)
                return
            shared = for_viewer(shared, flags, _vary(scope))
        scope[ROUTE_KEY] = route.template
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
        credentials, claim = _claim(scope, found)
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
        in_trip = entries[2] if entries is not None and len(entries) == 3 else None
        viewer = await _admit(found, claim, credentials, in_trip)
        if viewer is None:
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
            try:
                flags = fresh = await flags_from_database(stored, viewer, found)
            except DomainError:  # the database cannot answer: the app says so its way
                await self.app(scope, receive, send)
                return
        await self._answer(
            scope, send, for_viewer(stored, flags, _vary(scope)), _if_none_match(scope)
        )
        if fresh is not None and flags_key is not None:
            tags = [*stored.tags, *viewer_tags(claim.user_id)]
            await cache.fill(flags_key, tags, fresh.payload(), answer.mark)

    async def _account(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``GET /api/user`` with a token: one round trip for the account (kept by
        ``services.users.current_user``) and the session (with Redis), the session admitted
        through the one way in, the answer what the app would send. Everything else (no
        cached account yet, a session cookie, a refused token) goes to the app."""
        found = self._resources_of(scope)
        if found is None or not found.cache.enabled or not _by_header(scope["headers"]):
            await self.app(scope, receive, send)
            return
        cache = found.cache
        credentials, claim = _claim(scope, found)
        account = None if claim is None else cache.key(account_key(claim.user_id)[0])
        if claim is None or claim.by_cookie or account is None:
            await self.app(scope, receive, send)
            return
        session = cache.key(session_key(claim.user_id, claim.session_id)[0])
        keys = [account, session] if cache.shared and session is not None else [account]
        entries = await cache.lookup_many(keys)
        if entries is None or entries[0].payload is None:
            await self.app(scope, receive, send)  # the use case reads and keeps it
            return
        viewer = await _admit(found, claim, credentials, entries[1] if len(entries) == 2 else None)
        if viewer is None:
            await self.app(scope, receive, send)  # refused: the app answers it its way
            return
        scope[AUTHENTICATED] = viewer
        scope[ROUTE_KEY] = ACCOUNT
        view = decoded_account(entries[0].payload)
        body = orjson.dumps(envelopes.user(view, viewer.shown_token))
        headers = with_vary(
            [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                NO_STORE,
            ],
            *_vary(scope).split(b", "),
        )
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

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
            params = graphql_get_params(scope)
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
                stored = shared_answer(
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
        if stored.following_page is not None:  # its Vary: Host, if any, was stored
            cursor, limit = stored.following_page
            found = self._resources_of(scope)
            url = links.page_url(scope, found.settings.public_url if found else None)
            headers.append((b"link", links.link(url, cursor, limit).encode("latin-1")))
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


def _claim(scope: Scope, found: Resources) -> tuple[Credentials, Claim | None]:
    """The request's credentials and what its verified token claims (``None``: no token,
    or one the one way in refuses)."""
    credentials = credentials_of(Request(scope), found.settings)
    try:
        return credentials, claimed(found.security, credentials)
    except DomainError:
        return credentials, None


async def _admit(
    found: Resources, claim: Claim, credentials: Credentials, session: Found | None
) -> Authenticated | None:
    """The claimed session admitted through the one way in, its role from ``session`` (the
    lookup's own round trip) when the cache kept it, else read; ``None`` when refused."""
    try:
        if session is not None and session.payload is not None:
            role: str | None = session.payload.decode()
        else:
            role = await live_role(found.database, claim.user_id, claim.session_id)
        return await admitted(
            found.database,
            claim,
            role,
            credentials,
            activity=found.activity,
            limiter=found.limiter,
        )
    except DomainError:
        return None


def _by_header(headers: list[tuple[bytes, bytes]]) -> bool:
    """An ``Authorization`` header and no session cookie (cookie mode answers with its
    CSRF cookie; the app decides those)."""
    return any(name == b"authorization" for name, _ in headers) and anonymous(
        [(name, value) for name, value in headers if name != b"authorization"]
    )


def _vary(scope: Scope) -> bytes:
    """What ``http_caching`` would say for this request (a hit is what a miss answers)."""
    cookie = None
    for name, value in scope["headers"]:
        if name == b"cookie":
            cookie = bytes(value)  # the last one, as http_caching's dict of headers reads
    return vary_for(cookie)


def _if_none_match(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            return bytes(value)
    return b""


def resources_of_app(scope: Scope) -> Resources | None:
    """The running app's resources (``None`` before the lifespan opened them)."""
    found: Any = getattr(getattr(scope.get("app"), "state", None), "resources", None)
    return found if isinstance(found, Resources) else None
