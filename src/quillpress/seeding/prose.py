"""Titles, descriptions, markdown bodies, comments and bios assembled from ``seeding.text``.

A body is an intro, two to four sections (a ``##`` heading, a paragraph, and a bullet list,
numbered steps or a fenced code block in the topic's language) and a closing section. Every
piece is a whole template sentence, so posts read like posts; the mix and order vary per
article. It stays cheap: a handful of ``random`` calls and ``str.format`` per paragraph, so
ten thousand bodies take well under a second."""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import accumulate
from math import prod
from string import Formatter

from quillpress.seeding import text
from quillpress.seeding.text import Topic

_FILLED = frozenset({"list", "steps", "code"})
_CLOSING_SENTENCES = 2
_OPTIONAL = ("list", "steps", "", "")  # at most one code block per post


TitleKit = tuple[Sequence[str], list[int], dict[str, Sequence[str]]]


def _title_kit(
    templates: Sequence[str], slots: dict[str, Sequence[str]], subjects: int
) -> TitleKit:
    """Templates with cumulative weights in proportion to how many titles each can make.

    Titles must be unique, and the popular topics get hundreds of articles: picking a
    template by its number of combinations keeps ", part 2" suffixes rare."""
    sizes = {**{name: len(options) for name, options in slots.items()}, "subject": subjects}
    weights = [
        prod(sizes[name] for _, name, _, _ in Formatter().parse(template) if name in sizes)
        for template in templates
    ]
    return templates, list(accumulate(weights)), slots


_TECH_TITLES = _title_kit(
    text.TECH_TITLES,
    {"opener": text.OPENERS, "closer": text.CLOSERS, "lesson": text.LESSONS, "years": text.YEARS},
    len(text.TECH_SUBJECTS),
)
_PEOPLE_TITLES = _title_kit(
    text.PEOPLE_TITLES,
    {
        "opener": text.PEOPLE_OPENERS,
        "closer": text.PEOPLE_CLOSERS,
        "lesson": text.LESSONS,
        "years": text.YEARS,
    },
    len(text.PEOPLE_SUBJECTS),
)


def _capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


class Prose:
    """Draws every choice from the one ``rng`` it is given, so output follows the seed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def subject(self, topic: Topic) -> str:
        return self.rng.choice(text.PEOPLE_SUBJECTS if topic.people else text.TECH_SUBJECTS)

    def title(self, topic: Topic, subject: str) -> str:
        rng = self.rng
        templates, weights, slots = _PEOPLE_TITLES if topic.people else _TECH_TITLES
        template = rng.choices(templates, cum_weights=weights)[0]
        filled = {name: rng.choice(options) for name, options in slots.items()}
        return _capitalised(template.format(topic=topic.name, subject=subject, **filled))

    def description(self, topic: Topic, subject: str) -> str:
        templates = text.PEOPLE_DESCRIPTIONS if topic.people else text.TECH_DESCRIPTIONS
        return self.rng.choice(templates).format(topic=topic.name, subject=subject)

    def body(self, topic: Topic, subject: str) -> str:
        rng = self.rng
        count = rng.randint(2, 4)  # sections between the intro and the closing one
        sizes = rng.choices((2, 3), k=count + 1)  # sentences: intro, then each section's
        follow_ups = rng.choices((0, 0, 0, 1, 2), k=count)  # a paragraph after the filler
        # Every post has a list and, when its topic has a language, a code block.
        fillers = ["list", "code" if topic.code else "steps", *rng.choices(_OPTIONAL, k=2)]
        fillers = fillers[:count]
        rng.shuffle(fillers)
        headings = rng.sample(text.HEADINGS, count)

        bank = text.PEOPLE_SENTENCES if topic.people else text.TECH_SENTENCES
        wanted = min(len(bank), sum(sizes) + sum(follow_ups) + _CLOSING_SENTENCES)
        drawn = rng.sample(bank, wanted)  # no sentence twice in one post
        fill = {"topic": topic.name, "Topic": _capitalised(topic.name), "subject": subject}
        used = 0

        def paragraph(size: int) -> str:
            nonlocal used
            used += size
            return " ".join(drawn[used - size : used]).format_map(fill)

        parts = [paragraph(sizes[0])]
        for heading, filler, size, follow_up in zip(
            headings, fillers, sizes[1:], follow_ups, strict=True
        ):
            parts += ("## " + heading.format(subject=subject), paragraph(size))
            if filler in _FILLED:
                parts += (self._filler(filler, topic, subject), paragraph(follow_up))
        parts += ("## " + rng.choice(text.CLOSING_HEADINGS), paragraph(_CLOSING_SENTENCES))
        return "\n\n".join(part for part in parts if part)

    def _filler(self, kind: str, topic: Topic, subject: str) -> str:
        if kind == "code" and topic.code:
            return f"```{topic.code}\n{self.rng.choice(text.CODE[topic.code])}\n```"
        items = self._items(text.BULLETS, subject)
        if kind == "steps":
            return "\n".join(f"{number}. {item}" for number, item in enumerate(items, 1))
        return "\n".join(f"- {item}" for item in items)

    def _items(self, bank: Sequence[str], subject: str) -> list[str]:
        return [
            _capitalised(item.format(subject=subject))
            for item in self.rng.sample(bank, self.rng.randint(3, 5))
        ]

    def comment(self, subject: str) -> str:
        rng = self.rng
        bodies = (
            [rng.choice(text.COMMENT_BODIES)]
            if rng.random() < 0.7
            else rng.sample(text.COMMENT_BODIES, 2)
        )
        words = [
            rng.choice(text.COMMENT_OPENERS),
            *(body.format(subject=subject) for body in bodies),
            rng.choice(text.COMMENT_CLOSERS),
        ]
        return " ".join(word for word in words if word)

    def bio(self) -> str:
        rng = self.rng
        first, other = rng.sample(text.BIO_TOPICS, 2)
        interest = rng.choice(text.BIO_INTERESTS).format(topic=first, other=other)
        return f"{rng.choice(text.BIO_ROLES)} {rng.choice(text.BIO_PLACES)}. {interest}"
