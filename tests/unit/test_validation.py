"""Field messages (domain/validation.py) and the rules of the domain commands (commands.py)."""

from __future__ import annotations

from typing import Any

import pytest

from quillpress.domain.commands import (
    CreateArticle,
    RegisterUser,
    UpdateArticle,
    UpdateUser,
    make_page,
)
from quillpress.domain.errors import Invalid
from quillpress.domain.validation import error_key, error_message, field_errors, parse

ARTICLE = {"title": "A title", "description": "About it", "body": "The body"}
USER = {"username": "ann", "email": "ann@example.com", "password": "correct-horse"}


def invalid_fields(model: type[Any], data: Any) -> dict[str, list[str]]:
    with pytest.raises(Invalid) as caught:
        parse(model, data)
    return caught.value.fields


# --- error keys and messages --------------------------------------------------------------


@pytest.mark.parametrize(
    ("loc", "key"),
    [
        (("body", "user", "email"), "email"),
        (("body", "article", "tagList", 3), "tagList"),
        (("query", "limit"), "limit"),
        (("body", "article", "body"), "body"),
        (("body",), "body"),
        ((), "body"),
        (("username",), "username"),
    ],
)
def test_error_key_is_the_field_a_client_would_recognise(loc: tuple[Any, ...], key: str) -> None:
    assert error_key(loc) == key


@pytest.mark.parametrize(
    ("error", "message"),
    [
        ({"type": "missing"}, "can't be blank"),
        ({"type": "string_too_short", "input": "", "ctx": {"min_length": 1}}, "can't be blank"),
        (
            {"type": "string_too_short", "input": "abc", "ctx": {"min_length": 8}},
            "is too short (minimum is 8 characters)",
        ),
        ({"type": "string_too_short", "input": "", "ctx": {"min_length": 8}}, "can't be blank"),
        (
            {"type": "string_too_long", "input": "x" * 5, "ctx": {"max_length": 4}},
            "is too long (maximum is 4 characters)",
        ),
        ({"type": "too_long", "ctx": {"max_length": 20}}, "has too many items (maximum is 20)"),
        ({"type": "too_short", "ctx": {"min_length": 1}}, "has too few items (minimum is 1)"),
        ({"type": "string_type", "input": 12}, "must be a string"),
        ({"type": "string_type", "input": None}, "can't be blank"),
        ({"type": "int_parsing", "input": "x"}, "must be an integer"),
        ({"type": "int_type", "input": []}, "must be an integer"),
        ({"type": "list_type", "input": "x"}, "must be a list"),
        ({"type": "model_attributes_type", "input": "x"}, "must be an object"),
        ({"type": "dict_type", "input": "x"}, "must be an object"),
        (
            {"type": "greater_than_equal", "input": 0, "ctx": {"ge": 1}},
            "must be greater than or equal to 1",
        ),
        (
            {"type": "less_than_equal", "input": 9, "ctx": {"le": 5}},
            "must be less than or equal to 5",
        ),
        ({"type": "string_pattern_mismatch", "input": "a b"}, "is invalid"),
        ({"type": "json_invalid", "input": "{"}, "is not valid JSON"),
        (
            {"type": "value_error", "input": "nope", "msg": "value is not a valid email address"},
            "is invalid",
        ),
        ({"type": "value_error", "input": "x", "msg": "Value error, must be odd"}, "must be odd"),
        (
            {"type": "value_error", "input": "", "msg": "not a valid email address"},
            "can't be blank",
        ),
        ({"type": "blank", "input": None, "msg": "can't be blank"}, "can't be blank"),
    ],
)
def test_error_messages_follow_the_realworld_wording(error: dict[str, Any], message: str) -> None:
    assert error_message(error) == message


def test_field_errors_groups_messages_by_field_without_duplicates() -> None:
    errors = [
        {"type": "missing", "loc": ("body", "user", "email")},
        {"type": "string_type", "loc": ("body", "article", "tagList", 0), "input": 1},
        {"type": "string_type", "loc": ("body", "article", "tagList", 1), "input": 2},
        {"type": "too_long", "loc": ("body", "article", "tagList"), "ctx": {"max_length": 20}},
    ]
    assert field_errors(errors) == {
        "email": ["can't be blank"],
        "tagList": ["must be a string", "has too many items (maximum is 20)"],
    }


def test_field_errors_of_nothing_is_empty() -> None:
    assert field_errors([]) == {}


# --- users --------------------------------------------------------------------------------


def test_register_reports_every_missing_field_as_blank() -> None:
    assert invalid_fields(RegisterUser, {}) == {
        "username": ["can't be blank"],
        "email": ["can't be blank"],
        "password": ["can't be blank"],
    }


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_register_reports_blank_or_null_fields_as_blank(blank: str | None) -> None:
    data = {"username": blank, "email": blank, "password": blank}
    assert invalid_fields(RegisterUser, data) == {
        "username": ["can't be blank"],
        "email": ["can't be blank"],
        "password": ["can't be blank"],
    }


def test_register_reports_ill_formed_values() -> None:
    data = {"username": "has space", "email": "not-an-email", "password": "short"}
    assert invalid_fields(RegisterUser, data) == {
        "username": ["is invalid"],
        "email": ["is invalid"],
        "password": ["is too short (minimum is 8 characters)"],
    }


def test_register_ignores_fields_a_client_may_not_set() -> None:
    command = parse(RegisterUser, {**USER, "role": "admin", "id": 1, "bio": "x"})
    assert command.model_dump() == USER


def test_register_strips_the_username() -> None:
    assert parse(RegisterUser, {**USER, "username": "  ann  "}).username == "ann"


