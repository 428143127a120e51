"""The one way in: a request's credentials → the :class:`Principal` behind them.

REST and GraphQL both call :func:`authenticate`. The token proves who signed in and names
the server-side session (``sid``); the session says whether that sign-in is still live and
what the account's role is *now*. So logout, a revoked session, a deleted account or a
role change all apply from the next request, on every instance.

Without a shared cache the check is one indexed statement (session ⋈ user, two primary
keys) per authenticated request: correctness wins over the saved round trip. With Redis
the answer is read through the cache behind the database handle, tagged with the session
and the user's sessions and purged by the after-commit events (``SessionRevoked``,
``UserUpdated``), so a cached request adds no statement. An in-process cache is never
used for it: a CLI process or another worker could not purge it.

What bounds a cached session: every revocation and user update purges it, and an entry
is trusted only under the current cache epoch (``infra.epoch``), which every write that
could not purge, and every command that writes outside the server, moves on."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from quillpress.db.base import utcnow
from quillpress.db.database import Database
from quillpress.domain.auth import Principal, Role
from quillpress.domain.errors import CsrfRejected, Unauthenticated
from quillpress.infra import cache_keys
from quillpress.infra.activity import ActivityThrottle
from quillpress.infra.limits import Limiter
from quillpress.infra.request_context import note_user
from quillpress.infra.security import Security
from quillpress.infra.tokens import parse_authorization
from quillpress.repositories import sessions as session_repo
from quillpress.services import limits

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a request presented, as the adapter read it off the transport.

    ``session_cookie`` is the access token from cookie mode; a request authenticated by it
    with an unsafe ``method`` must also carry ``csrf_header`` equal to ``csrf_cookie``
    (double submit) and come from a trusted origin (``origin_trusted``: the adapter
    compared ``Origin``, or ``Referer`` without one, to the app's own origin and the CORS
    allow-list). A header token always wins and needs neither."""

    authorization: str | None = None
    session_cookie: str | None = None
    csrf_cookie: str | None = None
    csrf_header: str | None = None
    method: str = "GET"
    origin_trusted: bool = False
    writes: int | None = None
    """Unsafe operations the request carries, counted against the writes-per-user rule:
    ``None`` → one for an unsafe ``method``, none for a safe one (REST); GraphQL says how
    many mutation fields its operation selects (0 for a query sent by POST)."""

    @property
    def write_count(self) -> int:
        if self.writes is not None:
            return self.writes
        return 0 if self.method.upper() in SAFE_METHODS else 1


@dataclass(frozen=True, slots=True)
class Authenticated:
    principal: Principal
    token: str


async def authenticate(
    db: Database,
    security: Security,
    credentials: Credentials,
    *,
    activity: ActivityThrottle | None = None,
    limiter: Limiter = limits.NO_LIMITS,
) -> Authenticated | None:
    """``None`` for an anonymous request; ``Unauthenticated`` for a malformed, forged or
    expired token, or one whose session or account no longer exists. One indexed
    statement when a token is presented (none when its session is cached in Redis), none
    otherwise. ``activity`` records "last seen" in the background, throttled.

    The writes-per-user rule is counted here, the one place every authenticated request
    of either adapter passes: ``RateLimited`` once the principal's writes are exhausted."""
    claim = claimed(security, credentials)
    if claim is None:
        return None
    role = await live_role(db, claim.user_id, claim.session_id)
    return await admitted(db, claim, role, credentials, activity=activity, limiter=limiter)


@dataclass(frozen=True, slots=True)
class Claim:
    """What a verified token claims: whose session it names. Not yet admitted: the
    session must still be live (:func:`admitted`)."""

    user_id: int
    session_id: str
    token: str


def claimed(security: Security, credentials: Credentials) -> Claim | None:
    """The first half of :func:`authenticate`: the token read and verified (CSRF checked
    for an unsafe cookie request), ``None`` without one. A caller that reads the
    session's role some other way (the response cache, in the same round trip as the
    answer) passes it to :func:`admitted`; every other caller uses :func:`authenticate`."""
    token = parse_authorization(credentials.authorization)
    if token is None and credentials.session_cookie:
        token = credentials.session_cookie
        if credentials.method.upper() not in SAFE_METHODS:
            _check_csrf(credentials)
    if token is None:
        return None
    verified = security.tokens.verify(token)
    assert verified.session_id is not None  # verify requires the claim
    return Claim(user_id=verified.user_id, session_id=verified.session_id, token=token)


async def admitted(
    db: Database,
    claim: Claim,
    role: str | None,
    credentials: Credentials,
    *,
    activity: ActivityThrottle | None = None,
    limiter: Limiter = limits.NO_LIMITS,
) -> Authenticated:
    """The second half of :func:`authenticate`: ``role`` is the claimed session's live
    role (``None``: ended, revoked, or no account, refused)."""
    if role is None:
        raise Unauthenticated.invalid()
    session_id = claim.session_id
    if activity is not None and activity.due(session_id):
        activity.spawn(_record_activity(db, session_id, activity.interval_seconds))
    principal = Principal(user_id=claim.user_id, role=Role(role), session_id=session_id)
    note_user(principal.user_id)  # the request's log line names who made it
    await limits.writes(limiter, principal, credentials.write_count)
    return Authenticated(principal=principal, token=claim.token)


def _check_csrf(credentials: Credentials) -> None:
    cookie, header = credentials.csrf_cookie, credentials.csrf_header
    if (
        not cookie
        or not header
        or not hmac.compare_digest(cookie.encode(), header.encode())
        or not credentials.origin_trusted
    ):
        raise CsrfRejected()


def session_key(user_id: int, session_id: str) -> tuple[str, tuple[str, ...]]:
    """Where a session's role is cached, and the tags that retire it."""
    key = cache_keys.session(user_id, session_id)
    return key, (key, cache_keys.sessions(user_id))


async def live_role(db: Database, user_id: int, session_id: str) -> str | None:
    """The role of a live session's account (``None``: ended, revoked, or no account)."""

    async def load() -> bytes | None:
        async with db.read() as conn:
            role = await session_repo.live_role(conn, session_id, user_id)
        return role.encode() if role is not None else None

    if db.cache is None or not db.cache.shared:
        raw = await load()
    else:
        key, tags = session_key(user_id, session_id)
        raw = await db.cache.fetch(key, tags, load)
    return raw.decode() if raw is not None else None


async def _record_activity(db: Database, session_id: str, interval_seconds: float) -> None:
    now = utcnow()
    async with db.write() as tx:
        await session_repo.touch(
            tx.conn, session_id, now=now, not_since=now - timedelta(seconds=interval_seconds)
        )
