"""Article bodies for the benchmarks: prose drawn from a Zipf-like vocabulary, and the
search test words chosen by the document frequency that vocabulary gives them.

The vocabulary, most frequent first: the words of the demo seeder's templates
(``quillpress.seeding.text``, stop words and slot names left out) ranked by how often
the templates use them, then its two-word subjects ("connection pooling"), then made-up
words (consonant-vowel syllables) out to :data:`SIZE` ranks, so the tail holds words as
rare as a real blog's, and a few made-up two-word collocations placed where a phrase is
as rare as :data:`PHRASE_DF`. Rank ``r`` is drawn with weight ``1 / (r + 2.7)`` (Zipf-
Mandelbrot, as word frequencies in English text are); a body is 250 to 650 of them in
sentences of 6 to 16 (2 to 4 KB: its search vector is then stored out of line, as a real
post's is; see docs/concepts/full-text-search.md).

Each body is a pure function of its ``random.Random``, so the bulk seeder stays
deterministic per article; a body costs about 40 µs to make.

The test words are picked by their *expected* document frequency (the chance that a body
of the drawn length holds the word at least once) and the benchmark prints the measured
one, counted from the search index at each size."""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, product

from quillpress.domain.search import ENGLISH_STOP_WORDS
from quillpress.seeding import text

SIZE = 600_000
OFFSET = 2.7
MIN_WORDS, MAX_WORDS = 250, 650  # a blog post's few hundred words: 2 to 4 KB
SENTENCE = (6, 16)
COMMON_DF = 0.05  # the common word: in about 5% of articles
RARE_DF = 0.0001  # the rare word: about 0.01%
PHRASE_DF = 0.0002  # the two-word phrase: about 0.02%
NO_MATCH = "quillpressnowhere"  # in no article (and near no word a suggestion could offer)
PLACEHOLDERS = {"subject", "topic"}


def _template_words() -> list[str]:
    counts: Counter[str] = Counter()
    for name in dir(text):
        value = getattr(text, name)
        if not isinstance(value, tuple | list):
            continue
        for item in value:
            parts = item if isinstance(item, tuple) else (item,)
            for part in parts:
                if isinstance(part, str):
                    counts.update(re.findall(r"[a-z]+", part.lower()))
    kept = [
        (count, word)
        for word, count in counts.items()
        if len(word) > 2 and word not in ENGLISH_STOP_WORDS and word not in PLACEHOLDERS
    ]
    return [word for _, word in sorted(kept, key=lambda pair: (-pair[0], pair[1]))]


def _made_up(count: int, taken: set[str]) -> list[str]:
    """``count`` made-up words of three (then four) consonant-vowel syllables, in a fixed
    order. None ends in e or y, so no stemmer folds two of them (or one into a real word)
    together."""
    consonants, vowels, last = "bdfghjklmnprstvz", "aeiou", "aiou"
    words = [
        word
        for word in map("".join, product(consonants, vowels, consonants, vowels, consonants, last))
        if word not in taken
    ]
    random.Random(7).shuffle(words)
    seen = set(words) | taken
    rng = random.Random(8)
    while len(words) < count:  # four syllables for the rest, drawn (26M would not fit)
        letters = [rng.choice(consonants if n % 2 == 0 else vowels) for n in range(7)]
        word = "".join(letters) + rng.choice(last)
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words[:count]


def _alone(word: str, real: list[str]) -> bool:
    """A real single word no other vocabulary word shares a stem with, as far as its first
    five letters tell (``attempts`` would also count every ``attempt``)."""
    if " " in word or word not in real or len(word) < 5:
        return False
    return sum(other[:5] == word[:5] for other in real) == 1


def _expected_df(probability: float) -> float:
    """The chance a body holds an entry drawn with ``probability`` at least once."""
    lengths = range(MIN_WORDS, MAX_WORDS + 1)
    return sum(1 - (1 - probability) ** n for n in lengths) / len(lengths)


def _rank_for(df: float, total_weight: float) -> int:
    """The rank (0-based) whose expected document frequency is closest to ``df``."""
    probability = -math.log(1 - df) / ((MIN_WORDS + MAX_WORDS) / 2)
    return max(0, round(1 / (probability * total_weight) - OFFSET) - 1)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    entries: list[str]
    cum_weights: list[float]
    common: str
    rare: str
    phrase: str


@cache
def vocabulary() -> Vocabulary:
    real = _template_words()
    subjects = [s.lower() for s in text.TECH_SUBJECTS if len(s.split()) == 2]
    made_up = _made_up(SIZE + 2, set(real))
    entries = real + subjects + made_up[: SIZE - len(real) - len(subjects)]
    total = sum(1 / (rank + 1 + OFFSET) for rank in range(len(entries)))
    # A made-up collocation where a phrase is as rare as PHRASE_DF; its two words occur
    # nowhere else, as a name or a term of art would.
    spare = made_up[-2:]
    phrase_rank = _rank_for(PHRASE_DF, total)
    entries[phrase_rank] = f"{spare[0]} {spare[1]}"
    cum = list(accumulate(1 / (rank + 1 + OFFSET) for rank in range(len(entries))))
    common = min(
        (rank for rank, word in enumerate(entries[: len(real)]) if _alone(word, real)),
        key=lambda rank: abs(_expected_df(1 / (rank + 1 + OFFSET) / total) - COMMON_DF),
    )
    rare = entries[_rank_for(RARE_DF, total)]
    if " " in rare:  # pragma: no cover - the phrase took the rare word's rank
        rare = entries[_rank_for(RARE_DF, total) + 1]
    return Vocabulary(entries, cum, entries[common], rare, entries[phrase_rank])


def body(rng: random.Random) -> str:
    """One article body: sentences of vocabulary entries, drawn by rank weight."""
    found = vocabulary()
    length = rng.randint(MIN_WORDS, MAX_WORDS)
    words = rng.choices(found.entries, cum_weights=found.cum_weights, k=length)
    sentences = []
    at = 0
    while at < len(words):
        size = rng.randint(*SENTENCE)
        sentence = " ".join(words[at : at + size])
        sentences.append(sentence[:1].upper() + sentence[1:] + ".")
        at += size
    return " ".join(sentences)
