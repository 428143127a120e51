"""Validated inputs to the use cases. Both adapters build these, so both validate alike.

Limits are deliberately generous but finite: every string and list has a maximum.

Size: one module so that every input shares one base (``Command``), one set of field
types and one paging rule; split, the admin commands would import the rest anyway."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
)
from pydantic_core import PydanticCustomError

from quillpress.domain.errors import Invalid

Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[\w.\-]+$"),
]
Email = Annotated[EmailStr, StringConstraints(max_length=254)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1_000)
]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200_000)]
CommentBody = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)
]
TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _unique_in_order(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


OptionalText = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=2_048)] | None,
    BeforeValidator(_blank_to_none),
]
TagList = Annotated[list[TagName], Field(max_length=20), AfterValidator(_unique_in_order)]


def _reject_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("blank", "can't be blank")
    return value


class Command(BaseModel):
    """Unknown fields (id, role, author, counts…) are ignored, never applied."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """PostgreSQL cannot store NUL in text (SQLite can): refuse it on every backend alike."""
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise PydanticCustomError("nul", "contains a NUL character")
        return value


class RegisterUser(Command):
    username: Username
    email: Email
    password: Password


class LoginUser(Command):
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class UpdateUser(Command):
    """Partial: only the fields present in the input change; ``None`` for bio/image clears them."""

    username: Username | None = None
    email: Email | None = None
    password: Password | None = None
    bio: OptionalText = None
    image: OptionalText = None

    _no_null = field_validator("username", "email", "password", mode="before")(_reject_null)


class CreateArticle(Command):
    title: Title
    description: Description
    body: Body
    tag_list: TagList = Field(default_factory=list, alias="tagList")

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class UpdateArticle(Command):
    """Partial: omitted fields stay; ``tagList: []`` clears tags, ``tagList: null`` is invalid."""

    title: Title | None = None
    description: Description | None = None
    body: Body | None = None
    tag_list: TagList | None = Field(default=None, alias="tagList")

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    _no_null = field_validator("title", "description", "body", "tag_list", mode="before")(
        _reject_null
    )


class AddComment(Command):
    body: CommentBody


class ArticleFilter(Command):
    """Unknown values simply match nothing; they are not errors."""

    tag: Annotated[str, StringConstraints(max_length=200)] | None = None
    author: Annotated[str, StringConstraints(max_length=200)] | None = None
    favorited: Annotated[str, StringConstraints(max_length=200)] | None = None


@dataclass(frozen=True, slots=True)
class Cursor:
    """A keyset position in a newest-first list: items strictly older than (created_at, id)."""

    created_at: datetime
    id: int


@dataclass(frozen=True, slots=True)
class SearchPosition:
    """A position in search results: ``offset`` results of the query whose fingerprint is
    ``key`` (``domain.search.SearchQuery.key``) were shown. Search results are ordered by
    relevance, not by a key a row carries, so their cursors are positions."""

    key: str
    offset: int


Group = Literal["author", "favorited_by"]
"""What a batch of article pages is keyed by: authors (their articles) or fans (favorites)."""


MAX_OFFSET = 1_000_000
"""The deepest offset ``make_page`` accepts (the OpenAPI document states it too)."""


class Page(Command):
    """Offset paging (REST) or keyset paging after a cursor (GraphQL connections); or,
    for search results, a position after a search cursor (``search``)."""

    limit: int
    offset: int = 0
    after: Cursor | None = None
    search: SearchPosition | None = None

    def listing(self) -> Page:
        """This page for a list that is not a search: a search cursor is refused (422)."""
        if self.search is not None:
            raise Invalid({"cursor": ["belongs to a search: send it with the same q"]})
        return self


def make_page(
    limit: int,
    offset: int = 0,
    *,
    max_limit: int,
    after: Cursor | SearchPosition | None = None,
) -> Page:
    """Out-of-range values are rejected (422), not silently clamped."""
    fields: dict[str, list[str]] = {}
    if limit < 1:
        fields["limit"] = ["must be greater than or equal to 1"]
    elif limit > max_limit:
        fields["limit"] = [f"must be less than or equal to {max_limit}"]
    if offset < 0:
        fields["offset"] = ["must be greater than or equal to 0"]
    elif offset > MAX_OFFSET:
        fields["offset"] = [f"must be less than or equal to {MAX_OFFSET}"]
    if fields:
        raise Invalid(fields)
    if isinstance(after, SearchPosition):
        return Page(limit=limit, offset=offset, search=after)
    return Page(limit=limit, offset=offset, after=after)


def _role_name(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("blank", "can't be blank")
    if value not in ("admin", "user"):
        raise PydanticCustomError("role", "must be admin or user")
    return value


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
"""Why a moderator acted (a ban, a deletion): shown to the banned user and kept in the
audit log, so it is short text, never blank."""


def _optional_role_name(value: Any) -> Any:
    return None if value is None or value == "" else _role_name(value)


class AdminUpdateUser(Command):
    """Partial: only what is given changes; ``banned`` must be a real boolean.
    ``ban_reason`` (``banReason``) goes with a ban (given alone, it rewords the ban in
    force); a blank one is no reason."""

    role: Literal["admin", "user"] | None = None
    banned: StrictBool | None = None
    ban_reason: Annotated[Reason | None, BeforeValidator(_blank_to_none)] = Field(
        default=None, alias="banReason"
    )

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    _role = field_validator("role", mode="before")(_role_name)
    _no_null = field_validator("banned", mode="before")(_reject_null)


class ModerationReason(Command):
    """The reason an admin's moderation delete requires (it goes to the audit row)."""

    reason: Reason


