"""``request_identity``: what makes two GraphQL requests the same request."""

from __future__ import annotations

from quillpress.api.graphql.identity import request_identity


def test_request_identity_is_canonical() -> None:
    one = request_identity("ab" * 32, "Q", {"b": 1, "a": [1, {"y": 2, "x": 1}]})
    two = request_identity("ab" * 32, "Q", {"a": [1, {"x": 1, "y": 2}], "b": 1})
    assert one == two
    assert one.variables_json == '{"a":[1,{"x":1,"y":2}],"b":1}'
    assert request_identity("ab" * 32, None, None) == request_identity("ab" * 32, None, {})
    assert request_identity("ab" * 32, None, None).variables_json == "{}"
    assert one != request_identity("ab" * 32, "Other", {"b": 1, "a": [1, {"y": 2, "x": 1}]})
