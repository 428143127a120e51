"""``services.users``: registration, login, the current user and account updates, with the
events they record, driven directly (no HTTP)."""

from __future__ import annotations

import pytest

from quillpress.domain.auth import Principal, Role
from quillpress.domain.clients import ClientInfo
from quillpress.domain.commands import LoginUser, RegisterUser, UpdateUser
from quillpress.domain.errors import Conflict, Unauthenticated
from quillpress.domain.events import UserRegistered, UserUpdated
from quillpress.domain.views import UserView
from quillpress.infra.limits import Limiter
from quillpress.infra.resources import Resources
from quillpress.services import users
from tests.services.conftest import PASSWORD, Published, delete_user, scalar, sign_up


def registration(username: str, email: str | None = None) -> RegisterUser:
    return RegisterUser(
        username=username, email=email or f"{username}@example.com", password=PASSWORD
    )


async def login(resources: Resources, email: str, password: str = PASSWORD) -> UserView:
    command = LoginUser(email=email, password=password)
    return (
        await users.login(
            resources.database,
            resources.security,
            command,
            client=ClientInfo(),
            limiter=Limiter.disabled(),
        )
    ).user


async def update(resources: Resources, principal: Principal, **fields: object) -> UserView:
    command = UpdateUser.model_validate(fields)
    return await users.update_user(
        resources.database, resources.security, principal, command, client=ClientInfo()
    )


async def user_count(resources: Resources) -> int:
    return int(await scalar(resources, "SELECT count(*) FROM app_user"))


# register


async def test_register_returns_the_new_user_and_a_token_for_them(
    resources: Resources, published: Published
) -> None:
    session = await users.register(
        resources.database,
        resources.security,
        registration("ann"),
        client=ClientInfo(),
        limiter=Limiter.disabled(),
    )
    assert session.user == UserView(
        id=session.user.id,
        username="ann",
        email="ann@example.com",
        bio=None,
        image=None,
        role="user",
    )
    assert resources.security.tokens.verify(session.token) == Principal(
        user_id=session.user.id, role=Role.USER, session_id=session.session_id
    )
    assert published.batches == [[UserRegistered(user_id=session.user.id, username="ann")]]


async def test_register_with_the_admin_role_makes_an_admin(resources: Resources) -> None:
    session = await users.register(
        resources.database,
        resources.security,
        registration("root"),
        role=Role.ADMIN,
        client=ClientInfo(),
        limiter=Limiter.disabled(),
    )
    assert session.user.role == "admin"
    assert resources.security.tokens.verify(session.token).role is Role.ADMIN


async def test_register_refuses_a_username_taken_in_any_case(
    resources: Resources, published: Published
) -> None:
    await sign_up(resources, "ann")
    published.clear()
    with pytest.raises(Conflict) as caught:
        await users.register(
            resources.database,
            resources.security,
            registration("ANN", "other@example.com"),
            client=ClientInfo(),
            limiter=Limiter.disabled(),
        )
    assert caught.value.fields == {"username": ["has already been taken"]}
    assert published.batches == []
    assert await user_count(resources) == 1


async def test_register_refuses_an_email_taken_in_any_case(
    resources: Resources, published: Published
) -> None:
    await sign_up(resources, "ann")
    published.clear()
    with pytest.raises(Conflict) as caught:
        await users.register(
            resources.database,
            resources.security,
            registration("zed", "ANN@Example.com"),
            client=ClientInfo(),
            limiter=Limiter.disabled(),
        )
    assert caught.value.fields == {"email": ["has already been taken"]}
    assert published.batches == []
    assert await user_count(resources) == 1


async def test_register_names_both_taken_fields_at_once(resources: Resources) -> None:
    await sign_up(resources, "ann")
    with pytest.raises(Conflict) as caught:
        await users.register(
            resources.database,
            resources.security,
            registration("Ann"),
            client=ClientInfo(),
            limiter=Limiter.disabled(),
        )
    assert set(caught.value.fields) == {"username", "email"}


# login


async def test_login_returns_the_account_and_a_token_whatever_the_email_case(
    resources: Resources, published: Published
) -> None:
    ann = await sign_up(resources, "ann")
    published.clear()
    session = await users.login(
        resources.database,
        resources.security,
        LoginUser(email="ANN@EXAMPLE.COM", password=PASSWORD),
        client=ClientInfo(),
        limiter=Limiter.disabled(),
    )
    assert session.user.id == ann.user_id
    assert session.user.username == "ann"
    assert resources.security.tokens.verify(session.token).user_id == ann.user_id
    assert published.batches == []  # a login changes nothing


async def test_login_fails_identically_for_an_unknown_email_and_a_wrong_password(
    resources: Resources,
) -> None:
    await sign_up(resources, "ann")
    with pytest.raises(Unauthenticated) as unknown:
        await login(resources, "nobody@example.com")
    with pytest.raises(Unauthenticated) as wrong:
        await login(resources, "ann@example.com", "not-the-password")
    assert type(unknown.value) is type(wrong.value)
    assert unknown.value.fields == wrong.value.fields == {"credentials": ["invalid"]}
    assert str(unknown.value) == str(wrong.value)


