"""Case-insensitive patterns searched in lower-cased text: the same matches, several times faster.

Python's re engine compares characters case-insensitively one by one, about seven times slower
than plain comparison, and the parser runs dozens of word lists over every message. For text
made only of Latin-1 and general punctuation (nearly all mail here), lower-casing keeps every
offset and compares as re.IGNORECASE does (tests/intake/test_caseless.py checks each character),
so a pattern written in lower case finds the same spans in the lower-cased text. The match is
then taken again from the original text at that offset, so that its groups keep their case.
Other text is searched with the case-insensitive pattern itself.

Before that, substring tests rule out most texts: every match of a pattern contains one of the
strings that its parse tree requires (required_substrings), and a substring test costs about a
nanosecond a character where a word list costs tens.
"""

from __future__ import annotations

import re
import sys
from re import _constants, _parser  # type: ignore[attr-defined]
from typing import Any

# Characters outside the range where lower-casing is known to agree with re.IGNORECASE.
OUTSIDE_SAFE = re.compile("[^\x00-\xff\u2000-\u206f\u20ac]")
_ESCAPES_AND_GROUP_NAMES = re.compile(r"\\.|\(\?P<\w+>|\(\?P=\w+\)")


class Caseless:
    """A pattern compiled with re.IGNORECASE whose search, match and fullmatch take the fast
    route through lower-cased text where that gives the same result."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        bare = _ESCAPES_AND_GROUP_NAMES.sub("", pattern)
        if bare != bare.lower() or "(?-i" in bare or "(?i" in bare:
            raise ValueError(f"a caseless pattern must be in lower case: {pattern!r}")
        self.exact = re.compile(pattern, flags | re.IGNORECASE)
        self.lower = re.compile(pattern, flags & ~re.IGNORECASE)
        self.needs = required_substrings(self.lower)

    @property
    def pattern(self) -> str:
        return self.exact.pattern

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        lowered = _lowered(text)
        if lowered is None:
            return self.exact.search(text, pos, endpos)
        if not contains_any(lowered, self.needs):
            return None
        found = self.lower.search(lowered, pos, endpos)
        return None if found is None else self.exact.match(text, found.start(), endpos)

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self._anchored("match", text, pos, endpos)

    def fullmatch(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self._anchored("fullmatch", text, pos, endpos)

    def _anchored(self, how: str, text: str, pos: int, endpos: int) -> re.Match[str] | None:
        """`how` ("match" or "fullmatch") on the original text, when the cheap try in the
        lower-cased text did not already rule it out."""
        lowered = _lowered(text)
        if lowered is not None and not getattr(self.lower, how)(lowered, pos, endpos):
            return None
        found: re.Match[str] | None = getattr(self.exact, how)(text, pos, endpos)
        return found


# The parser asks many patterns about one sentence in a row: the last text lowered is kept,
# as one tuple, so that a thread reads a text and its lowered form together.
_last: tuple[str | None, str | None] = (None, None)


def _lowered(text: str) -> str | None:
    """`text` lower-cased, or None where lower-casing may not agree with re.IGNORECASE."""
    global _last
    last = _last
    if text is last[0]:
        return last[1]
    # (isascii() reads a flag of the string: most lines need no scan)
    safe = text.isascii() or not OUTSIDE_SAFE.search(text)
    lowered = text.lower() if safe else None
    _last = (text, lowered)
    return lowered


def contains_any(text: str, needs: tuple[str, ...] | None) -> bool:
    """Whether `text` contains one of `needs` (None: nothing is known to be needed)."""
    if needs is None:
        return True
    for needed in needs:  # noqa: SIM110 (a plain loop is faster than any() over a generator)
        if needed in text:
            return True
    return False


# A substring test costs about a nanosecond a character; a shorter need rules out too little.
_SHORTEST_NEED = 3
_REPEATS = (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT)


def required_substrings(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Strings of which every match of a case-sensitive `pattern` contains at least one, each
    at least _SHORTEST_NEED long; None where the pattern gives no such strings."""
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        needs = _needs(_parser.parse(pattern.pattern, pattern.flags).data)
    except Exception:  # a Python whose parser differs: no shortcut, the same matches
        return None
    if not needs or min(map(len, needs)) < _SHORTEST_NEED:
        return None
    return tuple(sorted(needs))


def _needs(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """For a sequence of parsed items: the best set of strings one of which every match holds
    (the set whose shortest string is longest), or None."""
    best: frozenset[str] | None = None

    def consider(candidate: frozenset[str] | None) -> None:
        nonlocal best
        if candidate and (best is None or _strength(candidate) > _strength(best)):
            best = candidate

    run: list[str] = []
    for op, av in items:
        if op is _constants.LITERAL:
            run.append(chr(av))
            continue
        consider(frozenset(["".join(run)]) if run else None)
        run = []
        consider(_item_needs(op, av))
    consider(frozenset(["".join(run)]) if run else None)
    return best


def _item_needs(op: Any, av: Any) -> frozenset[str] | None:
    if op is _constants.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return None if add_flags & re.IGNORECASE else _needs(sub)
    if op is _constants.ATOMIC_GROUP:
        return _needs(av)
    if op is _constants.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            needs = _needs(branch)
            if needs is None:
                return None  # an alternative that needs no string
            union |= needs
        return frozenset(union)
    if op in _REPEATS and av[0] >= 1:
        return _needs(av[2])
    return None  # classes, anchors, lookarounds: no string known


def _strength(needs: frozenset[str]) -> tuple[int, int]:
    return min(map(len, needs)), -len(needs)
