"""The session check (``repositories.sessions.live_role``) on its fast path (PostgreSQL:
the statement straight through asyncpg, ``db.fastpath``) and on SQLAlchemy's path return
the same answer for every state a session can be in, count as one statement each, and the
fast path is the one PostgreSQL reads take."""

from __future__ import annotations

from typing import Any

import pytest

from quillpress.db import fastpath
from quillpress.db.stats import StatementStats, current_stats
from quillpress.domain.auth import Principal, Role
from quillpress.infra.resources import Resources
from quillpress.repositories import sessions as session_repo
from tests.services.conftest import execute, set_role, sign_up


async def both_paths(resources: Resources, session_id: str, user_id: int) -> tuple[Any, Any]:
    params = {"session_id": session_id, "user_id": user_id}
    async with resources.database.read() as conn:
        fast = await fastpath.scalar(conn, session_repo.LIVE_ROLE, params)
        usual = (await conn.execute(session_repo.LIVE_ROLE, params)).scalar()
    return fast, usual


async def states(resources: Resources) -> list[tuple[str, str, int, str | None]]:
    """(what, session id, user id, the expected role) for every kind of session."""
    ann = await sign_up(resources, "ann")
    bob = await sign_up(resources, "bob")
    cid = await sign_up(resources, "cid")
    dan = await sign_up(resources, "dan")
    await set_role(resources, bob.user_id, Role.ADMIN)
    await execute(
        resources,
        "UPDATE user_session SET revoked_at = created_at WHERE id = :id",
        id=cid.session_id,
    )
    await execute(resources, "UPDATE app_user SET banned = true WHERE id = :id", id=dan.user_id)
    for principal in (ann, bob, cid, dan):
        assert principal.session_id is not None
    return [
        ("live", ann.session_id, ann.user_id, "user"),
        ("live admin", bob.session_id, bob.user_id, "admin"),
        ("revoked", cid.session_id, cid.user_id, None),
        ("banned", dan.session_id, dan.user_id, None),
        ("another user's session", ann.session_id, bob.user_id, None),
        ("unknown", "no-such-session", ann.user_id, None),
    ]


async def test_both_paths_give_the_same_role_in_every_state(resources: Resources) -> None:
    for what, session_id, user_id, expected in await states(resources):
        fast, usual = await both_paths(resources, session_id, user_id)
        assert fast == usual == expected, what
        assert type(fast) is type(usual), what


async def test_each_path_counts_one_statement(resources: Resources) -> None:
    ann: Principal = await sign_up(resources, "ann")
    assert ann.session_id is not None
    stats = StatementStats(statements=[])
    token = current_stats.set(stats)
    try:
        fast, usual = await both_paths(resources, ann.session_id, ann.user_id)
    finally:
        current_stats.reset(token)
    assert fast == usual == "user"
    assert stats.count == 2
    assert all("user_session" in sql for sql in stats.statements or [])


async def test_postgresql_reads_take_the_fast_path(
    resources: Resources, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = await sign_up(resources, "ann")
    assert ann.session_id is not None
    taken: list[bool] = []
    original = fastpath._driver_connection

    async def spy(conn: Any) -> Any:
        driver = await original(conn)
        taken.append(driver is not None)
        return driver

    monkeypatch.setattr(fastpath, "_driver_connection", spy)
    async with resources.database.read() as conn:
        assert await session_repo.live_role(conn, ann.session_id, ann.user_id) == "user"
    async with resources.database.write() as tx:  # inside a transaction: the usual path
        assert await session_repo.live_role(tx.conn, ann.session_id, ann.user_id) == "user"
    assert taken == [backend == "postgresql", False]
