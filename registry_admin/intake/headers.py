"""The top-level header fields of a raw message, read as `email` reads them, without the body.

`HeaderBlock(raw).get(name)` gives what `BytesHeaderParser(policy=compat32).parsebytes(raw)
.get(name)` gives, for every input: the same line splitting (CR, LF or CRLF), the same end of the
header block (the first line that is neither a field, a continuation nor a leading "From "), the
same unfolding and the same value for 8-bit bytes. It reads only the header block, so the
ingest pays for a message's headers, not for its size. tests/intake/test_headers.py holds it to
the email package on the corpus and on generated input.
"""

from __future__ import annotations

import re
from email.policy import compat32
from typing import Any

# As in email.feedparser.
_HEADER_LINE = re.compile(r"^(From |[\041-\071\073-\176]*:|[\t ])")
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
# The longest run of lines at the start that each match _HEADER_LINE.
_HEADER_RUN = re.compile(r"(?:(?:From |[\041-\071\073-\176]*:|[\t ])[^\r\n]*(?:\r\n|\r|\n|\Z))*")
# The first empty line: a line end followed by another (a CR before LF belongs to its CRLF).
_EMPTY_LINE = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")
_STARTS_EMPTY = re.compile(rb"\r\n|\r|\n")


def _header_bytes(raw: bytes) -> bytes:
    """The bytes up to and including the first empty line: the header block lies inside."""
    if _STARTS_EMPTY.match(raw):
        return b""
    found = _EMPTY_LINE.search(raw)
    return raw if found is None else raw[: found.end()]


def header_fields(raw: bytes, names: frozenset[str] | None = None) -> list[tuple[str, str]]:
    """The (name, value) pairs `email` would store for the message's top-level headers; with
    `names` (lower case), only the fields of those names."""
    text = _header_bytes(raw).decode("ascii", "surrogateescape")
    end = _HEADER_RUN.match(text).end()
    if names is not None and not _BARE_CR.search(text, 0, end):
        # Every line ends in LF or CRLF, so the fields wanted can be found by one search.
        return _named_fields(text[:end], names)
    lines = _LINES.findall(text, 0, end)
    fields: list[tuple[str, str]] = []
    last: list[str] = []
    count = len(lines)
    for number in range(count):
        line = lines[number]
        if line[0] in " \t":
            if last:
                last.append(line)
            continue
        if last:
            fields.append(compat32.header_source_parse(last))
            last = []
        if line.startswith("From "):
            if number == count - 1 and number != 0:
                break  # the first line of the body, as `email` reads it
            continue  # the Unix "From " line, or a misplaced one: not a field
        colon = line.find(":")
        if colon == 0:
            continue  # no field name
        if names is None or line[:colon].lower() in names:
            last = [line]
    if last:
        fields.append(compat32.header_source_parse(last))
    return fields


_BARE_CR = re.compile(r"\r(?!\n)")
_LF_LINES = re.compile(r"[^\n]*\n|[^\n]+")
_NAMED: dict[frozenset[str], re.Pattern[str]] = {}


def _named_fields(region: str, names: frozenset[str]) -> list[tuple[str, str]]:
    """header_fields(region, names) for a header block whose lines all end in LF or CRLF: each
    field of those names with its continuation lines, in order."""
    pattern = _NAMED.get(names)
    if pattern is None:
        alternatives = "|".join(re.escape(name) for name in sorted(names))
        pattern = _NAMED[names] = re.compile(
            rf"^(?:{alternatives}):[^\n]*(?:\n|\Z)(?:[ \t][^\n]*(?:\n|\Z))*", re.I | re.M
        )
    fields: list[tuple[str, str]] = []
    for found in pattern.finditer(region):
        fields.append(compat32.header_source_parse(_LF_LINES.findall(found.group(0))))
    return fields


class HeaderBlock:
    """The top-level header fields of a message, looked up as `email.message.Message` does;
    with `names`, only those fields are kept."""

    __slots__ = ("_first", "_names")

    def __init__(self, raw: bytes, names: frozenset[str] | None = None) -> None:
        first: dict[str, tuple[str, str]] = {}
        for name, value in header_fields(raw, names):
            first.setdefault(name.lower(), (name, value))
        self._first = first
        self._names = names

    def get(self, name: str, failobj: Any = None) -> Any:
        key = name.lower()
        if self._names is not None and key not in self._names:
            raise KeyError(f"{name} was not read")
        found = self._first.get(key)
        if found is None:
            return failobj
        return compat32.header_fetch_parse(*found)


def header_text(headers: HeaderBlock, name: str) -> str | None:
    """The decoded text of a field (RFC 2047 words, folding); None when absent or unreadable."""
    from registry_admin.intake.mime import decode_header_value

    try:
        value = headers.get(name)
        return None if value is None else decode_header_value(value)
    except Exception:
        return None
