"""A parsed search query (``domain.search``) in each database's own syntax: the one place
the query language is translated.

PostgreSQL reads the canonical text with ``websearch_to_tsquery``, whose syntax the
language *is*, so its translation is the text itself. SQLite's FTS5 has a query syntax of
its own, into which every term goes as a quoted string (``"e-mail"``, ``"c++"``): the
tokenizer splits it as it split the indexed text, and no character of a term can be
FTS5 syntax, so no query is ever an FTS5 syntax error."""

from __future__ import annotations

from quillpress.domain.search import SearchQuery, Term


def postgres(query: SearchQuery) -> str:
    """The ``websearch_to_tsquery`` input."""
    return query.text()


def fts5(query: SearchQuery) -> str:
    """The FTS5 ``MATCH`` expression: alternatives joined by ``OR``, each its terms joined
    by ``AND``, minus its exclusions (``NOT`` is binary in FTS5, and every alternative has
    a term that is not an exclusion: ``domain.search`` drops the others)."""
    alternatives = []
    for terms in query.alternatives:
        positives = [_string(term) for term in terms if not term.excluded]
        expression = " AND ".join(positives)
        if len(positives) > 1:
            expression = f"({expression})"
        for term in terms:
            if term.excluded:
                expression = f"({expression} NOT {_string(term)})"
        alternatives.append(expression)
    return " OR ".join(alternatives)


def _string(term: Term) -> str:
    """A term as an FTS5 string: a phrase of the tokens its words split into."""
    return '"' + " ".join(term.words).replace('"', '""') + '"'
