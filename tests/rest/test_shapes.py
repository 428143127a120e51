"""One table per wire shape: what the serializer sends is what the model documents, field
for field and in the same order, and a field the table marks optional is left out, never
``null``. (That the answers are the RealWorld ones is pinned by the endpoint tests.)"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from quillpress.api.rest import envelopes
from quillpress.api.rest.shapes import Field, Shape, serializer
from quillpress.domain.views import (
    AdminUserView,
    ArticleView,
    AuditEventView,
    CommentView,
    DeviceSessionView,
    Highlight,
    Paged,
    ProfileView,
    SearchHit,
    SearchResults,
    UserView,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
ANN = ProfileView(id=1, username="ann", bio=None, image=None, following=False)


def _article(body: str | None) -> ArticleView:
    return ArticleView(
        id=1,
        slug="s",
        title="T",
        description="d",
        body=body,
        tag_list=["a"],
        created_at=NOW,
        updated_at=NOW,
        favorited=False,
        favorites_count=0,
        author=ANN,
    )


COMMENT = CommentView(id=1, body="b", created_at=NOW, updated_at=NOW, author=ANN)
ADMIN_USER = AdminUserView(
    id=1,
    username="ann",
    email="a@x.io",
    role="user",
    banned=False,
    created_at=NOW,
    last_login_at=None,
)
EVENT = AuditEventView(
    id=1,
    at=NOW,
    actor=None,
    action="user.login",
    target=None,
    ip=None,
    user_agent=None,
    request_id=None,
    outcome="success",
    detail=None,
)
SESSION = DeviceSessionView(
    id="x", created_at=NOW, last_seen_at=NOW, user_agent=None, ip=None, current=True
)
USER = UserView(id=1, username="ann", email="a@x.io", bio=None, image=None, role="user")

ANSWERS: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (envelopes.UserResponse, envelopes.user(USER, "t", "r")),
    (envelopes.SessionsResponse, envelopes.sessions([SESSION])),
    (envelopes.ProfileResponse, envelopes.profile(ANN)),
    (envelopes.SingleArticleResponse, envelopes.article(_article("body"))),
    (envelopes.MultipleArticlesResponse, envelopes.articles(Paged([_article(None)], 1))),
    (envelopes.SingleCommentResponse, envelopes.comment(COMMENT)),
    (envelopes.MultipleCommentsResponse, envelopes.comments([COMMENT])),
    (envelopes.TagsResponse, envelopes.tags(["a"])),
    (envelopes.AdminUserResponse, envelopes.admin_user(ADMIN_USER)),
    (envelopes.AdminUsersResponse, envelopes.admin_users(Paged([ADMIN_USER], 1))),
    (envelopes.AuditEventsResponse, envelopes.audit_events(Paged([EVENT], 1))),
]


def _documented_keys(model: type[BaseModel], body: Any) -> None:
    """``body`` has the model's fields in order, the optional ones only when present."""
    assert isinstance(body, dict)
    sent = [name for name in model.model_fields if name in body]
    assert list(body) == sent
    required = [name for name, field in model.model_fields.items() if field.is_required()]
    assert set(required) <= set(body)
    for name, value in body.items():
        annotation = model.model_fields[name].annotation
        nested = [arg for arg in getattr(annotation, "__args__", (annotation,)) if _is_model(arg)]
        if nested and isinstance(value, list):
            for item in value:
                _documented_keys(nested[0], item)
        elif nested and isinstance(value, dict):
            _documented_keys(nested[0], value)
        elif _is_model(annotation):
            _documented_keys(annotation, value)  # type: ignore[arg-type]


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


@pytest.mark.parametrize(("model", "body"), ANSWERS, ids=lambda item: getattr(item, "__name__", ""))
def test_each_answer_is_its_documented_model(model: type[BaseModel], body: dict[str, Any]) -> None:
    model.model_validate(body)
    _documented_keys(model, body)


def test_list_items_carry_their_match_only_in_search_results() -> None:
    plain = envelopes.articles(Paged([_article(None)], 1))
    assert "match" not in plain["articles"][0]
    assert "suggestion" not in plain
    hit = SearchHit(_article(None), rank=1.0, highlight=Highlight("<mark>T</mark>", "s"))
    found = envelopes.search(SearchResults(Paged([hit], 1), suggestion=None, query_key="k"))
    envelopes.MultipleArticlesResponse.model_validate(found)
    _documented_keys(envelopes.MultipleArticlesResponse, found)  # built by hand: checked here
    assert found["articles"][0]["match"] == {"title": "<mark>T</mark>", "snippet": "s"}
    assert found["suggestion"] is None  # searched: present, even when there is none


def test_an_optional_field_is_left_out_not_null() -> None:
    signed_in = envelopes.user(USER, "t")["user"]
    assert "refreshToken" not in signed_in
    assert envelopes.user(USER, "t", "r")["user"]["refreshToken"] == "r"


def test_optional_fields_must_come_last() -> None:
    shape = Shape("Bad", (Field("a", str, optional=True), Field("b", str)))
    with pytest.raises(ValueError, match="optional fields come last"):
        serializer(shape)
