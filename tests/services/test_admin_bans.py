"""``services.admin``: a ban's reason (stored with the ban, in its audit row, shown to the
refused login, cleared by the unban), reading one user, and the user list's role and ban
filters."""

from __future__ import annotations

from typing import Any

import pytest

from quillpress.domain.auth import Principal
from quillpress.domain.clients import ClientInfo
from quillpress.domain.commands import AdminUpdateUser, AuditFilter, UserSearch, make_page
from quillpress.domain.errors import Banned, Forbidden, Invalid, LastAdmin, NotFound
from quillpress.domain.validation import parse
from quillpress.infra.resources import Resources
from quillpress.services import admin as admin_service
from tests.services.conftest import execute, scalar, sign_up
from tests.services.test_admin import login

PAGE = make_page(20, max_limit=100)


def change(**fields: Any) -> AdminUpdateUser:
    return parse(AdminUpdateUser, fields)


async def ban_events(resources: Resources, admin: Principal, name: str) -> list[Any]:
    page = await admin_service.list_audit(
        resources.database, admin, AuditFilter(target=name, action="admin.ban"), PAGE
    )
    return page.items


async def test_a_ban_keeps_its_reason_and_the_refused_login_shows_it(
    resources: Resources, admin: Principal, ann: Principal
) -> None:
    db = resources.database
    banned = await admin_service.update_user(
        db, admin, "ann", change(banned=True, banReason="Spam links"), client=ClientInfo()
    )
    assert (banned.banned, banned.ban_reason) == (True, "Spam links")
    [event] = await ban_events(resources, admin, "ANN")
    assert (event.target, event.reason) == ("user:ann", "Spam links")
    with pytest.raises(Banned) as refused:
        await login(resources, "ann")
    assert refused.value.fields == {"user": ["banned"], "banned": ["Spam links"]}


async def test_an_unban_clears_the_reason(
    resources: Resources, admin: Principal, ann: Principal
) -> None:
    db = resources.database
    await admin_service.update_user(
        db, admin, "ann", change(banned=True, banReason="Spam"), client=ClientInfo()
    )
    lifted = await admin_service.update_user(
        db, admin, "ann", change(banned=False), client=ClientInfo()
    )
    assert (lifted.banned, lifted.ban_reason) == (False, None)
    stored = await scalar(
        resources, "SELECT ban_reason FROM app_user WHERE id = :id", id=ann.user_id
    )
    assert stored is None
    await login(resources, "ann")  # signs in again


async def test_a_reason_alone_rewords_the_ban_in_force_and_is_refused_without_one(
    resources: Resources, admin: Principal, ann: Principal
) -> None:
    db = resources.database
    with pytest.raises(Invalid) as refused:
        await admin_service.update_user(
            db, admin, "ann", change(banReason="Spam"), client=ClientInfo()
        )
    assert refused.value.fields == {"banReason": ["can only be given with a ban"]}
    await admin_service.update_user(db, admin, "ann", change(banned=True), client=ClientInfo())
    reworded = await admin_service.update_user(
        db, admin, "ann", change(banReason="Phishing"), client=ClientInfo()
    )
    assert reworded.ban_reason == "Phishing"
    assert [event.reason for event in await ban_events(resources, admin, "ann")] == [
        "Phishing",
        None,
    ]


@pytest.mark.parametrize(
    ("reason", "message"),
    [("x" * 501, "is too long (maximum is 500 characters)"), (7, "must be a string")],
)
def test_a_ban_reason_is_short_text(reason: object, message: str) -> None:
    with pytest.raises(Invalid) as refused:
        change(banned=True, banReason=reason)
    assert refused.value.fields == {"banReason": [message]}


def test_a_blank_ban_reason_is_no_reason() -> None:
    assert change(banned=True, banReason="   ").ban_reason is None


async def test_a_reason_does_not_lift_the_last_admin_rule(
    resources: Resources, admin: Principal
) -> None:
    with pytest.raises(LastAdmin):
        await admin_service.update_user(
            resources.database,
            admin,
            "root",
            change(banned=True, banReason="x"),
            client=ClientInfo(),
        )


async def test_one_user_is_read_by_name_with_profile_and_ban(
    resources: Resources, admin: Principal, ann: Principal
) -> None:
    db = resources.database
    await execute(resources, "UPDATE app_user SET bio = 'Hi', image = 'http://i/a.png'")
    await admin_service.update_user(
        db, admin, "ann", change(banned=True, banReason="Spam"), client=ClientInfo()
    )
    user = await admin_service.get_user(db, admin, "ANN")
    assert (user.username, user.bio, user.image, user.ban_reason) == (
        "ann",
        "Hi",
        "http://i/a.png",
        "Spam",
    )
    with pytest.raises(NotFound):
        await admin_service.get_user(db, admin, "nobody")
    with pytest.raises(Forbidden):
        await admin_service.get_user(db, ann, "ann")


async def test_the_user_list_filters_by_role_and_ban(
    resources: Resources, admin: Principal, ann: Principal
) -> None:
    db = resources.database
    await sign_up(resources, "bob")
    await admin_service.update_user(db, admin, "bob", change(banned=True), client=ClientInfo())

    async def names(**filters: Any) -> tuple[list[str], int | None]:
        page = await admin_service.list_users(db, admin, UserSearch(**filters), PAGE)
        return [user.username for user in page.items], page.total

    assert await names(role="admin") == (["root"], 1)
    assert await names(role="user") == (["bob", "ann"], 2)
    assert await names(banned=True) == (["bob"], 1)
    assert await names(banned=False, role="user") == (["ann"], 1)
    assert await names(role="") == (["bob", "ann", "root"], 3)
    with pytest.raises(Invalid):
        parse(UserSearch, {"role": "owner"})
