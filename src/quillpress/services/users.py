"""Registration, login and the current user's account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from quillpress.db.base import utcnow
from quillpress.db.database import Database
from quillpress.domain.auth import Principal, Role
from quillpress.domain.commands import LoginUser, RegisterUser, UpdateUser
from quillpress.domain.errors import Conflict, Unauthenticated
from quillpress.domain.events import UserRegistered, UserUpdated
from quillpress.domain.views import SessionView, UserView
from quillpress.infra.security import Security
from quillpress.repositories import users as user_repo
from quillpress.services.sessions import ClientInfo, end_sessions, start_session

NO_CLIENT = ClientInfo()


def _user_view(row: Row[Any]) -> UserView:
    return UserView(
        id=row.id,
        username=row.username,
        email=row.email,
        bio=row.bio,
        image=row.image,
        role=row.role,
    )


def _session(security: Security, user: UserView, session_id: str) -> SessionView:
    token = security.tokens.issue(user_id=user.id, role=user.role, session_id=session_id)
    return SessionView(user=user, token=token, session_id=session_id)


async def register(
    db: Database,
    security: Security,
    command: RegisterUser,
    *,
    role: Role = Role.USER,
    client: ClientInfo = NO_CLIENT,
) -> SessionView:
    """``role`` other than ``user`` is only ever passed by the CLI (admins are made there).
    The new account's first session is created in the same transaction."""
    async with db.read() as conn:
        taken = await user_repo.taken_fields(conn, username=command.username, email=command.email)
    if taken:
        raise Conflict.taken(*taken)
    # Hash with no connection held: the hash takes far longer than the insert.
    password_hash = await security.passwords.hash(command.password)
    async with db.write() as tx:
        user_id = await user_repo.insert_user(
            tx.conn,
            username=command.username,
            email=command.email,
            password_hash=password_hash,
            role=role.value,
            now=utcnow(),
        )
        tx.record(UserRegistered(user_id=user_id, username=command.username))
        session_id = await start_session(tx.conn, user_id, client)
    user = UserView(
        id=user_id,
        username=command.username,
        email=command.email,
        bio=None,
        image=None,
        role=role.value,
    )
    return _session(security, user, session_id)


async def login(
    db: Database, security: Security, command: LoginUser, *, client: ClientInfo = NO_CLIENT
) -> SessionView:
    """Unknown email and wrong password fail identically, in status, body and time.
    Every login starts a new server-side session."""
    async with db.read() as conn:
        row = await user_repo.get_account_by_email(conn, command.email)
    stored = row.password_hash if row is not None else None
    if not await security.passwords.verify(stored, command.password) or row is None:
        raise Unauthenticated.bad_credentials()
    async with db.write() as tx:
        session_id = await start_session(tx.conn, row.id, client)
    return _session(security, _user_view(row), session_id)


async def current_user(db: Database, principal: Principal) -> UserView:
    async with db.read() as conn:
        row = await user_repo.get_account(conn, principal.user_id)
    if row is None:  # the account behind a still-valid token is gone
        raise Unauthenticated.invalid()
    return _user_view(row)


async def update_user(
    db: Database, security: Security, principal: Principal, command: UpdateUser
) -> UserView:
    given = command.model_fields_set
    values: dict[str, Any] = {field: getattr(command, field) for field in given - {"password"}}
    if "password" in given and command.password is not None:
        values["password_hash"] = await security.passwords.hash(command.password)
    async with db.write() as tx:
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
        if changed:
            values["updated_at"] = utcnow()
            await user_repo.update_user(tx.conn, principal.user_id, values)
            if "password" in changed:  # a new password ends every other sign-in
                await end_sessions(
                    tx, principal.user_id, keep=principal.session_id, reason="password-changed"
                )
            tx.record(
                UserUpdated(
                    user_id=principal.user_id,
                    username=values.get("username", before.username),
                    previous_username=before.username,
                    fields=changed,
                )
            )
    return await current_user(db, principal)


def _changed_fields(before: Row[Any], values: dict[str, Any]) -> frozenset[str]:
    """What an update really changes (a new password hash always counts as a change)."""
    changed = {"password"} if "password_hash" in values else set()
    changed |= {
        field
        for field, value in values.items()
        if field != "password_hash" and getattr(before, field) != value
    }
    return frozenset(changed)
