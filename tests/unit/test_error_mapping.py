"""Every domain error kind has an HTTP status (``api.statuses``, read by REST and GraphQL)
and a GraphQL code, by class hierarchy."""

from __future__ import annotations

import pytest

from quillpress.api.graphql.errors import code_for
from quillpress.api.statuses import status_for
from quillpress.domain import errors
from quillpress.domain.errors import DomainError, NotFound


def _kinds(root: type[DomainError]) -> list[type[DomainError]]:
    found: list[type[DomainError]] = []
    for sub in root.__subclasses__():
        found += [sub, *_kinds(sub)]
    return found


KINDS = [kind for kind in _kinds(DomainError) if kind.__module__ == errors.__name__]


def test_the_domain_has_error_kinds_to_map() -> None:
    assert {kind.__name__ for kind in KINDS} >= {
        "Unauthenticated",
        "Forbidden",
        "NotFound",
        "Conflict",
        "Invalid",
        "Unavailable",
    }


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
def test_every_domain_error_kind_has_a_rest_status_and_a_graphql_code(
    kind: type[DomainError],
) -> None:
    assert status_for(kind) is not None, f"{kind.__name__} has no HTTP status"
    assert code_for(kind) is not None, f"{kind.__name__} has no GraphQL code"


def test_a_subclass_maps_like_its_parent() -> None:
    class CommentNotFound(NotFound):
        pass

    assert status_for(CommentNotFound) == 404
    assert code_for(CommentNotFound) == "NOT_FOUND"


def test_an_unmapped_kind_is_reported_as_unmapped_not_as_422() -> None:
    class Novel(DomainError):
        pass

    assert status_for(Novel) is None
    assert code_for(Novel) is None


def test_the_statuses_and_codes_of_each_kind() -> None:
    table = {kind.__name__: (status_for(kind), code_for(kind)) for kind in KINDS}
    assert table == {
        "Unauthenticated": (401, "UNAUTHENTICATED"),
        "Forbidden": (403, "FORBIDDEN"),
        "CsrfRejected": (403, "FORBIDDEN"),
        "Banned": (403, "FORBIDDEN"),
        "NotFound": (404, "NOT_FOUND"),
        "Conflict": (409, "CONFLICT"),
        "LastAdmin": (409, "CONFLICT"),
        "Invalid": (422, "BAD_USER_INPUT"),
        "Unavailable": (503, "SERVICE_UNAVAILABLE"),
        "RateLimited": (429, "RATE_LIMITED"),
    }
