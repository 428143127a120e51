"""The one rule for when two email addresses are the same account's.

An address is stored as the user gave it (what they see in their profile) and, beside it,
in its *normalised* form, which every comparison uses: login, registration and profile
uniqueness, the admin search, and the failed-login budget of an address that names no
account. Both databases compare that column with ``=``, so SQLite and PostgreSQL agree,
and no comparison depends on a database's ``lower()``: PostgreSQL's folds ``İ`` to ``i``
where Python's folds it to ``i̇``, and a limiter keyed on one spelling while the lookup
matched another gave every variant of an address a fresh budget.

The form is Unicode NFKC, surrounding whitespace removed, case folded, and NFKC again
(folding can leave text that is no longer normalised): fullwidth letters and plain ones,
the ligature ``ﬁ`` and ``fi``, ``ß`` and ``ss``, ``ANN`` and ``ann`` are each one
address. It is idempotent and never contains an ASCII capital letter
(``tests/unit/test_emails.py`` checks every code point), which is what lets migration
0006 mark rows that collided with a value no address can have."""

from __future__ import annotations

import unicodedata


def normalized_email(email: str) -> str:
    """The form two addresses are compared in (see the module docstring)."""
    folded = unicodedata.normalize("NFKC", email).strip().casefold()
    return unicodedata.normalize("NFKC", folded)
