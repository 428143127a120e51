"""The search query language a person types, parsed once for both databases.

The syntax is PostgreSQL's ``websearch_to_tsquery``: words (all must match), ``"exact
phrases"``, ``-excluded`` words or phrases, and ``or`` (any case) between alternatives;
``and`` binds tighter than ``or`` (``a b or c`` is ``(a b) or c``). Everything else is
text: punctuation never becomes syntax, so no query is a syntax error anywhere.

What this module settles, so PostgreSQL and SQLite agree (``repositories.search_syntax``
renders the result for each):

- limits: at most :data:`MAX_LENGTH` characters and :data:`MAX_TERMS` words (phrases count
  their words), else ``Invalid`` keyed ``q``;
- an unbalanced quote is closed at the end of the query (``"zanzibar`` is ``zanzibar``);
- a word without a letter or digit (``-``, ``++``, a lone ``or``) is dropped, and so is a
  stop word of the configured language (the list PostgreSQL's ``english`` configuration
  uses; other languages rely on the database's own list);
- an alternative made only of exclusions is dropped: it would match nearly every article
  and cannot use the index. A query of exclusions alone therefore finds nothing, as does a
  query of operators or stop words alone (:attr:`SearchQuery.empty`).

:meth:`SearchQuery.text` is the canonical query (PostgreSQL is given exactly this), and
:attr:`SearchQuery.key` its fingerprint, which search cursors carry so that a cursor is
only ever continued with the query that minted it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from quillpress.domain.errors import Invalid

MAX_LENGTH = 200
MAX_TERMS = 20
FIELD = "q"

# PostgreSQL's english.stop (the Snowball list), so SQLite, which indexes every word, drops
# what PostgreSQL drops.
_ENGLISH = """i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which
    who whom this that these those am is are was were be been being have has had having do
    does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will
    just don should now"""
ENGLISH_STOP_WORDS = frozenset(_ENGLISH.split())
STOP_WORDS = {"english": ENGLISH_STOP_WORDS}


@dataclass(frozen=True, slots=True)
class Term:
    """A word or a quoted phrase (``quoted``), possibly excluded."""

    words: tuple[str, ...]
    quoted: bool = False
    excluded: bool = False

    def text(self) -> str:
        body = " ".join(self.words)
        if self.quoted:
            body = f'"{body}"'
        return f"-{body}" if self.excluded else body


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Alternatives (``or``) of terms that must all hold (``and``); no alternative is
    made of exclusions alone."""

    alternatives: tuple[tuple[Term, ...], ...]

    @property
    def empty(self) -> bool:
        """Nothing left to search for: the answer is no articles, without a query."""
        return not self.alternatives

    def text(self) -> str:
        return " or ".join(" ".join(term.text() for term in terms) for terms in self.alternatives)

    @property
    def key(self) -> str:
        """The query's fingerprint (case-insensitive, as matching is)."""
        return hashlib.sha256(self.text().casefold().encode()).hexdigest()[:16]

    def words(self) -> Iterator[str]:
        """The unquoted words a person may have mistyped (suggestions replace these)."""
        for terms in self.alternatives:
            for term in terms:
                if not term.quoted and not term.excluded:
                    yield term.words[0]

    def replaced(self, words: dict[str, str]) -> SearchQuery:
        """The same query with some unquoted words replaced (a suggestion)."""
        return SearchQuery(
            tuple(
                tuple(
                    Term((words.get(term.words[0], term.words[0]),))
                    if not term.quoted and not term.excluded
                    else term
                    for term in terms
                )
                for terms in self.alternatives
            )
        )


def is_blank(text: str | None) -> bool:
    """An absent, empty or whitespace query: the plain list, not a search."""
    return text is None or not text.strip()


def parse(text: str, *, language: str = "english") -> SearchQuery:
    """The query ``text`` means, or ``Invalid`` keyed ``q``. ``text`` must not be blank."""
    if len(text) > MAX_LENGTH:
        raise Invalid({FIELD: [f"is too long (maximum is {MAX_LENGTH} characters)"]})
    if "\x00" in text:
        raise Invalid({FIELD: ["contains a NUL character"]})
    tokens = list(_tokens(text))
    words = sum(len(term.words) for term in tokens if isinstance(term, Term))
    if words > MAX_TERMS:
        raise Invalid({FIELD: [f"has too many terms (maximum is {MAX_TERMS})"]})
    stop = STOP_WORDS.get(language, frozenset())
    alternatives: list[tuple[Term, ...]] = []
    current: list[Term] = []
    for token in [*tokens, None]:
        if isinstance(token, Term):
            if _meaningful(token, stop):
                current.append(token)
            continue
        if any(not term.excluded for term in current):  # token is OR, or the end
            alternatives.append(tuple(current))
        current = []
    return SearchQuery(tuple(alternatives))


_OR = object()


def _tokens(text: str) -> Iterator[Term | object]:
    """Terms and ``or`` operators, as ``websearch_to_tsquery`` reads them."""
    at, end = 0, len(text)
    while at < end:
        char = text[at]
        if char.isspace():
            at += 1
            continue
        excluded = False
        if char == "-" and at + 1 < end and not text[at + 1].isspace():
            excluded = True
            while at < end and text[at] == "-":
                at += 1
            if at == end:
                break
        if text[at] == '"':
            closing = text.find('"', at + 1)
            closing = end if closing < 0 else closing  # unbalanced: closed at the end
            words = tuple(_clean(word) for word in text[at + 1 : closing].split())
            at = closing + 1
            words = tuple(word for word in words if word)
            if words:
                yield Term(words, quoted=True, excluded=excluded)
            continue
        start = at
        while at < end and not text[at].isspace() and text[at] != '"':
            at += 1
        word = _clean(text[start:at])
        if not excluded and word.casefold() == "or":
            yield _OR
        elif word:
            yield Term((word,), excluded=excluded)


def _clean(word: str) -> str:
    """A word as it goes to the database: ``""`` when it has no letter or digit."""
    return word if any(char.isalnum() for char in word) else ""


def _meaningful(term: Term, stop: frozenset[str]) -> bool:
    return not all(word.casefold() in stop for word in term.words)
