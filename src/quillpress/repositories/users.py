"""Users, profiles and follows.

Size: accounts, profiles and follows are statements over the same user table and its row
types; split, the modules would import each other's columns."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    SQLColumnExpression,
    bindparam,
    delete,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from quillpress.db import fastpath
from quillpress.db.models import AppUser, Follow
from quillpress.domain.commands import Page
from quillpress.domain.emails import normalized_email
from quillpress.domain.errors import Conflict
from quillpress.repositories._sql import (
    columns_of,
    insert_ignoring_duplicates,
    newest_first_page,
    violated_constraint,
)


class AccountRow(NamedTuple):
    """An account: its fields name the columns read (:data:`ACCOUNT_COLUMNS`)."""

    id: int
    username: str
    email: str
    bio: str | None
    image: str | None
    role: str
    password_hash: str
    banned: bool
    ban_reason: str | None


ACCOUNT_COLUMNS = columns_of(AccountRow, AppUser)


class AdminUserRow(NamedTuple):
    """A user as the admin API lists it: its fields name the columns read."""

    id: int
    username: str
    email: str
    role: str
    banned: bool
    created_at: datetime
    last_login_at: datetime | None
    bio: str | None
    image: str | None
    ban_reason: str | None


ADMIN_COLUMNS = columns_of(AdminUserRow, AppUser)


ViewerParam = int | BindParameter[int] | None
"""Whose flags a statement reads: a user id, a bound parameter, or ``None`` for anonymous."""


def following_flag(
    viewer_id: ViewerParam, followed_id: SQLColumnExpression[int]
) -> ColumnElement[bool]:
    """``EXISTS(viewer follows followed_id)`` as a column; constant false for anonymous viewers."""
    if viewer_id is None:
        return false()
    return exists().where(Follow.follower_id == viewer_id, Follow.followed_id == followed_id)


class ProfileRow(NamedTuple):
    """A profile as :func:`profile_columns` selects it, in that order."""

    id: int
    username: str
    bio: str | None
    image: str | None
    following: int
    """A flag: ``False``/``True`` on PostgreSQL, ``0``/``1`` on SQLite (read it with ``bool``)."""


def profile_columns(viewer_id: ViewerParam) -> tuple[SQLColumnExpression[Any], ...]:
    """:class:`ProfileRow`'s columns. ``viewer_id``: a user id, a bound parameter, or
    ``None`` for anonymous."""
    return (
        AppUser.id,
        AppUser.username,
        AppUser.bio,
        AppUser.image,
        following_flag(viewer_id, AppUser.id).label("following"),
    )


def by_username(username: str | BindParameter[str]) -> ColumnElement[bool]:
    """Case-insensitive match (``username`` is a value or a bound parameter)."""
    return func.lower(AppUser.username) == func.lower(username)


ACCOUNT_BY_ID = select(*ACCOUNT_COLUMNS).where(AppUser.id == bindparam("user_id", type_=Integer))
"""Built once with a bound parameter (``GET /api/user`` runs it on every request): a
request then pays neither for building the statement nor for deriving its cache key."""


async def get_account(conn: AsyncConnection, user_id: int) -> AccountRow | None:
    """Through the asyncpg fast path."""
    found = await fastpath.rows(conn, ACCOUNT_BY_ID, {"user_id": user_id})
    return AccountRow(*found[0]) if found else None


def by_email(email: str) -> ColumnElement[bool]:
    """The account whose address is ``email`` once both are normalised
    (``domain.emails``): the same ``=`` on every database, never its ``lower()``."""
    return AppUser.email_normalized == normalized_email(email)


async def get_account_by_email(conn: AsyncConnection, email: str) -> AccountRow | None:
    row = (await conn.execute(select(*ACCOUNT_COLUMNS).where(by_email(email)))).first()
    return AccountRow(*row) if row is not None else None


_PROFILE_BY_NAME = {
    signed_in: select(
        *profile_columns(bindparam("viewer_id", type_=Integer) if signed_in else None)
    ).where(by_username(bindparam("username")))
    for signed_in in (False, True)
}
"""``GET /api/profiles/{username}``'s statement, built once per kind of viewer (built per
request, its construction and cache key cost more than running it)."""


async def get_profile(
    conn: AsyncConnection, username: str, *, viewer_id: int | None
) -> ProfileRow | None:
    """Through the asyncpg fast path."""
    params: dict[str, int | str] = {"username": username}
    if viewer_id is not None:
        params["viewer_id"] = viewer_id
    found = await fastpath.rows(conn, _PROFILE_BY_NAME[viewer_id is not None], params)
    return ProfileRow(*found[0]) if found else None


async def get_id_by_username(conn: AsyncConnection, username: str) -> int | None:
    result = await conn.execute(select(AppUser.id).where(by_username(username)))
    return result.scalar()


async def taken_fields(
    conn: AsyncConnection, *, username: str | None, email: str | None, exclude_id: int | None = None
) -> list[str]:
    """Which of username/email already belong to someone else (usernames
    case-insensitively, addresses normalised)."""
    conditions = []
    if username is not None:
        conditions.append(by_username(username))
    if email is not None:
        conditions.append(by_email(email))
    if not conditions:
        return []
    stmt = select(AppUser.username, AppUser.email_normalized).where(or_(*conditions))
    if exclude_id is not None:
        stmt = stmt.where(AppUser.id != exclude_id)
    taken: list[str] = []
    for row in await conn.execute(stmt):
        if (
            username is not None
            and row.username.lower() == username.lower()
            and "username" not in taken
        ):
            taken.append("username")
        if (
            email is not None
            and row.email_normalized == normalized_email(email)
            and "email" not in taken
        ):
            taken.append("email")
    return taken


UNIQUE_FIELDS = {
    "uq_app_user_username_lower": "username",
    "uq_app_user_email_normalized": "email",  # PostgreSQL names the index
    "app_user.email_normalized": "email",  # SQLite names the column
}


@asynccontextmanager
async def _unique_as_conflict() -> AsyncIterator[None]:
    """A unique violation that slipped past ``taken_fields`` (a race) is still a 409, not a 500."""
    try:
        yield
    except IntegrityError as error:
        name = violated_constraint(error, *UNIQUE_FIELDS)
        if name is None:
            raise
        raise Conflict.taken(UNIQUE_FIELDS[name]) from None


async def insert_user(
    conn: AsyncConnection,
    *,
    username: str,
    email: str,
    password_hash: str,
    role: str,
    now: datetime,
) -> int:
    stmt = (
        insert(AppUser)
        .values(
            username=username,
            email=email,
            email_normalized=normalized_email(email),
            password_hash=password_hash,
            role=role,
            created_at=now,
            updated_at=now,
        )
        .returning(AppUser.id)
    )
    async with _unique_as_conflict():
        return int((await conn.execute(stmt)).scalar_one())


async def update_user(conn: AsyncConnection, user_id: int, values: Mapping[str, object]) -> None:
    """A new ``email`` brings its normalised form along (nobody can set one without the
    other)."""
    if "email" in values:
        values = {**values, "email_normalized": normalized_email(str(values["email"]))}
    async with _unique_as_conflict():
        await conn.execute(update(AppUser).where(AppUser.id == user_id).values(**values))


async def follow(
    conn: AsyncConnection, *, follower_id: int, followed_id: int, now: datetime
) -> bool:
    """Idempotent; ``True`` when the follow is new."""
    stmt = (
        insert_ignoring_duplicates(conn, Follow.__table__)  # type: ignore[arg-type]
        .values(follower_id=follower_id, followed_id=followed_id, created_at=now)
        .returning(Follow.follower_id)
    )
    return (await conn.execute(stmt)).first() is not None


async def unfollow(conn: AsyncConnection, *, follower_id: int, followed_id: int) -> bool:
    """Idempotent; ``True`` when there was a follow to remove."""
    stmt = (
        delete(Follow)
        .where(Follow.follower_id == follower_id, Follow.followed_id == followed_id)
        .returning(Follow.follower_id)
    )
    return (await conn.execute(stmt)).first() is not None


async def record_login(conn: AsyncConnection, user_id: int, *, now: datetime) -> None:
    await conn.execute(update(AppUser).where(AppUser.id == user_id).values(last_login_at=now))


async def get_admin_view(conn: AsyncConnection, username: str) -> AdminUserRow | None:
    """The admin API's columns of one user, by username (case-insensitive)."""
    row = (await conn.execute(select(*ADMIN_COLUMNS).where(by_username(username)))).first()
    return AdminUserRow(*row) if row is not None else None


