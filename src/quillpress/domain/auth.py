"""Who is asking (the principal) and what they may do (the policy).

Every ownership and role rule lives here; services call these predicates through
``ensure`` so REST and GraphQL cannot disagree about who may do what."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from quillpress.domain.errors import Forbidden


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    role: Role = Role.USER
    session_id: str | None = None
    """The server-side session the request authenticated by (``None`` outside requests)."""

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


Viewer = Principal | None
"""``None`` is the anonymous viewer."""


def viewer_id(viewer: Viewer) -> int | None:
    return viewer.user_id if viewer is not None else None


def can_edit_article(principal: Principal, *, author_id: int) -> bool:
    return principal.user_id == author_id


def can_delete_article(principal: Principal, *, author_id: int) -> bool:
    return principal.user_id == author_id or principal.is_admin


def can_delete_comment(principal: Principal, *, author_id: int) -> bool:
    return principal.user_id == author_id or principal.is_admin


def can_administer(principal: Principal) -> bool:
    """The admin API (users, roles, bans, the audit log). ``principal.role`` is the role
    the one way in read for this request, so a demotion applies from the next request."""
    return principal.is_admin


def ensure(allowed: bool, *, resource: str) -> None:
    if not allowed:
        raise Forbidden(resource)