def test_update_user_is_partial() -> None:
    command = parse(UpdateUser, {"bio": "hello"})
    assert command.model_fields_set == {"bio"}
    assert command.bio == "hello"


@pytest.mark.parametrize("field", ["bio", "image"])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_update_user_bio_and_image_accept_null_and_blank_as_null(
    field: str, value: str | None
) -> None:
    command = parse(UpdateUser, {field: value})
    assert field in command.model_fields_set
    assert getattr(command, field) is None


@pytest.mark.parametrize("field", ["username", "email", "password"])
@pytest.mark.parametrize("value", [None, ""])
def test_update_user_username_email_password_may_not_be_null_or_blank(
    field: str, value: str | None
) -> None:
    assert invalid_fields(UpdateUser, {field: value}) == {field: ["can't be blank"]}


# --- articles -----------------------------------------------------------------------------


def test_update_article_tag_list_null_is_invalid() -> None:
    assert invalid_fields(UpdateArticle, {"tagList": None}) == {"tagList": ["can't be blank"]}


def test_update_article_empty_tag_list_is_allowed_and_clears() -> None:
    command = parse(UpdateArticle, {"tagList": []})
    assert "tag_list" in command.model_fields_set
    assert command.tag_list == []


def test_update_article_without_tag_list_leaves_it_unset() -> None:
    command = parse(UpdateArticle, {"body": "new"})
    assert command.model_fields_set == {"body"}
    assert command.tag_list is None


@pytest.mark.parametrize("field", ["title", "description", "body"])
def test_update_article_text_fields_may_not_be_null(field: str) -> None:
    assert invalid_fields(UpdateArticle, {field: None}) == {field: ["can't be blank"]}


def test_tags_are_deduplicated_keeping_first_occurrence_order() -> None:
    command = parse(
        CreateArticle, {**ARTICLE, "tagList": ["zeta", "alpha", "zeta", " alpha ", "m"]}
    )
    assert command.tag_list == ["zeta", "alpha", "m"]


def test_update_article_tags_are_deduplicated_too() -> None:
    assert parse(UpdateArticle, {"tagList": ["b", "a", "b"]}).tag_list == ["b", "a"]


def test_create_article_defaults_to_no_tags() -> None:
    assert parse(CreateArticle, ARTICLE).tag_list == []


def test_create_article_accepts_the_python_name_for_tags_too() -> None:
    assert parse(CreateArticle, {**ARTICLE, "tag_list": ["x"]}).tag_list == ["x"]


def test_blank_tag_is_invalid() -> None:
    assert invalid_fields(CreateArticle, {**ARTICLE, "tagList": ["ok", "  "]}) == {
        "tagList": ["can't be blank"]
    }


def test_tag_list_must_be_a_list_of_strings() -> None:
    assert invalid_fields(CreateArticle, {**ARTICLE, "tagList": "a,b"}) == {
        "tagList": ["must be a list"]
    }
    assert invalid_fields(CreateArticle, {**ARTICLE, "tagList": [1]}) == {
        "tagList": ["must be a string"]
    }


def test_too_many_tags_are_invalid() -> None:
    tags = [f"t{n}" for n in range(21)]
    assert invalid_fields(CreateArticle, {**ARTICLE, "tagList": tags}) == {
        "tagList": ["has too many items (maximum is 20)"]
    }


def test_create_article_reports_blank_and_missing_fields() -> None:
    assert invalid_fields(CreateArticle, {"title": "  ", "description": ""}) == {
        "title": ["can't be blank"],
        "description": ["can't be blank"],
        "body": ["can't be blank"],
    }


def test_create_article_title_has_a_maximum_length() -> None:
    assert invalid_fields(CreateArticle, {**ARTICLE, "title": "x" * 201}) == {
        "title": ["is too long (maximum is 200 characters)"]
    }


def test_create_article_ignores_fields_a_client_may_not_set() -> None:
    command = parse(
        CreateArticle,
        {**ARTICLE, "slug": "mine", "author": {"username": "x"}, "favoritesCount": 99},
    )
    assert command.model_dump(by_alias=True) == {**ARTICLE, "tagList": []}


# --- paging -------------------------------------------------------------------------------


def test_make_page_accepts_values_in_range() -> None:
    page = make_page(20, 40, max_limit=100)
    assert (page.limit, page.offset) == (20, 40)


def test_make_page_accepts_both_limit_bounds() -> None:
    assert make_page(1, 0, max_limit=100).limit == 1
    assert make_page(100, 0, max_limit=100).limit == 100


@pytest.mark.parametrize(
    ("limit", "offset", "fields"),
    [
        (0, 0, {"limit": ["must be greater than or equal to 1"]}),
        (-5, 0, {"limit": ["must be greater than or equal to 1"]}),
        (101, 0, {"limit": ["must be less than or equal to 100"]}),
        (10, -1, {"offset": ["must be greater than or equal to 0"]}),
        (
            0,
            -1,
            {
                "limit": ["must be greater than or equal to 1"],
                "offset": ["must be greater than or equal to 0"],
            },
        ),
    ],
)
def test_make_page_rejects_out_of_range_values_instead_of_clamping(
    limit: int, offset: int, fields: dict[str, list[str]]
) -> None:
    with pytest.raises(Invalid) as caught:
        make_page(limit, offset, max_limit=100)
    assert caught.value.fields == fields


def test_make_page_limit_bound_follows_the_configured_maximum() -> None:
    assert make_page(500, 0, max_limit=500).limit == 500
    with pytest.raises(Invalid):
        make_page(501, 0, max_limit=500)
