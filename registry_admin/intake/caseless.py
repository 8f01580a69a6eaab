"""Case-insensitive patterns searched in lower-cased text: the same matches, several times faster.

Python's re engine compares characters case-insensitively one by one, about seven times slower
than plain comparison, and the parser runs dozens of word lists over every message. For text
made only of Latin-1 and general punctuation (nearly all mail here), lower-casing keeps every
offset and compares as re.IGNORECASE does (tests/intake/test_caseless.py checks each character),
so a pattern written in lower case finds the same spans in the lower-cased text. The match is
then taken again from the original text at that offset, so that its groups keep their case.
Other text is searched with the case-insensitive pattern itself.
"""

from __future__ import annotations

import re
import sys

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

    @property
    def pattern(self) -> str:
        return self.exact.pattern

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        # (isascii() reads a flag of the string: most lines need no scan)
        if not text.isascii() and OUTSIDE_SAFE.search(text):
            return self.exact.search(text, pos, endpos)
        found = self.lower.search(text.lower(), pos, endpos)
        return None if found is None else self.exact.match(text, found.start(), endpos)

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self._anchored("match", text, pos, endpos)

    def fullmatch(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self._anchored("fullmatch", text, pos, endpos)

    def _anchored(self, how: str, text: str, pos: int, endpos: int) -> re.Match[str] | None:
        """`how` ("match" or "fullmatch") on the original text, when the cheap try in the
        lower-cased text did not already rule it out."""
        if (text.isascii() or not OUTSIDE_SAFE.search(text)) and not getattr(self.lower, how)(
            text.lower(), pos, endpos
        ):
            return None
        found: re.Match[str] | None = getattr(self.exact, how)(text, pos, endpos)
        return found
