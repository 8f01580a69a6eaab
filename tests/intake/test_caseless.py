"""Caseless patterns find what re.IGNORECASE finds, character for character."""

from __future__ import annotations

import _sre
import re
from collections.abc import Iterator
from pathlib import Path
from re import _constants, _parser  # type: ignore[attr-defined]

import pytest

from registry_admin.intake import (
    business_id_candidates,
    classify,
    contacts,
    document,
    extract,
    labels,
    patterns,
    prose,
    values,
)
from registry_admin.intake.caseless import (
    OUTSIDE_SAFE,
    Caseless,
    contains_any,
    required_substrings,
)

SAFE = [chr(c) for c in range(0x2100) if not OUTSIDE_SAFE.match(chr(c))]
CATEGORIES = [re.compile(p) for p in (r"\w", r"\s", r"\d", r".")]


def _patterns(value: object) -> Iterator[Caseless]:
    if isinstance(value, Caseless):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _patterns(item)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _patterns(item)


PATTERNS = [
    rx
    for module in (
        document,
        business_id_candidates,
        prose,
        contacts,
        extract,
        labels,
        patterns,
        values,
        classify,
    )
    for rx in _patterns(list(vars(module).values()))
]


def _ranges(node: object) -> Iterator[tuple[int, int]]:
    if isinstance(node, _parser.SubPattern):
        node = node.data
    if isinstance(node, tuple) and len(node) == 2 and node[0] is _constants.RANGE:
        yield node[1]
    elif isinstance(node, tuple | list):
        for child in node:
            yield from _ranges(child)


def test_the_modules_use_caseless_patterns() -> None:
    assert len(PATTERNS) >= 30


def test_safe_characters_lower_to_one_character_of_the_same_class() -> None:
    for x in SAFE:
        low = x.lower()
        assert len(low) == 1 and ord(low) == _sre.unicode_tolower(ord(x)), repr(x)
        for category in CATEGORIES:
            assert bool(category.fullmatch(x)) == bool(category.fullmatch(low)), repr(x)


def test_each_pattern_character_matches_as_in_lower_case() -> None:
    letters = {c for rx in PATTERNS for c in rx.pattern if c == c.lower()}
    for c in letters:
        caseless = re.compile(re.escape(c), re.I)
        for x in SAFE:
            assert bool(caseless.fullmatch(x)) == (x.lower() == c), (c, x)


def test_each_range_matches_as_in_lower_case() -> None:
    ranges = {r for rx in PATTERNS for r in _ranges(_parser.parse(rx.pattern, rx.exact.flags))}
    for low, high in ranges:
        caseless = re.compile(f"[{re.escape(chr(low))}-{re.escape(chr(high))}]", re.I)
        for x in SAFE:
            assert bool(caseless.fullmatch(x)) == (low <= ord(x.lower()) <= high), (low, high, x)


def test_upper_case_is_refused() -> None:
    with pytest.raises(ValueError):
        Caseless(r"Kela")
    with pytest.raises(ValueError):
        Caseless(r"(?-i:[a-z])x")
    Caseless(r"(?P<name>\S+)\s")  # escapes and group names may have capitals


def _samples() -> list[str]:
    root = Path(__file__).parent.parent / "fixtures" / "corpus"
    texts = [p.read_bytes().decode("utf-8", "replace") for p in sorted(root.glob("*.eml"))[:20]]
    lines = [line for text in texts for line in text.splitlines()]
    tricky = [
        "İLMOITAMME LİİTTYMİSESTÄ rekİsteriin",  # Turkish dotted capital I
        "lıittyä ja poıstaa",  # dotless i
        "ſeparately and Kela",  # long s, Kelvin sign
        "Y-TUNNUS: 1234567-8 — ÄÄNEKOSKEN SEURA RY 😀",
        "ẞTRAẞE contact person: Maija",
    ]
    return texts + lines + tricky


def _same(a: re.Match[str] | None, b: re.Match[str] | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.span() == b.span() and a.groups() == b.groups()


@pytest.mark.parametrize("rx", PATTERNS, ids=lambda rx: rx.pattern[:30])
def test_same_matches_as_the_case_insensitive_pattern(rx: Caseless) -> None:
    for text in _samples():
        assert _same(rx.search(text), rx.exact.search(text)), text
        assert _same(rx.match(text), rx.exact.match(text)), text
        assert _same(rx.fullmatch(text), rx.exact.fullmatch(text)), text
        for pos in (1, 5):
            assert _same(rx.search(text, pos), rx.exact.search(text, pos)), text


def test_required_substrings_of_a_pattern() -> None:
    def needs(pattern: str, flags: int = 0) -> tuple[str, ...] | None:
        return required_substrings(re.compile(pattern, flags))

    assert needs(r"poista\w*|ta\s+bort") == ("bort", "poista")
    assert needs(r"(?:x|yz)+abcd|q(?i:abc)defg") == ("abcd", "defg")
    assert needs(r"foo(?:bar)?") == ("foo",)  # an optional part is not needed
    assert needs(r"ab|abc") is None  # too short to rule out anything
    assert needs(r"(?i:needle)") is None and needs(r"needle", re.I) is None
    assert needs(r"\bseo\b|[a-z]+ing") == ("ing", "seo")
    assert needs(r"\bseo\b|[a-z]+") is None  # one alternative needs no string


def test_every_match_holds_one_of_its_required_substrings() -> None:
    signs = [
        (rx, needs)
        for (rx, _), needs in zip(classify._SPAM_SIGNS, classify._SPAM_NEEDS, strict=True)
    ]
    pairs = [(rx.lower, rx.needs) for rx in PATTERNS] + signs
    assert sum(needs is not None for _, needs in pairs) >= 40
    for text in _samples():
        lowered = text.lower()
        for rx, needs in pairs:
            found = rx.search(lowered)
            if found and needs is not None:
                assert contains_any(found.group(0), needs), (rx.pattern, found.group(0))
