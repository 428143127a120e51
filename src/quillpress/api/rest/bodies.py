"""RealWorld request envelopes around the domain commands (which do the validating)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from quillpress.domain.commands import (
    AddComment,
    AdminUpdateUser,
    CreateArticle,
    LoginUser,
    ModerationReason,
    RegisterUser,
    UpdateArticle,
    UpdateUser,
)


class RegisterBody(BaseModel):
    user: RegisterUser


class LoginBody(BaseModel):
    user: LoginUser


class RefreshBody(BaseModel):
    refreshToken: str = Field(min_length=1, max_length=200)


class UpdateUserBody(BaseModel):
    user: UpdateUser


class CreateArticleBody(BaseModel):
    article: CreateArticle


class UpdateArticleBody(BaseModel):
    article: UpdateArticle


class AddCommentBody(BaseModel):
    comment: AddComment


class AdminUpdateUserBody(BaseModel):
    user: AdminUpdateUser


class ModerationBody(ModerationReason):
    """``{"reason": "…"}``: why an admin deletes (1 to 500 characters, kept in the audit
    log). Not wrapped: it describes the request, not a resource."""
