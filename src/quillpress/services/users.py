"""Registration, login and the current user's account.

Size: registration, login and account edits share the sign-in bookkeeping (lockouts, the
audit rows, sessions) that lives here once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import orjson

from quillpress.db.database import opened
from quillpress.domain.auth import Principal, Role
from quillpress.domain.clients import ClientInfo
from quillpress.domain.clock import utcnow
from quillpress.domain.commands import LoginUser, RegisterUser, UpdateUser
from quillpress.domain.errors import Banned, Conflict, Unauthenticated
from quillpress.domain.events import SessionRevoked, UserRegistered, UserUpdated
from quillpress.domain.views import SessionView, UserView
from quillpress.infra import cache_keys
from quillpress.infra.limits import Limiter
from quillpress.infra.resources import Store
from quillpress.infra.security import Security
from quillpress.repositories import sessions as session_repo
from quillpress.repositories import users as user_repo
from quillpress.repositories.sessions import SpentRefresh
from quillpress.repositories.users import AccountRow
from quillpress.services import audit, limits
from quillpress.services.authentication import CsrfProof, check_csrf, check_csrf_presence
from quillpress.services.sessions import end_sessions, start_session

log = logging.getLogger("quillpress.sessions")


def _user_view(row: AccountRow) -> UserView:
    return UserView(
        id=row.id,
        username=row.username,
        email=row.email,
        bio=row.bio,
        image=row.image,
        role=row.role,
    )


def _session(
    security: Security, user: UserView, session_id: str, refresh_token: str
) -> SessionView:
    token = security.tokens.issue(user_id=user.id, role=user.role, session_id=session_id)
    return SessionView(user=user, token=token, refresh_token=refresh_token, session_id=session_id)


async def register(
    db: Store,
    security: Security,
    command: RegisterUser,
    *,
    role: Role = Role.USER,
    client: ClientInfo,
    limiter: Limiter,
) -> SessionView:
    """``role`` other than ``user`` is only ever passed by the CLI (admins are made there).
    The new account's first session is created in the same transaction."""
    await limits.registration(limiter, client.ip)
    async with opened(db).read() as conn:
        taken = await user_repo.taken_fields(conn, username=command.username, email=command.email)
    if taken:
        raise Conflict.taken(*taken)
    # Hash with no connection held: the hash takes far longer than the insert.
    password_hash = await security.passwords.hash(command.password)
    async with opened(db).write() as tx:
        user_id = await user_repo.insert_user(
            tx.conn,
            username=command.username,
            email=command.email,
            password_hash=password_hash,
            role=role.value,
            now=utcnow(),
        )
        tx.record(UserRegistered(user_id=user_id, username=command.username))
        refresh_token = security.refresh.new()
        session_id = await start_session(
            tx.conn, user_id, client, refresh_hash=security.refresh.hash(refresh_token)
        )
        await audit.record(
            tx.conn,
            action=audit.USER_REGISTER,
            client=client,
            actor_id=user_id,
            actor=command.username,
            target=f"user:{command.username}",
            detail={"role": role.value} if role is not Role.USER else None,
        )
    user = UserView(
        id=user_id,
        username=command.username,
        email=command.email,
        bio=None,
        image=None,
        role=role.value,
    )
    return _session(security, user, session_id, refresh_token)


async def login(
    db: Store,
    security: Security,
    command: LoginUser,
    *,
    client: ClientInfo,
    limiter: Limiter,
) -> SessionView:
    """Unknown email and wrong password fail identically, in status, body and time.
    Every login starts a new server-side session. The address is looked up by its
    normalised form (``domain.emails``); a locked-out account (whichever spelling found
    it) or IP is refused before the password is checked (see ``services.limits``). A
    banned account is refused only once the password proved right (a guesser learns
    nothing about bans). Failures get an audit row of their own; a success's row and
    ``last_login_at`` share the session's transaction."""
    async with opened(db).read() as conn:
        row = await user_repo.get_account_by_email(conn, command.email)
    account = limits.login_account(row, command.email)  # the id found, not the text sent
    await limits.before_login(limiter, account, client.ip)
    stored = row.password_hash if row is not None else None
    if not await security.passwords.verify(stored, command.password) or row is None:
        await _login_failed(db, client, command.email, row)
        await limits.login_failed(db, limiter, account, client)
        raise Unauthenticated.bad_credentials()
    if row.banned:
        await _login_failed(db, client, command.email, row, reason="banned")
        raise Banned(row.ban_reason)
    refresh_token = security.refresh.new()
    async with opened(db).write() as tx:
        session_id = await start_session(
            tx.conn, row.id, client, refresh_hash=security.refresh.hash(refresh_token)
        )
        await user_repo.record_login(tx.conn, row.id, now=utcnow())
        await audit.record(
            tx.conn,
            action=audit.USER_LOGIN,
            client=client,
            actor_id=row.id,
            actor=row.username,
            target=f"user:{row.username}",
        )
    return _session(security, _user_view(row), session_id, refresh_token)


