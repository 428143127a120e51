"""The authorization policy (domain/auth.py): who may edit or delete what."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from quillpress.domain.auth import (
    Principal,
    Role,
    can_delete_article,
    can_delete_comment,
    can_edit_article,
    ensure,
)
from quillpress.domain.errors import DomainError, Forbidden

Policy = Callable[..., bool]

AUTHOR_ID = 7
AUTHOR = Principal(user_id=AUTHOR_ID)
STRANGER = Principal(user_id=8)
ADMIN = Principal(user_id=9, role=Role.ADMIN)


def test_principal_defaults_to_the_user_role() -> None:
    assert AUTHOR.role is Role.USER
    assert not AUTHOR.is_admin
    assert ADMIN.is_admin


def test_an_author_may_edit_their_own_article() -> None:
    assert can_edit_article(AUTHOR, author_id=AUTHOR_ID)


def test_another_user_may_not_edit_an_article() -> None:
    assert not can_edit_article(STRANGER, author_id=AUTHOR_ID)


def test_an_admin_may_not_edit_another_users_article() -> None:
    assert not can_edit_article(ADMIN, author_id=AUTHOR_ID)


def test_an_admin_may_edit_their_own_article() -> None:
    assert can_edit_article(ADMIN, author_id=ADMIN.user_id)


@pytest.mark.parametrize("predicate", [can_delete_article, can_delete_comment])
def test_an_author_may_delete_their_own_article_or_comment(predicate: Policy) -> None:
    assert predicate(AUTHOR, author_id=AUTHOR_ID)


@pytest.mark.parametrize("predicate", [can_delete_article, can_delete_comment])
def test_another_user_may_not_delete_an_article_or_comment(predicate: Policy) -> None:
    assert not predicate(STRANGER, author_id=AUTHOR_ID)


@pytest.mark.parametrize("predicate", [can_delete_article, can_delete_comment])
def test_an_admin_may_delete_any_article_or_comment(predicate: Policy) -> None:
    assert predicate(ADMIN, author_id=AUTHOR_ID)


def test_ensure_passes_silently_when_allowed() -> None:
    ensure(True, resource="article")


@pytest.mark.parametrize("resource", ["article", "comment"])
def test_ensure_raises_forbidden_keyed_by_the_resource(resource: str) -> None:
    with pytest.raises(Forbidden) as caught:
        ensure(False, resource=resource)
    assert caught.value.fields == {resource: ["forbidden"]}
    assert isinstance(caught.value, DomainError)


def test_ensure_with_a_denied_policy_check_raises() -> None:
    with pytest.raises(Forbidden):
        ensure(can_edit_article(ADMIN, author_id=AUTHOR_ID), resource="article")