class UserSearch(Command):
    """The admin list's filters: ``query`` matches username or email, case-insensitively;
    ``role`` and ``banned`` narrow it (``None``: either)."""

    query: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None = None
    role: Literal["admin", "user"] | None = None
    banned: bool | None = None

    _role = field_validator("role", mode="before")(_optional_role_name)


class AdminCommentFilter(Command):
    """The site-wide comment list's filters: ``article`` (a slug) and ``author`` (a
    username, case-insensitive). Unknown values match nothing; they are not errors."""

    article: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    author: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None


def _moment(value: Any, *, field: str, end_of_day: bool = False) -> datetime | None:
    """An ISO-8601 value in UTC, as stored (SQLite compares the text); without an offset
    it is UTC. A bare date is its first moment, or with ``end_of_day`` the next day's
    (a date range's ``until`` takes in the whole of its last day)."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, datetime):
            moment = value
        else:
            text = str(value)
            moment = datetime.fromisoformat(text)
            if end_of_day and len(text) == len("2026-01-02"):
                moment += timedelta(days=1)
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise PydanticCustomError(
            field, "must be an ISO-8601 date and time, e.g. 2026-01-02T03:04:05Z"
        ) from None


class AuditFilter(Command):
    """``actor`` is the username at the time (case-insensitive); ``target`` is what was
    acted on, case-insensitive: a bare username means ``user:<name>``, anything with a
    colon is the whole target (``article:my-slug``). ``since`` (at or after) and ``until``
    (before) are ISO-8601 (without an offset, UTC); a bare date as ``until`` takes in
    that whole day."""

    actor: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    target: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    action: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    since: datetime | None = None
    until: datetime | None = None

    @field_validator("since", mode="before")
    @classmethod
    def _since(cls, value: Any) -> Any:
        return _moment(value, field="since")

    @field_validator("until", mode="before")
    @classmethod
    def _until(cls, value: Any) -> Any:
        return _moment(value, field="until", end_of_day=True)

    @property
    def target_name(self) -> str | None:
        """The stored target the filter means (see the class docstring)."""
        if not self.target:
            return None
        return self.target if ":" in self.target else f"user:{self.target}"