async def _login_failed(
    db: Store, client: ClientInfo, email: str, row: AccountRow | None, *, reason: str = ""
) -> None:
    """The email as given and whether it names an account; never the password."""
    detail: dict[str, str | bool] = {"email": email, "accountExists": row is not None}
    if reason:
        detail["reason"] = reason
    await audit.record_alone(
        db,
        action=audit.USER_LOGIN_FAILED,
        client=client,
        target=f"user:{row.username}" if row is not None else None,
        outcome=audit.FAILURE,
        detail=detail,
    )


async def refresh(
    db: Store,
    security: Security,
    refresh_token: str,
    *,
    client: ClientInfo,
    csrf: CsrfProof | None = None,
) -> SessionView:
    """Spend ``refresh_token`` for a new access token and its successor.

    - The current token of a live session within its lifetimes: rotated (atomically, so
      of two concurrent presentations one rotates and the other takes the grace path).
    - The token just spent, again within the grace window: the same successor (derived
      from the spent token, see ``infra.refresh_tokens``) and a fresh access token.
    - A spent token outside the window is reuse, the sign of a stolen token: the whole
      session is revoked (committed with its audit row, then logged), and the request
      is refused.
    - A banned account: refused (``Banned``), nothing rotated.
    - Anything else (unknown, expired, revoked): refused.

    ``csrf``: the refresh cookie is being spent (cookie mode), so the request needs the
    CSRF proof every unsafe cookie request needs (``services.authentication``), bound to
    the session the token belongs to. A refusal (``CsrfRejected``) changes nothing: no
    rotation, no reuse revocation."""
    if csrf is not None:
        check_csrf_presence(csrf)  # before the database: no session needed to refuse
    policy = security.refresh
    spent = policy.hash(refresh_token)
    successor = policy.successor(refresh_token)
    now = utcnow()
    reused: SpentRefresh | None = None
    account: AccountRow | None = None
    session_id = ""
    async with opened(db).write() as tx:
        rotated = await session_repo.rotate_refresh(
            tx.conn,
            spent_hash=spent,
            successor_hash=policy.hash(successor),
            now=now,
            created_after=now - timedelta(seconds=policy.lifetime_seconds),
            refreshed_after=now - timedelta(seconds=policy.idle_seconds),
        )
        if rotated is not None:
            session_id = rotated.id
            if csrf is not None:
                check_csrf(security, csrf, session_id)  # raised: the rotation rolls back
            account = await user_repo.get_account(tx.conn, rotated.user_id)
        else:
            row = await session_repo.by_spent_refresh(tx.conn, spent)
            if row is None:
                raise Unauthenticated.invalid_refresh()
            if csrf is not None:
                check_csrf(security, csrf, row.id)
            if _within_grace(row, now, policy.grace_seconds, policy.hash(successor)):
                session_id = row.id
                account = await user_repo.get_account(tx.conn, row.user_id)
            elif row.revoked_at is None:
                await session_repo.revoke(tx.conn, row.user_id, [row.id], now=now)
                tx.record(
                    SessionRevoked(
                        user_id=row.user_id, session_ids=(row.id,), reason="refresh-reuse"
                    )
                )
                await audit.record(
                    tx.conn,
                    action=audit.SESSION_REFRESH_REUSE,
                    client=client,
                    actor_id=row.user_id,
                    target=f"session:{row.id}",
                    outcome=audit.FAILURE,
                )
                reused = row
            else:
                raise Unauthenticated.invalid_refresh()
        if account is not None and account.banned:  # rolls the rotation back
            raise Banned(account.ban_reason)
    if reused is not None:
        log.warning(
            "refresh token reuse: session revoked",
            extra={"user_id": reused.user_id, "session": reused.id},
        )
        raise Unauthenticated.invalid_refresh()
    if account is None:  # the account is gone (its sessions cascade with it)
        raise Unauthenticated.invalid_refresh()
    return _session(security, _user_view(account), session_id, successor)


