"""``selects_viewer_data`` and ``request_identity``: pure functions over a document."""

from __future__ import annotations

import pytest
from graphql import parse

from quillpress.api.graphql.viewer_dependent import request_identity, selects_viewer_data


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ tags }", False),
        ("{ viewer { username } }", True),
        ("{ tags me: viewer { username } }", True),
        ('{ article(slug: "a") { title author { username } } }', False),
        ('{ article(slug: "a") { title favorited } }', True),
        ('{ article(slug: "a") { liked: favorited } }', True),
        ('{ profile(username: "a") { following } }', True),
        ("{ articles { edges { node { author { following } } } } }", True),
        ("{ articles { edges { node { title favoritesCount } } } }", False),
        ('{ article(slug: "a") { ...F } } fragment F on Article { title favorited }', True),
        ('{ article(slug: "a") { ...F } } fragment F on Article { title }', False),
        (
            '{ article(slug: "a") { ...A } } '
            "fragment A on Article { author { ...P } } fragment P on Profile { following }",
            True,
        ),
        ('{ article(slug: "a") { ... on Article { favorited } } }', True),
        ('{ article(slug: "a") { ... { title } } }', False),
        ("{ ... on Query { viewer { username } } }", True),
        ('{ article(slug: "a") { favorited @skip(if: true) } }', True),  # skipped still counts
        ("{ tags ...Unused } fragment Unused on Query { tags }", False),
        ("{ tags } fragment Unused on Query { viewer { username } }", False),  # not spread
        ("{ __typename }", False),
    ],
    ids=[
        "public",
        "viewer",
        "aliased-viewer",
        "nested-public",
        "favorited",
        "aliased-favorited",
        "following",
        "deeply-nested",
        "deeply-nested-public",
        "fragment",
        "fragment-public",
        "fragment-in-fragment",
        "inline-fragment",
        "inline-fragment-public",
        "inline-fragment-on-root",
        "skipped",
        "fragment-spread-public",
        "unused-fragment",
        "typename",
    ],
)
def test_selects_viewer_data(query: str, expected: bool) -> None:
    assert selects_viewer_data(parse(query), None) is expected


def test_the_operation_picked_by_name_decides() -> None:
    document = parse("query Public { tags } query Mine { viewer { username } }")
    assert selects_viewer_data(document, "Public") is False
    assert selects_viewer_data(document, "Mine") is True
    assert selects_viewer_data(document, "Nosuch") is False  # nothing would execute
    assert selects_viewer_data(document, None) is False  # ambiguous: refused, never run


def test_fragment_cycles_end() -> None:
    # Invalid (validation refuses cycles), but the walk must still end.
    document = parse(
        '{ article(slug: "a") { ...A } } '
        "fragment A on Article { ...B } fragment B on Article { ...A title }"
    )
    assert selects_viewer_data(document, None) is False


def test_request_identity_is_canonical() -> None:
    one = request_identity("ab" * 32, "Q", {"b": 1, "a": [1, {"y": 2, "x": 1}]})
    two = request_identity("ab" * 32, "Q", {"a": [1, {"x": 1, "y": 2}], "b": 1})
    assert one == two
    assert one.variables_json == '{"a":[1,{"x":1,"y":2}],"b":1}'
    assert request_identity("ab" * 32, None, None) == request_identity("ab" * 32, None, {})
    assert request_identity("ab" * 32, None, None).variables_json == "{}"
    assert one != request_identity("ab" * 32, "Other", {"b": 1, "a": [1, {"y": 2, "x": 1}]})