# current_user


async def test_current_user_is_the_principals_account(resources: Resources) -> None:
    ann = await sign_up(resources, "ann")
    await sign_up(resources, "bob")
    view = await users.current_user(resources.database, ann)
    assert (view.id, view.username, view.email) == (ann.user_id, "ann", "ann@example.com")


async def test_current_user_of_a_deleted_account_is_unauthenticated(
    resources: Resources,
) -> None:
    ann = await sign_up(resources, "ann")
    await delete_user(resources, ann.user_id)
    with pytest.raises(Unauthenticated) as caught:
        await users.current_user(resources.database, ann)
    assert caught.value.fields == {"token": ["is invalid"]}


# update_user


async def test_update_returns_the_new_view_and_names_exactly_what_changed(
    resources: Resources, ann: Principal, published: Published
) -> None:
    view = await update(resources, ann, bio="Hello", image="https://example.com/a.png")
    assert (view.bio, view.image, view.username) == ("Hello", "https://example.com/a.png", "ann")
    assert published.batches == [
        [
            UserUpdated(
                user_id=ann.user_id,
                username="ann",
                previous_username="ann",
                fields=frozenset({"bio", "image"}),
            )
        ]
    ]
    assert await users.current_user(resources.database, ann) == view


async def test_update_leaves_out_given_fields_that_keep_their_value(
    resources: Resources, ann: Principal, published: Published
) -> None:
    await update(resources, ann, username="ann", email="ann@example.com", bio="New")
    [[event]] = published.batches
    assert isinstance(event, UserUpdated)
    assert event.fields == frozenset({"bio"})


async def test_an_update_that_changes_nothing_records_no_event(
    resources: Resources, ann: Principal, published: Published
) -> None:
    await update(resources, ann)
    await update(resources, ann, username="ann", email="ann@example.com", bio=None, image="")
    assert published.batches == []


async def test_a_rename_records_the_previous_username(
    resources: Resources, ann: Principal, published: Published
) -> None:
    view = await update(resources, ann, username="annie")
    assert view.username == "annie"
    assert published.events == [
        UserUpdated(
            user_id=ann.user_id,
            username="annie",
            previous_username="ann",
            fields=frozenset({"username"}),
        )
    ]


async def test_changing_only_the_case_of_ones_own_username_is_a_rename(
    resources: Resources, ann: Principal, published: Published
) -> None:
    view = await update(resources, ann, username="Ann")
    assert view.username == "Ann"
    [event] = published.events
    assert isinstance(event, UserUpdated)
    assert (event.username, event.previous_username) == ("Ann", "ann")


async def test_a_password_change_is_named_password_and_takes_effect(
    resources: Resources, ann: Principal, published: Published
) -> None:
    await update(resources, ann, password="a-brand-new-password")
    [event] = published.events
    assert isinstance(event, UserUpdated)
    assert event.fields == frozenset({"password"})
    assert (await login(resources, "ann@example.com", "a-brand-new-password")).id == ann.user_id
    with pytest.raises(Unauthenticated):
        await login(resources, "ann@example.com", PASSWORD)


async def test_clearing_the_bio_is_a_change(
    resources: Resources, ann: Principal, published: Published
) -> None:
    await update(resources, ann, bio="Something")
    published.clear()
    view = await update(resources, ann, bio=None)
    assert view.bio is None
    [event] = published.events
    assert isinstance(event, UserUpdated)
    assert event.fields == frozenset({"bio"})


async def test_update_refuses_a_username_another_user_holds_in_any_case(
    resources: Resources, ann: Principal, bob: Principal, published: Published
) -> None:
    with pytest.raises(Conflict) as caught:
        await update(resources, ann, username="BOB", bio="never stored")
    assert caught.value.fields == {"username": ["has already been taken"]}
    assert published.batches == []
    view = await users.current_user(resources.database, ann)
    assert (view.username, view.bio) == ("ann", None)


async def test_update_refuses_an_email_another_user_holds_in_any_case(
    resources: Resources, ann: Principal, bob: Principal, published: Published
) -> None:
    with pytest.raises(Conflict) as caught:
        await update(resources, ann, email="Bob@Example.com")
    assert caught.value.fields == {"email": ["has already been taken"]}
    assert published.batches == []
    assert (await users.current_user(resources.database, ann)).email == "ann@example.com"


async def test_update_of_a_deleted_account_is_unauthenticated(
    resources: Resources, ann: Principal, published: Published
) -> None:
    await delete_user(resources, ann.user_id)
    with pytest.raises(Unauthenticated):
        await update(resources, ann, bio="ghost")
    assert published.batches == []
