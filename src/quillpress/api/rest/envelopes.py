"""Views to RealWorld JSON: camelCase names, ISO-8601 UTC timestamps, internal ids dropped."""

from __future__ import annotations

from typing import Any

from quillpress.domain.views import (
    AdminUserView,
    ArticleView,
    AuditEventView,
    CommentView,
    DeviceSessionView,
    Paged,
    ProfileView,
    SearchResults,
    UserView,
    isoformat,
)


def user(view: UserView, token: str, refresh_token: str | None = None) -> dict[str, Any]:
    """``refreshToken`` only where a sign-in or a refresh just issued one."""
    body: dict[str, Any] = {
        "email": view.email,
        "token": token,
        "username": view.username,
        "bio": view.bio,
        "image": view.image,
    }
    if refresh_token is not None:
        body["refreshToken"] = refresh_token
    return {"user": body}


def sessions(views: list[DeviceSessionView]) -> dict[str, Any]:
    return {
        "sessions": [
            {
                "id": view.id,
                "createdAt": isoformat(view.created_at),
                "lastSeenAt": isoformat(view.last_seen_at),
                "userAgent": view.user_agent,
                "ip": view.ip,
                "current": view.current,
            }
            for view in views
        ]
    }


def _profile(view: ProfileView) -> dict[str, Any]:
    return {
        "username": view.username,
        "bio": view.bio,
        "image": view.image,
        "following": view.following,
    }


def profile(view: ProfileView) -> dict[str, Any]:
    return {"profile": _profile(view)}


def _article(view: ArticleView) -> dict[str, Any]:
    data = {
        "slug": view.slug,
        "title": view.title,
        "description": view.description,
        "tagList": view.tag_list,
        "createdAt": isoformat(view.created_at),
        "updatedAt": isoformat(view.updated_at),
        "favorited": view.favorited,
        "favoritesCount": view.favorites_count,
        "author": _profile(view.author),
    }
    if view.body is not None:
        data["body"] = view.body
    return data


def article(view: ArticleView) -> dict[str, Any]:
    return {"article": _article(view)}


def articles(page: Paged[ArticleView]) -> dict[str, Any]:
    return {"articles": [_article(view) for view in page.items], "articlesCount": page.total}


def search(found: SearchResults) -> dict[str, Any]:
    """Search results: the list's items, each with its ``match``, and the ``suggestion``;
    for a blank query, exactly the plain list."""
    page = found.page
    if not found.searched:
        items = [hit.article for hit in page.items]
        return articles(Paged(items=items, total=page.total, has_next=page.has_next))
    listed = []
    for hit in page.items:
        item = _article(hit.article)
        if hit.highlight is not None:
            item["match"] = {"title": hit.highlight.title, "snippet": hit.highlight.snippet}
        listed.append(item)
    return {"articles": listed, "articlesCount": page.total, "suggestion": found.suggestion}


def _comment(view: CommentView) -> dict[str, Any]:
    return {
        "id": view.id,
        "createdAt": isoformat(view.created_at),
        "updatedAt": isoformat(view.updated_at),
        "body": view.body,
        "author": _profile(view.author),
    }


def comment(view: CommentView) -> dict[str, Any]:
    return {"comment": _comment(view)}


def comments(views: list[CommentView]) -> dict[str, Any]:
    return {"comments": [_comment(view) for view in views]}


def _admin_user(view: AdminUserView) -> dict[str, Any]:
    return {
        "username": view.username,
        "email": view.email,
        "role": view.role,
        "banned": view.banned,
        "createdAt": isoformat(view.created_at),
        "lastLoginAt": isoformat(view.last_login_at) if view.last_login_at else None,
    }


def admin_user(view: AdminUserView) -> dict[str, Any]:
    return {"user": _admin_user(view)}


def admin_users(page: Paged[AdminUserView]) -> dict[str, Any]:
    return {"users": [_admin_user(view) for view in page.items], "usersCount": page.total}


def audit_events(page: Paged[AuditEventView]) -> dict[str, Any]:
    return {
        "events": [
            {
                "id": view.id,
                "at": isoformat(view.at),
                "actor": view.actor,
                "action": view.action,
                "target": view.target,
                "ip": view.ip,
                "userAgent": view.user_agent,
                "requestId": view.request_id,
                "outcome": view.outcome,
            }
            for view in page.items
        ],
        "eventsCount": page.total,
    }
