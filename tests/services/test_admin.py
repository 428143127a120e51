"""``services.admin``: only admins may use it; the user list; role changes and bans with
their consequences (sessions ended, cache purge events, audit rows); the last-admin rule,
also under two concurrent demotions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from quillpress.domain.auth import Principal, Role
from quillpress.domain.clients import ClientInfo
from quillpress.domain.commands import (
    AdminUpdateUser,
    AuditFilter,
    LoginUser,
    UserSearch,
    make_page,
)
from quillpress.domain.errors import Banned, Forbidden, LastAdmin, NotFound, Unauthenticated
from quillpress.domain.events import SessionRevoked, UserUpdated
from quillpress.infra.limits import Limiter
from quillpress.infra.resources import Resources
from quillpress.services import admin as admin_service
from quillpress.services import articles, authentication, users
from tests.services.conftest import (
    PASSWORD,
    Published,
    execute,
    scalar,
    set_role,
    sign_up,
    write_article,
)

PAGE = make_page(20, max_limit=100)


def change(**fields: Any) -> AdminUpdateUser:
    return AdminUpdateUser.model_validate(fields)


async def login(resources: Resources, name: str, password: str = PASSWORD) -> Any:
    command = LoginUser(email=f"{name}@example.com", password=password)
    return await users.login(
        resources.database,
        resources.security,
        command,
        client=ClientInfo(),
        limiter=Limiter.disabled(),
    )


async def audit_actions(resources: Resources) -> list[str]:
    page = await admin_service.list_audit(
        resources.database, Principal(user_id=0, role=Role.ADMIN), AuditFilter(), PAGE
    )
    return [event.action for event in reversed(page.items)]


async def test_everyone_but_an_admin_is_forbidden(resources: Resources, ann: Principal) -> None:
    db = resources.database
    with pytest.raises(Forbidden, match="admin"):
        await admin_service.list_users(db, ann, UserSearch(), PAGE)
    with pytest.raises(Forbidden):
        await admin_service.list_audit(db, ann, AuditFilter(), PAGE)
    with pytest.raises(Forbidden):
        await admin_service.update_user(db, ann, "ann", change(role="admin"), client=ClientInfo())
    assert await scalar(resources, "SELECT role FROM app_user WHERE id = :id", id=ann.user_id) == (
        "user"
    )


async def test_the_user_list_matches_username_or_email_newest_first_with_a_total(
    resources: Resources, admin: Principal
) -> None:
    for name in ("ann", "annabel", "bob"):
        await sign_up(resources, name)
    await execute(  # a write outside the app sets the normalised form too (migration 0006)
        resources,
        "UPDATE app_user SET email = 'zed@ANN-corp.example', "
        "email_normalized = 'zed@ann-corp.example' WHERE username = 'bob'",
    )
    db = resources.database
    everyone = await admin_list(resources, admin, None)
    assert [u.username for u in everyone.items] == ["bob", "annabel", "ann", "root"]
    assert everyone.total == 4
    matching = await admin_list(resources, admin, "ANN")
    assert [u.username for u in matching.items] == ["bob", "annabel", "ann"]  # bob by email
    first = await admin_service.list_users(
        db, admin, UserSearch(query="ann"), make_page(1, 1, max_limit=9)
    )
    assert ([u.username for u in first.items], first.total, first.has_next) == (
        ["annabel"],
        3,
        True,
    )
    assert (await admin_list(resources, admin, "%")).total == 0  # LIKE wildcards are literal
    assert (await admin_list(resources, admin, "_")).total == 0


async def admin_list(resources: Resources, principal: Principal, query: str | None) -> Any:
    return await admin_service.list_users(
        resources.database, principal, UserSearch(query=query), PAGE
    )


async def test_a_role_change_records_an_event_that_purges_sessions_and_an_audit_row(
    resources: Resources, admin: Principal, ann: Principal, published: Published
) -> None:
    view = await admin_service.update_user(
        resources.database, admin, "ANN", change(role="admin"), client=ClientInfo()
    )
    assert (view.username, view.role, view.banned) == ("ann", "admin", False)
    [event] = published.events
    assert isinstance(event, UserUpdated)
    assert (event.user_id, event.fields) == (ann.user_id, frozenset({"role"}))
    assert await audit_actions(resources) == ["user.register", "user.register", "admin.role_change"]
    role = await authentication.live_role(resources.database, ann.user_id, str(ann.session_id))
    assert role == "admin"


async def test_a_repeated_value_changes_nothing(
    resources: Resources, admin: Principal, ann: Principal, published: Published
) -> None:
    view = await admin_service.update_user(
        resources.database, admin, "ann", change(role="user", banned=False), client=ClientInfo()
    )
    assert view.role == "user"
    assert published.events == []
    assert "admin.role_change" not in await audit_actions(resources)


async def test_an_unknown_user_is_not_found(resources: Resources, admin: Principal) -> None:
    with pytest.raises(NotFound, match="user"):
        await admin_service.update_user(
            resources.database, admin, "nobody", change(banned=True), client=ClientInfo()
        )


async def test_a_ban_ends_every_session_refuses_login_and_keeps_the_content(
    resources: Resources, admin: Principal, ann: Principal, published: Published
) -> None:
    article = await write_article(resources, ann, "Ann's post")
    await login(resources, "ann")  # a second session
    published.clear()
    view = await admin_service.update_user(
        resources.database, admin, "ann", change(banned=True), client=ClientInfo()
    )
    assert view.banned
    revoked = [e for e in published.events if isinstance(e, SessionRevoked)]
    assert [(e.every_session, len(e.session_ids)) for e in revoked] == [(True, 2)]
    live = await scalar(
        resources,
        "SELECT count(*) FROM user_session WHERE revoked_at IS NULL AND user_id = :id",
        id=ann.user_id,
    )
    assert live == 0
    with pytest.raises(Banned) as refused:
        await login(resources, "ann")
    assert refused.value.fields == {"user": ["banned"]}
    with pytest.raises(Unauthenticated):  # without the password, a ban is not revealed
        await login(resources, "ann", "wrong-password")
    kept = await articles.get_article(resources.database, None, article.slug)
    assert kept.author.username == "ann"
    actions = await audit_actions(resources)
    assert actions[-3:] == ["admin.ban", "user.login_failed", "user.login_failed"]
    await admin_service.update_user(
        resources.database, admin, "ann", change(banned=False), client=ClientInfo()
    )
    assert (await login(resources, "ann")).user.username == "ann"
    assert (await audit_actions(resources))[-2:] == ["admin.unban", "user.login"]


async def test_a_banned_user_cannot_refresh(
    resources: Resources, admin: Principal, ann: Principal
) -> None:
    signed_in = await login(resources, "ann")
    await execute(
        resources, "UPDATE app_user SET banned = :yes WHERE id = :id", yes=True, id=ann.user_id
    )
    with pytest.raises(Banned):
        await users.refresh(
            resources.database, resources.security, signed_in.refresh_token, client=ClientInfo()
        )
    # and the one way in refuses a session a direct SQL ban left live
    role = await authentication.live_role(
        resources.database, ann.user_id, str(signed_in.session_id)
    )
    assert role is None


@pytest.mark.parametrize("removal", [{"role": "user"}, {"banned": True}])
async def test_the_last_admin_cannot_be_removed_even_by_themselves(
    resources: Resources, admin: Principal, ann: Principal, removal: dict[str, Any]
) -> None:
    with pytest.raises(LastAdmin) as refused:
        await admin_service.update_user(
            resources.database, admin, "root", change(**removal), client=ClientInfo()
        )
    assert refused.value.fields == {"role": ["the last admin cannot be removed"]}
    await set_role(resources, ann.user_id, Role.ADMIN)
    await admin_service.update_user(
        resources.database, admin, "root", change(**removal), client=ClientInfo()
    )  # ann is left
    with pytest.raises(LastAdmin):
        await admin_service.update_user(
            resources.database, admin, "ann", change(**removal), client=ClientInfo()
        )


async def test_a_banned_admin_does_not_count_as_an_admin_left(
    resources: Resources, admin: Principal, ann: Principal
) -> None:
    await set_role(resources, ann.user_id, Role.ADMIN)
    await admin_service.update_user(
        resources.database, admin, "ann", change(banned=True), client=ClientInfo()
    )
    with pytest.raises(LastAdmin):
        await admin_service.update_user(
            resources.database, admin, "root", change(role="user"), client=ClientInfo()
        )
    # promoting a banned user, or unbanning an admin, is never refused
    await admin_service.update_user(
        resources.database, admin, "ann", change(banned=False), client=ClientInfo()
    )


async def test_two_concurrent_demotions_leave_one_admin(
    resources: Resources, admin: Principal, ann: Principal
) -> None:
    """Each admin demotes the other at the same moment: the admins' rows are locked before
    the check (PostgreSQL), the writes serialized (SQLite), so exactly one succeeds."""
    await set_role(resources, ann.user_id, Role.ADMIN)
    ann_admin = Principal(user_id=ann.user_id, role=Role.ADMIN)
    for _ in range(3):
        outcomes = await asyncio.gather(
            admin_service.update_user(
                resources.database, admin, "ann", change(role="user"), client=ClientInfo()
            ),
            admin_service.update_user(
                resources.database, ann_admin, "root", change(role="user"), client=ClientInfo()
            ),
            return_exceptions=True,
        )
        refused = [o for o in outcomes if isinstance(o, LastAdmin)]
        assert len(refused) == 1, outcomes
        admins = await scalar(resources, "SELECT count(*) FROM app_user WHERE role = 'admin'")
        assert admins == 1
        await set_role(resources, ann.user_id, Role.ADMIN)
        await set_role(resources, admin.user_id, Role.ADMIN)
