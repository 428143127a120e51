"""Generated avatars (``infra/avatars.py``): valid SVG for any acceptable name, the name
escaped wherever it appears, and the same bytes for the same name."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from quillpress.infra import avatars

SVG = "{http://www.w3.org/2000/svg}"


def _parse(document: str) -> ET.Element:
    return ET.fromstring(document)  # noqa: S314 (our own output, parsed to prove it is XML)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dana_diaz", "DD"),
        ("Ada Lovelace", "AL"),
        ("zoe", "Z"),
        ("jean-luc.picard", "JL"),
        ("émile_zola", "ÉZ"),
        ("42", "4"),
        ("<&>", "<"),
    ],
)
def test_initials_are_the_first_letters_of_the_first_two_words(name: str, expected: str) -> None:
    assert avatars.initials(name) == expected


def test_a_name_renders_a_valid_svg_with_its_initials_and_label() -> None:
    root = _parse(avatars.render("dana_diaz"))
    assert root.tag == f"{SVG}svg"
    assert root.get("aria-label") == "dana_diaz"
    assert root.findtext(f"{SVG}title") == "dana_diaz"
    assert root.findtext(f"{SVG}text") == "DD"
    assert re.fullmatch(r"#[0-9a-f]{6}", root.find(f"{SVG}circle").get("fill", ""))  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "name",
    ['<script>alert("x")</script>', "Tom & Jerry", "a'b\"c", "]]><x/>", "&amp;", "<!-- -->"],
)
def test_odd_names_are_escaped_and_come_back_verbatim(name: str) -> None:
    document = avatars.render(name)
    assert "<script" not in document
    root = _parse(document)
    assert root.get("aria-label") == name
    assert root.findtext(f"{SVG}title") == name
    assert [child.tag for child in root] == [f"{SVG}title", f"{SVG}circle", f"{SVG}text"]


def test_the_same_name_always_gives_the_same_image_and_names_differ_in_colour() -> None:
    assert avatars.render("dana_diaz") == avatars.render("dana_diaz")
    colours = {avatars.colour(f"user{number}") for number in range(50)}
    assert len(colours) > 40


@pytest.mark.parametrize("name", ["", " ", "\t", "a\x00b", "line\nbreak", "x" * 65, "\u202e"])
def test_blank_overlong_or_unprintable_names_are_invalid(name: str) -> None:
    assert not avatars.is_valid_name(name)


@pytest.mark.parametrize("name", ["a", "dana_diaz", "Ada Lovelace", "x" * 64, "<&>"])
def test_printable_names_up_to_64_characters_are_valid(name: str) -> None:
    assert avatars.is_valid_name(name)
