"""The search query language (``domain.search``), its FTS5 translation
(``repositories.search_syntax``), highlight escaping (``domain.highlight``) and search
cursors (``domain.cursors``): pure functions, no database."""

from __future__ import annotations

import html as html_module
import random
import re

import pytest

from quillpress.domain import cursors, highlight
from quillpress.domain.commands import SearchPosition
from quillpress.domain.errors import Invalid
from quillpress.domain.search import is_blank, parse
from quillpress.repositories.search_syntax import fts5, postgres

M0, M1 = highlight.START, highlight.STOP


@pytest.mark.parametrize(
    ("typed", "canonical", "match"),
    [
        ("cache", "cache", '"cache"'),
        ("  python   web ", "python web", '("python" AND "web")'),
        ('"big bang"', '"big bang"', '"big bang"'),
        ('"zanzibar', '"zanzibar"', '"zanzibar"'),  # an unbalanced quote closes at the end
        ('"big bang', '"big bang"', '"big bang"'),
        ("python -django", "python -django", '("python" NOT "django")'),
        ('python -"big bang"', 'python -"big bang"', '("python" NOT "big bang")'),
        ("cat OR dog", "cat or dog", '"cat" OR "dog"'),
        ("a b or c", "b or c", '"b" OR "c"'),  # "a" is a stop word
        ("cat or", "cat", '"cat"'),  # dangling operators are dropped
        ("or or cat", "cat", '"cat"'),
        ("c++ e-mail", "c++ e-mail", '("c++" AND "e-mail")'),
        ('say "hi"world', 'say "hi" world', '("say" AND "hi" AND "world")'),
        # Punctuation is text, never syntax: tsquery's and FTS5's operators stay quoted.
        ('x:* & (y | !z) "q""', 'x:* (y !z) "q"', '("x:*" AND "(y" AND "!z)" AND "q")'),
    ],
)
def test_a_query_reads_as_websearch_to_tsquery_does(typed: str, canonical: str, match: str) -> None:
    query = parse(typed)
    assert postgres(query) == canonical
    assert fts5(query) == match


@pytest.mark.parametrize(
    "typed",
    ["-cat", "--x", "-cat -dog", '-"big bang"', "- or ++", '""', '" "', "the", "the and of"],
)
def test_exclusions_operators_and_stop_words_alone_search_for_nothing(typed: str) -> None:
    assert parse(typed).empty


def test_an_alternative_of_exclusions_alone_is_dropped() -> None:
    query = parse("-cat or dog")
    assert postgres(query) == "dog"
    assert fts5(query) == '"dog"'


def test_quotes_inside_a_term_cannot_become_fts5_syntax() -> None:
    query = parse('ab"cd')
    assert fts5(query) == '("ab" AND "cd")'


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("x" * 201, "is too long (maximum is 200 characters)"),
        (" ".join(["w"] * 21), "has too many terms (maximum is 20)"),
        ('"' + " ".join(["w"] * 21) + '"', "has too many terms (maximum is 20)"),
        ("nul\x00", "contains a NUL character"),
    ],
)
def test_limits_are_invalid_keyed_q(typed: str, message: str) -> None:
    with pytest.raises(Invalid) as raised:
        parse(typed)
    assert raised.value.fields == {"q": [message]}


def test_twenty_words_and_two_hundred_characters_are_allowed() -> None:
    assert not parse(" ".join(["w"] * 20)).empty
    assert not parse("x" * 200).empty


def test_blank_is_the_plain_list() -> None:
    assert is_blank(None)
    assert is_blank("")
    assert is_blank(" \t\n")
    assert not is_blank(" x ")


def test_the_fingerprint_ignores_spacing_and_case_not_meaning() -> None:
    assert parse("Python  web").key == parse("python web").key
    assert parse("python OR web").key == parse("python or web").key
    assert parse("python web").key != parse("python -web").key


def test_a_suggestion_replaces_only_unquoted_included_words() -> None:
    query = parse('pyhton "pyhton x" -pyhton or django')
    assert list(query.words()) == ["pyhton", "django"]
    replaced = query.replaced({"pyhton": "python"})
    assert replaced.text() == 'python "pyhton x" -pyhton or django'


def test_a_highlight_escapes_everything_but_its_marks() -> None:
    marked = f"Why <script>alert('x')</script> & {M0}caching{M1} \"works\""
    assert highlight.to_html(marked) == (
        "Why &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; "
        "<mark>caching</mark> &quot;works&quot;"
    )


def test_postgres_bracket_stand_ins_come_back_escaped() -> None:
    marked = f"{highlight.LT}b{highlight.GT}{M0}bold{M1}{highlight.LT}/b{highlight.GT}"
    assert highlight.to_html(marked) == "&lt;b&gt;<mark>bold</mark>&lt;/b&gt;"


@pytest.mark.parametrize(
    ("marked", "html"),
    [
        (f"{M0}open", "<mark>open</mark>"),  # unbalanced: closed at the end
        (f"{M1}stray{M1}", "stray"),
        (f"{M0}{M0}twice{M1}{M1}", "<mark>twice</mark>"),
        (f"{M0}{M1}empty", "empty"),
        ("", ""),
    ],
)
def test_stray_markers_never_make_unbalanced_html(marked: str, html: str) -> None:
    assert highlight.to_html(marked) == html


def _to_html_piece_by_piece(marked: str) -> str:
    """The reference: each run of text between sentinels escaped on its own (as the first
    ``to_html`` did), each sentinel opening or closing a mark only where that nests."""
    is_open = False

    def replace(match: re.Match[str]) -> str:
        nonlocal is_open
        token = match.group(0)
        if token in (M0, M1):
            opens = token == M0
            if opens == is_open:
                return ""  # a second opening, or a closing with none open
            is_open = opens
            return "<mark>" if opens else "</mark>"
        plain = token.replace(highlight.LT, "<").replace(highlight.GT, ">")
        return html_module.escape(plain, quote=True)

    text = re.sub(f"[{highlight.SENTINELS}]|[^{highlight.SENTINELS}]+", replace, marked)
    return (text + ("</mark>" if is_open else "")).replace("<mark></mark>", "")


def test_a_highlight_equals_escaping_each_piece_on_its_own() -> None:
    alphabet = ["a", "b", " ", "<", ">", "&", '"', "'", M0, M1, highlight.LT, highlight.GT, "é"]
    chooser = random.Random(21)
    for _ in range(3000):
        marked = "".join(chooser.choices(alphabet, k=chooser.randrange(0, 24)))
        assert highlight.to_html(marked) == _to_html_piece_by_piece(marked), repr(marked)


def test_search_cursors_round_trip_and_keyset_cursors_still_decode() -> None:
    key = parse("cache").key
    assert cursors.decode_any(cursors.search_position(key, 40), field="cursor") == (
        SearchPosition(key=key, offset=40)
    )
    keyset = "MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHwx"
    assert cursors.decode_any(keyset, field="cursor") == cursors.decode(keyset, field="cursor")


@pytest.mark.parametrize(
    "raw", ["search|short|1", "search|0123456789abcdef|x", "search|0123456789abcdef|99999999"]
)
def test_a_forged_search_cursor_is_invalid(raw: str) -> None:
    import base64

    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    with pytest.raises(Invalid) as raised:
        cursors.decode_any(cursor, field="cursor")
    assert raised.value.fields == {"cursor": ["is not a valid cursor"]}