async def admin_list(
    conn: AsyncConnection,
    *,
    query: str | None,
    page: Page,
    role: str | None = None,
    banned: bool | None = None,
) -> tuple[list[AdminUserRow], int]:
    """Users newest first whose username (case-insensitively) or normalised email
    contains ``query`` (normalised alike; ``%`` and ``_`` taken literally), of ``role``
    and ban state when given: ``limit + 1`` rows (the extra says a next page exists) and
    the total of matches. Two statements whatever the page size."""
    conditions: list[ColumnElement[bool]] = []
    if role is not None:
        conditions.append(AppUser.role == role)
    if banned is not None:
        conditions.append(AppUser.banned.is_(true() if banned else false()))
    if query:
        conditions.append(
            or_(
                func.lower(AppUser.username).contains(query.lower(), autoescape=True),
                AppUser.email_normalized.contains(normalized_email(query), autoescape=True),
            )
        )
    rows, total = await newest_first_page(
        conn,
        ADMIN_COLUMNS,
        table=AppUser,
        at=AppUser.created_at,
        id_=AppUser.id,
        conditions=conditions,
        page=page,
    )
    return [AdminUserRow(*row) for row in rows], total


async def lock_active_admins(conn: AsyncConnection) -> list[int]:
    """Ids of the admins who are not banned, their rows locked until the transaction ends
    (PostgreSQL ``FOR UPDATE``, in id order so two callers cannot deadlock). A concurrent
    demotion waits here and then sees the committed result, so two demotions can never
    both pass the last-admin check. (SQLite has no row locks and needs none: its writes
    hold the database's write lock from ``BEGIN IMMEDIATE``.)"""
    result = await conn.execute(
        select(AppUser.id)
        .where(AppUser.role == "admin", AppUser.banned.is_(false()))
        .order_by(AppUser.id)
        .with_for_update()
    )
    return list(result.scalars())


async def set_moderation(
    conn: AsyncConnection, user_id: int, *, values: Mapping[str, object], now: datetime
) -> None:
    """Set ``role``, ``banned`` and/or ``ban_reason``."""
    allowed = {
        key: value for key, value in values.items() if key in {"role", "banned", "ban_reason"}
    }
    await conn.execute(
        update(AppUser).where(AppUser.id == user_id).values(**allowed, updated_at=now)
    )
