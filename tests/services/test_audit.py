"""``services.audit``: a row written inside a write's transaction shares its fate; a row of
its own (a failed login) is committed alone; every row carries the client's address,
user agent and request id; nothing secret is ever stored; filters, paging and pruning."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from quillpress.domain.auth import Principal
from quillpress.domain.clients import ClientInfo
from quillpress.domain.commands import AuditFilter, LoginUser, UpdateUser, make_page
from quillpress.domain.errors import Conflict, Unauthenticated
from quillpress.infra.limits import Limiter
from quillpress.infra.request_context import bind_request_id, unbind_request_id
from quillpress.infra.resources import Resources
from quillpress.services import audit, sessions, users
from tests.services.conftest import PASSWORD, execute, scalar, sign_up

CLIENT = ClientInfo(user_agent="pytest-agent/1.0", ip="203.0.113.7", request_id="req-1")


async def rows(resources: Resources, action: str | None = None) -> list[Any]:
    sql = "SELECT * FROM audit_event"
    if action is not None:
        sql += " WHERE action = :action"
    sql += " ORDER BY id"
    async with resources.database.engine.connect() as conn:
        return list((await conn.execute(text(sql), {"action": action})).all())


def _detail(row: Any) -> Any:
    return json.loads(row.detail) if isinstance(row.detail, str) else row.detail


async def test_a_row_recorded_in_a_rolled_back_write_is_gone_with_it(
    resources: Resources, ann: Principal
) -> None:
    async def failing_write() -> None:
        async with resources.database.write() as tx:
            await audit.record(tx.conn, action=audit.ADMIN_BAN, client=CLIENT, actor_id=1)
            raise RuntimeError("the write fails after the audit row")

    with pytest.raises(RuntimeError):
        await failing_write()
    assert await rows(resources, audit.ADMIN_BAN) == []
    async with resources.database.write() as tx:
        await audit.record(tx.conn, action=audit.ADMIN_BAN, client=CLIENT, actor_id=ann.user_id)
    [row] = await rows(resources, audit.ADMIN_BAN)
    assert (row.actor_id, row.actor, row.outcome) == (ann.user_id, "ann", "success")
    assert (row.ip, row.user_agent, row.request_id) == (
        "203.0.113.7",
        "pytest-agent/1.0",
        "req-1",
    )


async def test_a_failed_write_leaves_no_audit_row_of_its_change(
    resources: Resources, ann: Principal, bob: Principal
) -> None:
    """A password change refused (the new username is taken) records no password change."""
    command = UpdateUser.model_validate({"username": "bob", "password": "another-password"})
    with pytest.raises(Conflict):
        await users.update_user(
            resources.database, resources.security, ann, command, client=ClientInfo()
        )
    assert await rows(resources, audit.USER_PASSWORD_CHANGE) == []


async def test_record_alone_commits_its_own_row_and_takes_the_current_request_id(
    resources: Resources,
) -> None:
    token = bind_request_id("bound-request")
    try:
        await audit.record_alone(
            resources.database,
            action=audit.RATE_LOCKOUT,
            client=ClientInfo(ip="198.51.100.1"),
            target="ip:198.51.100.1",
            detail={"rule": "login"},
        )
    finally:
        unbind_request_id(token)
    [row] = await rows(resources)
    assert (row.action, row.outcome, row.request_id, row.actor) == (
        "rate.lockout",
        "failure",
        "bound-request",
        None,
    )
    assert _detail(row) == {"rule": "login"}


@pytest.mark.parametrize("key", ["password", "token", "refreshToken", "cookie"])
async def test_a_detail_naming_a_secret_is_refused(resources: Resources, key: str) -> None:
    with pytest.raises(ValueError, match=key):
        await audit.record_alone(
            resources.database, action="x.y", client=CLIENT, detail={key: "value"}
        )
    assert await rows(resources) == []


async def test_login_records_success_and_last_login_in_one_write(resources: Resources) -> None:
    ann = await sign_up(resources, "ann")
    assert await scalar(resources, "SELECT last_login_at FROM app_user") is None
    command = LoginUser(email="ANN@example.com", password=PASSWORD)
    await users.login(
        resources.database, resources.security, command, client=CLIENT, limiter=Limiter.disabled()
    )
    assert await scalar(resources, "SELECT last_login_at FROM app_user") is not None
    [row] = await rows(resources, audit.USER_LOGIN)
    assert (row.actor_id, row.actor, row.target, row.ip) == (
        ann.user_id,
        "ann",
        "user:ann",
        "203.0.113.7",
    )


async def test_a_failed_login_records_the_email_given_and_whether_it_exists(
    resources: Resources,
) -> None:
    await sign_up(resources, "ann")
    for email in ("ann@example.com", "nobody@example.com"):
        with pytest.raises(Unauthenticated):
            await users.login(
                resources.database,
                resources.security,
                LoginUser(email=email, password="wrong-password"),
                client=CLIENT,
                limiter=Limiter.disabled(),
            )
    known, unknown = await rows(resources, audit.USER_LOGIN_FAILED)
    assert (known.outcome, known.target, known.actor) == ("failure", "user:ann", None)
    assert _detail(known) == {"email": "ann@example.com", "accountExists": True}
    assert unknown.target is None
    assert _detail(unknown) == {"email": "nobody@example.com", "accountExists": False}
    assert await scalar(resources, "SELECT last_login_at FROM app_user") is None


async def test_each_security_event_of_a_session_is_recorded(resources: Resources) -> None:
    """register, logout, revoke, logout-all, password change and refresh reuse."""
    db, security = resources.database, resources.security
    session = await users.register(
        db,
        security,
        users.RegisterUser(username="ann", email="ann@example.com", password=PASSWORD),
        client=CLIENT,
        limiter=Limiter.disabled(),
    )
    ann = Principal(user_id=session.user.id, session_id=session.session_id)
    other = await users.login(
        db,
        security,
        LoginUser(email="ann@example.com", password=PASSWORD),
        client=ClientInfo(),
        limiter=Limiter.disabled(),
    )
    await sessions.revoke_session(db, ann, str(other.session_id), client=CLIENT)
    third = await users.login(
        db,
        security,
        LoginUser(email="ann@example.com", password=PASSWORD),
        client=ClientInfo(),
        limiter=Limiter.disabled(),
    )
    assert third.refresh_token is not None
    await users.refresh(db, security, third.refresh_token, client=ClientInfo())
    await execute(resources, "UPDATE user_session SET rotated_at = :old", old=datetime(2000, 1, 1))
    with pytest.raises(Unauthenticated):
        await users.refresh(db, security, third.refresh_token, client=CLIENT)
    await users.update_user(db, security, ann, UpdateUser(password="a-new-password"), client=CLIENT)
    await sessions.logout(db, ann, client=CLIENT)
    actions = [row.action for row in await rows(resources)]
    assert actions == [
        "user.register",
        "user.login",
        "session.revoke",
        "user.login",
        "session.refresh_reuse",
        "user.password_change",
        "session.logout",
    ]
    reuse = (await rows(resources, audit.SESSION_REFRESH_REUSE))[0]
    assert (reuse.outcome, reuse.actor, reuse.target) == (
        "failure",
        "ann",
        f"session:{third.session_id}",
    )


async def test_no_audit_row_holds_a_password_token_or_cookie_value(resources: Resources) -> None:
    db, security = resources.database, resources.security
    secrets: list[str] = [PASSWORD, "a-new-password", "wrong-password"]
    session = await users.register(
        db,
        security,
        users.RegisterUser(username="ann", email="ann@example.com", password=PASSWORD),
        client=CLIENT,
        limiter=Limiter.disabled(),
    )
    secrets += [session.token, str(session.refresh_token)]
    with pytest.raises(Unauthenticated):
        await users.login(
            db,
            security,
            LoginUser(email="ann@example.com", password="wrong-password"),
            client=ClientInfo(),
            limiter=Limiter.disabled(),
        )
    signed_in = await users.login(
        db,
        security,
        LoginUser(email="ann@example.com", password=PASSWORD),
        client=ClientInfo(),
        limiter=Limiter.disabled(),
    )
    secrets += [signed_in.token, str(signed_in.refresh_token)]
    refreshed = await users.refresh(db, security, str(signed_in.refresh_token), client=ClientInfo())
    secrets += [refreshed.token, str(refreshed.refresh_token)]
    ann = Principal(user_id=session.user.id, session_id=session.session_id)
    await users.update_user(
        db, security, ann, UpdateUser(password="a-new-password"), client=ClientInfo()
    )
    await sessions.logout_all(db, ann, client=ClientInfo())
    stored = [row._asdict() for row in await rows(resources)]
    assert len(stored) >= 5
    dump = json.dumps(stored, default=str)
    for secret in secrets:
        assert secret not in dump
    hashes = await scalar(resources, "SELECT password_hash FROM app_user")
    assert hashes not in dump


async def test_events_list_newest_first_with_filters_paging_and_a_total(
    resources: Resources,
) -> None:
    ann = await sign_up(resources, "ann")
    await sign_up(resources, "bob")
    for _ in range(3):
        await sessions.logout_all(resources.database, ann, client=ClientInfo())
    db = resources.database
    page = await audit.list_events(db, AuditFilter(), make_page(2, max_limit=100))
    assert (page.total, len(page.items), page.has_next) == (5, 2, True)
    assert [e.id for e in page.items] == sorted((e.id for e in page.items), reverse=True)
    by_ann = await audit.list_events(db, AuditFilter(actor="ANN"), make_page(10, max_limit=100))
    assert (by_ann.total, {e.actor for e in by_ann.items}) == (4, {"ann"})
    logouts = AuditFilter(actor="ann", action="session.logout")
    rest = await audit.list_events(db, logouts, make_page(10, 1, max_limit=100))
    assert (rest.total, len(rest.items), rest.has_next) == (3, 2, False)
    future = AuditFilter(since=datetime.now(UTC) + timedelta(hours=1))
    assert (await audit.list_events(db, future, make_page(10, max_limit=100))).total == 0
    after = make_page(2, max_limit=100, after=_cursor(page.items[-1]))
    continued = await audit.list_events(db, AuditFilter(), after)
    assert [e.id for e in continued.items] == [page.items[-1].id - 1, page.items[-1].id - 2]


def _cursor(event: Any) -> Any:
    from quillpress.domain.commands import Cursor

    return Cursor(created_at=event.at, id=event.id)


async def test_prune_removes_only_events_older_than_the_retention(resources: Resources) -> None:
    await sign_up(resources, "ann")
    await sign_up(resources, "bob")
    old = datetime.now(UTC) - timedelta(days=91)
    await execute(resources, "UPDATE audit_event SET at = :old WHERE actor = 'ann'", old=old)
    removed = await audit.prune(resources.database, retention_days=90)
    assert removed == 1
    assert [row.actor for row in await rows(resources)] == ["bob"]


async def test_the_audit_log_filters_by_target_and_until(resources: Resources) -> None:
    db = resources.database
    for target in ("user:Ann", "user:bob", "article:ann"):
        await audit.record_alone(db, action=audit.ADMIN_BAN, client=ClientInfo(), target=target)

    async def targets(**filters: Any) -> list[str | None]:
        page = await audit.list_events(db, AuditFilter(**filters), make_page(10, max_limit=100))
        return [event.target for event in page.items]

    assert await targets(target="ANN") == ["user:Ann"]
    assert await targets(target="Article:Ann") == ["article:ann"]
    assert await targets(until=datetime.now(UTC) - timedelta(hours=1)) == []
    assert len(await targets(until=datetime.now(UTC) + timedelta(hours=1))) == 3
    today = datetime.now(UTC).date().isoformat()
    assert len(await targets(since=today, until=today)) == 3  # a bare date: the whole day
