"""The email normalisation rule on its own: which spellings are one address, and the two
properties the schema relies on (idempotent; no ASCII capital letter in any result)."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from quillpress.domain.emails import normalized_email

UNCHANGED = {"Cn", "Co", "Cs"}
"""Unassigned, private-use and surrogate code points: no normalisation or case mapping
touches them (about three quarters of the range, skipped to keep the scan short)."""


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("ANN@Example.COM", "ann@example.com"),
        ("  ann@example.com\t", "ann@example.com"),  # surrounding spaces
        ("\uff41\uff4e\uff4e@example.com", "ann@example.com"),  # fullwidth letters
        ("ann\uff20example.com", "ann@example.com"),  # fullwidth at sign
        ("ﬁona@example.com", "fiona@example.com"),  # a compatibility ligature
        ("ⓕiona@example.com", "fiona@example.com"),  # a circled letter
        ("straße@example.com", "strasse@example.com"),
        ("STRASSE@example.com", "strasse@example.com"),
        ("İnci@example.com", "i\u0307nci@example.com"),  # dotted capital I: i + combining dot
        ("i\u0307nci@example.com", "i\u0307nci@example.com"),
        ("İNCİ@example.com", "i\u0307nci\u0307@example.com"),
    ],
)
def test_variants_of_one_address_normalise_alike(variant: str, canonical: str) -> None:
    assert normalized_email(variant) == canonical


def test_a_dotted_capital_i_is_not_a_plain_i() -> None:
    """Python folds ``İ`` to ``i̇`` (PostgreSQL's ``lower()`` said ``i``): ``alİ`` is an
    address of its own, never a way into ``ali``'s account."""
    assert normalized_email("alİ@example.com") != normalized_email("ali@example.com")


def test_normalising_is_idempotent_and_never_yields_an_ascii_capital() -> None:
    """Every code point, alone: what migration 0006's collision marker (which starts
    with capitals) and the unique index on the normalised column rely on."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if unicodedata.category(char) in UNCHANGED:
            continue
        once = normalized_email(char)
        assert normalized_email(once) == once, hex(code)
        assert not any("A" <= letter <= "Z" for letter in once), hex(code)
