"""``services.admin_sessions``: an admin lists a user's sessions and ends one or all,
with the same revocation (event, refused token) as the user's own and an audit row
naming the user."""

from __future__ import annotations

import pytest

from quillpress.domain.auth import Principal, Role
from quillpress.domain.clients import ClientInfo
from quillpress.domain.commands import AuditFilter, make_page
from quillpress.domain.errors import Forbidden, NotFound
from quillpress.domain.events import SessionRevoked
from quillpress.infra.resources import Resources
from quillpress.services import admin as admin_service
from quillpress.services import admin_sessions
from tests.services.conftest import Published
from tests.services.test_admin import login

PAGE = make_page(20, max_limit=100)


async def about(resources: Resources, admin: Principal, name: str) -> list[tuple[str, object]]:
    page = await admin_service.list_audit(
        resources.database, admin, AuditFilter(target=name, action="admin.session_revoke"), PAGE
    )
    return [(event.action, event.detail) for event in page.items]


async def test_an_admin_ends_one_session_of_a_user(
    resources: Resources, admin: Principal, ann: Principal, published: Published
) -> None:
    db = resources.database
    await login(resources, "ann")
    listed = await admin_sessions.list_user_sessions(db, admin, "ANN")
    assert len(listed) == 2
    assert not any(session.current for session in listed)
    await admin_sessions.revoke_user_session(
        db, admin, "ann", ann.session_id or "", client=ClientInfo()
    )
    remaining = await admin_sessions.list_user_sessions(db, admin, "ann")
    assert [session.id for session in remaining] == [s.id for s in listed if s.id != ann.session_id]
    assert published.events == [
        SessionRevoked(user_id=ann.user_id, session_ids=(ann.session_id or "",))
    ]
    assert await about(resources, admin, "ann") == [
        ("admin.session_revoke", {"session": ann.session_id})
    ]


async def test_a_session_of_someone_else_or_already_ended_is_not_found(
    resources: Resources, admin: Principal, ann: Principal, bob: Principal
) -> None:
    db = resources.database
    with pytest.raises(NotFound, match="session"):
        await admin_sessions.revoke_user_session(
            db, admin, "ann", bob.session_id or "", client=ClientInfo()
        )
    await admin_sessions.revoke_user_session(
        db, admin, "ann", ann.session_id or "", client=ClientInfo()
    )
    with pytest.raises(NotFound, match="session"):
        await admin_sessions.revoke_user_session(
            db, admin, "ann", ann.session_id or "", client=ClientInfo()
        )
    with pytest.raises(NotFound, match="user"):
        await admin_sessions.list_user_sessions(db, admin, "nobody")
    assert len(await admin_sessions.list_user_sessions(db, admin, "bob")) == 1


async def test_an_admin_ends_every_session_of_a_user(
    resources: Resources, admin: Principal, ann: Principal, published: Published
) -> None:
    db = resources.database
    await login(resources, "ann")
    await admin_sessions.revoke_user_sessions(db, admin, "ann", client=ClientInfo())
    assert await admin_sessions.list_user_sessions(db, admin, "ann") == []
    [event] = published.events
    assert isinstance(event, SessionRevoked)
    assert event.every_session
    assert await about(resources, admin, "ann") == [
        ("admin.session_revoke", {"everySession": True, "sessionsEnded": 2})
    ]


async def test_only_admins_see_or_end_anyone_s_sessions(
    resources: Resources, ann: Principal, bob: Principal
) -> None:
    db = resources.database
    with pytest.raises(Forbidden):
        await admin_sessions.list_user_sessions(db, ann, "bob")
    with pytest.raises(Forbidden):
        await admin_sessions.revoke_user_session(
            db, ann, "bob", bob.session_id or "", client=ClientInfo()
        )
    with pytest.raises(Forbidden):
        await admin_sessions.revoke_user_sessions(db, ann, "bob", client=ClientInfo())
    assert (
        len(
            await admin_sessions.list_user_sessions(
                db, Principal(user_id=0, role=Role.ADMIN), "bob"
            )
        )
        == 1
    )
