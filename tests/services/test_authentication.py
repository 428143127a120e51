"""``services.authentication.authenticate``: the one way from credentials to a principal.
The token proves who signed in; the database says whether the account exists and its role."""

from __future__ import annotations

import time

import pytest

from quillpress.domain.auth import Principal, Role
from quillpress.domain.errors import Unauthenticated
from quillpress.infra.limits import Limiter
from quillpress.infra.resources import Resources
from quillpress.infra.tokens import TokenCodec
from quillpress.services.authentication import Authenticated, Credentials, authenticate
from tests.services.conftest import delete_user, set_role, sign_up


async def authenticate_header(resources: Resources, header: str | None) -> Authenticated | None:
    return await authenticate(
        resources.database, resources.security, Credentials(header), limiter=Limiter.disabled()
    )


def token_for(resources: Resources, principal: Principal, **kwargs: float) -> str:
    return resources.security.tokens.issue(
        user_id=principal.user_id,
        role=principal.role.value,
        session_id=principal.session_id,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("header", [None, "", "   "])
async def test_no_credentials_is_the_anonymous_viewer(
    resources: Resources, header: str | None
) -> None:
    assert await authenticate_header(resources, header) is None


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "token"])
async def test_a_valid_token_authenticates_its_user(resources: Resources, scheme: str) -> None:
    ann = await sign_up(resources, "ann")
    token = token_for(resources, ann)
    authenticated = await authenticate_header(resources, f"{scheme} {token}")
    assert authenticated == Authenticated(principal=ann, token=token)


@pytest.mark.parametrize(
    "header", ["Token", "Token not-a-jwt", "Basic dXNlcjpwYXNz", "Token a.b.c"]
)
async def test_a_malformed_credential_is_unauthenticated(resources: Resources, header: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        await authenticate_header(resources, header)
    assert caught.value.fields == {"token": ["is invalid"]}


async def test_a_token_signed_with_another_secret_is_unauthenticated(
    resources: Resources,
) -> None:
    ann = await sign_up(resources, "ann")
    forger = TokenCodec(secret="another-secret-0123456789-abcdefghijklmnopqrstuv")
    forged = forger.issue(user_id=ann.user_id, role="admin", session_id=ann.session_id)
    with pytest.raises(Unauthenticated):
        await authenticate_header(resources, f"Token {forged}")


async def test_an_expired_token_is_unauthenticated(resources: Resources) -> None:
    ann = await sign_up(resources, "ann")
    lifetime = resources.settings.token_lifetime_seconds
    expired = token_for(resources, ann, now=time.time() - lifetime - 60)
    with pytest.raises(Unauthenticated):
        await authenticate_header(resources, f"Token {expired}")


async def test_the_token_of_a_deleted_user_is_unauthenticated(resources: Resources) -> None:
    ann = await sign_up(resources, "ann")
    token = token_for(resources, ann)
    await delete_user(resources, ann.user_id)
    with pytest.raises(Unauthenticated) as caught:
        await authenticate_header(resources, f"Token {token}")
    assert caught.value.fields == {"token": ["is invalid"]}


async def test_the_role_comes_from_the_database_not_the_token(resources: Resources) -> None:
    ann = await sign_up(resources, "ann")
    token = token_for(resources, ann)  # says "user"
    await set_role(resources, ann.user_id, Role.ADMIN)
    promoted = await authenticate_header(resources, f"Token {token}")
    assert promoted is not None
    assert promoted.principal == Principal(
        user_id=ann.user_id, role=Role.ADMIN, session_id=ann.session_id
    )
    await set_role(resources, ann.user_id, Role.USER)
    demoted = await authenticate_header(resources, f"Token {token}")
    assert demoted is not None
    assert demoted.principal.role is Role.USER


async def test_a_token_claiming_admin_for_a_plain_user_gives_a_plain_user(
    resources: Resources,
) -> None:
    ann = await sign_up(resources, "ann")
    claims_admin = token_for(
        resources, Principal(user_id=ann.user_id, role=Role.ADMIN, session_id=ann.session_id)
    )
    authenticated = await authenticate_header(resources, f"Token {claims_admin}")
    assert authenticated is not None
    assert authenticated.principal.role is Role.USER
