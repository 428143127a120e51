"""Slug rules: readable, unique, and stable unless the title really changes."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

from slugify import slugify

MAX_SLUG_BASE = 200


def slug_base(title: str) -> str:
    """``"Hello, World!"`` → ``"hello-world"``; titles with nothing sluggable → ``"article"``."""
    return slugify(title, max_length=MAX_SLUG_BASE, word_boundary=True) or "article"


SUFFIX = r"-(?:[2-9]|[1-9][0-9]+|[0-9a-f]{8})"
"""Exactly the suffixes :func:`candidates` makes: ``-2``, ``-3``… and eight hex digits.
(A title ending in a number stays ambiguous: "Review of 2024" → "Review of" keeps its slug.)"""


def belongs_to(slug: str, base: str) -> bool:
    """Whether ``slug`` is ``base`` or one of its numbered/suffixed variants."""
    return slug == base or re.fullmatch(re.escape(base) + SUFFIX, slug) is not None


def candidates(base: str, taken: set[str]) -> Iterator[str]:
    """The first free ``base``, ``base-2``, ``base-3``…, then random suffixes in case a
    concurrent writer takes it first."""
    number = 1
    while (slug := base if number == 1 else f"{base}-{number}") in taken:
        number += 1
    yield slug
    for _ in range(5):
        yield f"{base}-{secrets.token_hex(4)}"
