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

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from quillpress.db.database import opened
from quillpress.domain.auth import Principal, Role
from quillpress.domain.clock import utcnow
from quillpress.domain.errors import CsrfRejected, Unauthenticated
from quillpress.infra import cache_keys
from quillpress.infra.activity import ActivityThrottle
from quillpress.infra.limits import Limiter
from quillpress.infra.request_context import note_user
from quillpress.infra.resources import Store
from quillpress.infra.security import Security
from quillpress.infra.tokens import parse_authorization
from quillpress.repositories import sessions as session_repo
from quillpress.services import limits

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Origin(StrEnum):
    """Where an unsafe cookie request says it came from, as the adapter judged it."""

    TRUSTED = "trusted"
    """``Origin`` (or, without one, ``Referer``) is the app's own or a trusted origin."""
    MISSING = "missing"
    """Neither header was sent."""
    NOT_ALLOWED = "not allowed"
    """Some other origin, the opaque ``null`` included."""


@dataclass(frozen=True, slots=True)
class CsrfProof:
    """What an unsafe request authenticated by cookie offers against CSRF: its origin and
    its ``X-CSRF-Token`` header (the ``qp_csrf`` cookie itself proves nothing: anyone
    able to write a cookie could plant it; the header must be the session's token)."""

    origin: Origin
    token: str | None


NO_PROOF = CsrfProof(origin=Origin.MISSING, token=None)


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a request presented, as the adapter read it off the transport.

    ``session_cookie`` is the access token from cookie mode; a request authenticated by it
    with an unsafe ``method`` must also carry ``csrf`` proof (:func:`check_csrf`): a
    trusted origin and the session's CSRF token. A header token always wins and needs
    neither."""

    authorization: str | None = None
    session_cookie: str | None = None
    csrf: CsrfProof | None = None
    """Read by the adapter for an unsafe request carrying the session cookie (absent
    there, it counts as no proof at all)."""
    method: str = "GET"
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
    by_cookie: bool = False
    """Authenticated by cookie mode's session cookie rather than a header."""

    @property
    def shown_token(self) -> str:
        """The token a response may carry: never the cookie's, which is ``HttpOnly`` so
        that no script on the page can read it (``""``, as cookie-mode login answers)."""
        return "" if self.by_cookie else self.token


async def authenticate(
    db: Store,
    security: Security,
    credentials: Credentials,
    *,
    activity: ActivityThrottle | None = None,
    limiter: Limiter,
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
    by_cookie: bool = False


def claimed(security: Security, credentials: Credentials) -> Claim | None:
    """The first half of :func:`authenticate`: the token read and verified (CSRF checked
    for an unsafe cookie request), ``None`` without one. A caller that reads the
    session's role some other way (the response cache, in the same round trip as the
    answer) passes it to :func:`admitted`; every other caller uses :func:`authenticate`."""
    token = parse_authorization(credentials.authorization)
    proof: CsrfProof | None = None
    by_cookie = token is None and bool(credentials.session_cookie)
    if by_cookie:
        token = credentials.session_cookie
        if credentials.method.upper() not in SAFE_METHODS:
            proof = credentials.csrf or NO_PROOF
            check_csrf_presence(proof)  # before the token: no session needed to refuse
    if token is None:
        return None
    verified = security.tokens.verify(token)
    assert verified.session_id is not None  # verify requires the claim
    if proof is not None:
        check_csrf(security, proof, verified.session_id)
    return Claim(
        user_id=verified.user_id,
        session_id=verified.session_id,
        token=token,
        by_cookie=by_cookie,
    )


async def admitted(
    db: Store,
    claim: Claim,
    role: str | None,
    credentials: Credentials,
    *,
    activity: ActivityThrottle | None = None,
    limiter: Limiter,
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
    return Authenticated(principal=principal, token=claim.token, by_cookie=claim.by_cookie)


def check_csrf_presence(proof: CsrfProof) -> None:
    """The checks that need no session: a trusted origin, then a token at all.
    ``CsrfRejected`` names the first that fails."""
    if proof.origin is Origin.MISSING:
        raise CsrfRejected(CsrfRejected.ORIGIN_MISSING)
    if proof.origin is not Origin.TRUSTED:
        raise CsrfRejected(CsrfRejected.ORIGIN_NOT_ALLOWED)
    if not proof.token:
        raise CsrfRejected(CsrfRejected.TOKEN_MISSING)


def check_csrf(security: Security, proof: CsrfProof, session_id: str) -> None:
    """Every CSRF check of an unsafe cookie request, the last one binding the token to
    the session: it must be the one derived from ``session_id`` (``infra.csrf``), so a
    ``qp_csrf`` cookie planted with a matching header fails."""
    check_csrf_presence(proof)
    assert proof.token is not None  # checked just above
    if not security.csrf.matches(session_id, proof.token):
        raise CsrfRejected(CsrfRejected.TOKEN_MISMATCH)


def session_key(user_id: int, session_id: str) -> tuple[str, tuple[str, ...]]:
    """Where a session's role is cached, and the tags that retire it."""
    key = cache_keys.session(user_id, session_id)
    return key, (key, cache_keys.sessions(user_id))


async def live_role(db: Store, user_id: int, session_id: str) -> str | None:
    """The role of a live session's account (``None``: ended, revoked, or no account)."""
    database = opened(db)

    async def load() -> bytes | None:
        async with database.read() as conn:
            role = await session_repo.live_role(conn, session_id, user_id)
        return role.encode() if role is not None else None

    if database.cache is None or not database.cache.shared:
        raw = await load()
    else:
        key, tags = session_key(user_id, session_id)
        raw = await database.cache.fetch(key, tags, load)
    return raw.decode() if raw is not None else None


async def _record_activity(db: Store, session_id: str, interval_seconds: float) -> None:
    now = utcnow()
    async with opened(db).write() as tx:
        await session_repo.touch(
            tx.conn, session_id, now=now, not_since=now - timedelta(seconds=interval_seconds)
        )
