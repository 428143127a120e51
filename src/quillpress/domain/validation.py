"""Turns Pydantic validation errors into RealWorld field messages, in one place.

REST request parsing, domain commands and GraphQL inputs all report through here, so a
blank title reads ``{"title": ["can't be blank"]}`` whichever door it came in by."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from quillpress.domain.errors import Invalid

M = TypeVar("M", bound=BaseModel)

_TRANSPORT_PARTS = {"body", "query", "path", "header"}


def error_key(loc: Sequence[int | str]) -> str:
    """The field a client would recognise: the last named part of the location after the
    transport part (so an article's ``body`` field is keyed ``body``, not ``article``)."""
    fields = loc[1:] if loc and loc[0] in _TRANSPORT_PARTS else loc
    for part in reversed(fields):
        if isinstance(part, str):
            return part
    return "body"


def error_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "can't be blank"
    blank = error.get("input") is None or str(error.get("input")).strip() == ""
    if kind in {"string_type", "string_too_short", "value_error"} and blank:
        return "can't be blank"  # null, "" or "   " where text is required (email, password…)
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return (
            "can't be blank" if minimum <= 1 else f"is too short (minimum is {minimum} characters)"
        )
    if kind == "string_too_long":
        return f"is too long (maximum is {ctx.get('max_length')} characters)"
    if kind == "too_long":
        return f"has too many items (maximum is {ctx.get('max_length')})"
    if kind == "too_short":
        return f"has too few items (minimum is {ctx.get('min_length')})"
    if kind in {"string_type", "string_unicode"}:
        return "must be a string"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return "must be an integer"
    if kind in {"bool_type", "bool_parsing"}:
        return "must be a boolean"
    if kind in {"list_type", "tuple_type"}:
        return "must be a list"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return "must be an object"
    if kind == "greater_than_equal":
        return f"must be greater than or equal to {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"must be less than or equal to {ctx.get('le')}"
    if kind == "string_pattern_mismatch":
        return "is invalid"
    if kind == "json_invalid":
        return "is not valid JSON"
    if kind == "value_error" and "email" in str(error.get("msg", "")):
        return "is invalid"
    if kind == "value_error":
        return str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return str(error.get("msg", "is invalid"))


def field_errors(errors: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        messages = fields.setdefault(error_key(error.get("loc", ())), [])
        message = error_message(error)
        if message not in messages:
            messages.append(message)
    return fields


def parse(model: type[M], data: Any) -> M:
    """Validate ``data`` as ``model`` or raise :class:`Invalid` with field messages."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(field_errors(exc.errors(include_url=False))) from None
