"""The one way in: a request's credentials → the :class:`Principal` behind them.

REST and GraphQL both call :func:`authenticate`; later, cookies and server-side session
checks are added here and nowhere else. The token proves who signed in; the database says
whether that account still exists and what its role is *now*, so a deleted user's token
is refused on every endpoint and a role change applies from the next request."""

from __future__ import annotations

from dataclasses import dataclass

from quillpress.db.database import Database
from quillpress.domain.auth import Principal, Role
from quillpress.domain.errors import Unauthenticated
from quillpress.infra.security import Security
from quillpress.infra.tokens import parse_authorization
from quillpress.repositories import users as user_repo


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a request presented, as the adapter read it off the transport."""

    authorization: str | None = None


@dataclass(frozen=True, slots=True)
class Authenticated:
    principal: Principal
    token: str


async def authenticate(
    db: Database, security: Security, credentials: Credentials
) -> Authenticated | None:
    """``None`` for an anonymous request; ``Unauthenticated`` for a malformed, forged or
    expired token, or one whose account no longer exists. One indexed statement when a
    token is presented, none otherwise."""
    token = parse_authorization(credentials.authorization)
    if token is None:
        return None
    claimed = security.tokens.verify(token)
    async with db.read() as conn:
        role = await user_repo.get_role(conn, claimed.user_id)
    if role is None:
        raise Unauthenticated.invalid()
    return Authenticated(principal=Principal(user_id=claimed.user_id, role=Role(role)), token=token)