def _within_grace(
    row: SpentRefresh, now: datetime, grace_seconds: int, successor_hash: str
) -> bool:
    """The spent token's session is live, was rotated a moment ago, and its current token
    is still this token's successor (not rotated again since)."""
    if row.revoked_at is not None or row.rotated_at is None:
        return False
    rotated_at = row.rotated_at
    if rotated_at.tzinfo is None:  # SQLite returns naive UTC
        rotated_at = rotated_at.replace(tzinfo=UTC)
    return bool(
        now - rotated_at <= timedelta(seconds=grace_seconds) and row.refresh_hash == successor_hash
    )


def account_key(user_id: int) -> tuple[str, tuple[str, ...]]:
    """Where a user's account view is cached, and the tags that retire it: the profile
    (any ``UserUpdated``: name, email, bio, image, role) and every session of the user."""
    return cache_keys.account(user_id), (cache_keys.profile(user_id), cache_keys.sessions(user_id))


def encoded_account(view: UserView) -> bytes:
    return orjson.dumps(view)


def decoded_account(raw: bytes) -> UserView:
    return UserView(**orjson.loads(raw))


async def current_user(db: Store, principal: Principal) -> UserView:
    """The signed-in user's account, read through the cache when there is one: the
    response cache answers ``GET /api/user`` from the same entry, with the session in the
    same round trip (``api.response_cache``)."""
    database = opened(db)

    async def load() -> bytes | None:
        async with database.read() as conn:
            row = await user_repo.get_account(conn, principal.user_id)
        return None if row is None else encoded_account(_user_view(row))

    if database.cache is None:
        raw = await load()
    else:
        key, tags = account_key(principal.user_id)
        raw = await database.cache.fetch(key, tags, load)
    if raw is None:  # the account behind a still-valid token is gone
        raise Unauthenticated.invalid()
    return decoded_account(raw)


async def update_user(
    db: Store,
    security: Security,
    principal: Principal,
    command: UpdateUser,
    *,
    client: ClientInfo,
) -> UserView:
    given = command.model_fields_set
    values: dict[str, object] = {field: getattr(command, field) for field in given - {"password"}}
    if "password" in given and command.password is not None:
        values["password_hash"] = await security.passwords.hash(command.password)
    async with opened(db).write() as tx:
        before = await user_repo.get_account(tx.conn, principal.user_id)
        if before is None:  # the account behind a still-valid token is gone
            raise Unauthenticated.invalid()
        taken = await user_repo.taken_fields(
            tx.conn,
            username=command.username if "username" in given else None,
            email=command.email if "email" in given else None,
            exclude_id=principal.user_id,
        )
        if taken:
            raise Conflict.taken(*taken)
        changed = _changed_fields(before, values)
        username = command.username if command.username is not None else before.username
        if changed:
            values["updated_at"] = utcnow()
            await user_repo.update_user(tx.conn, principal.user_id, values)
            if "password" in changed:  # a new password ends every other sign-in
                ended = await end_sessions(
                    tx, principal.user_id, keep=principal.session_id, reason="password-changed"
                )
                await audit.record(
                    tx.conn,
                    action=audit.USER_PASSWORD_CHANGE,
                    client=client,
                    actor_id=principal.user_id,
                    target=f"user:{username}",
                    detail={"sessionsEnded": len(ended)},
                )
            tx.record(
                UserUpdated(
                    user_id=principal.user_id,
                    username=username,
                    previous_username=before.username,
                    fields=changed,
                )
            )
        # Read back inside the transaction: a committed change is answered as one, even
        # if the database goes away as the commit returns.
        after = await user_repo.get_account(tx.conn, principal.user_id)
    assert after is not None  # checked above, in this very transaction
    return _user_view(after)


def _changed_fields(before: AccountRow, values: dict[str, object]) -> frozenset[str]:
    """What an update really changes (a new password hash always counts as a change)."""
    changed = {"password"} if "password_hash" in values else set()
    changed |= {
        field
        for field, value in values.items()
        if field != "password_hash" and getattr(before, field) != value
    }
    return frozenset(changed)
