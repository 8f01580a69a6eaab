"""Business ID (Y-tunnus, FO-nummer) normalising and validation on top of python-stdnum."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import ClassVar

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.fi import ytunnus

# Dashes people and word processors put where a hyphen belongs.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_DASH_TABLE = str.maketrans(dict.fromkeys(_DASHES, "-"))
_SPACES = re.compile(r"[\s\u00a0\u202f\u2007]+")


class InvalidBusinessId(ValueError):
    """A text that is not a valid Business ID; `reason` is one of the REASONS keys."""

    REASONS: ClassVar[dict[str, str]] = {
        "format": "not of the form NNNNNNN-N",
        "length": "wrong number of digits",
        "checksum": "the check digit does not match",
    }

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{text!r}: {self.REASONS[reason]}")
        self.text = text
        self.reason = reason

    @property
    def detail(self) -> str:
        return self.REASONS[self.reason]


@dataclass(frozen=True)
class CheckedBusinessId:
    """A Business ID as written, normalised as far as possible, and its verdict."""

    as_written: str
    normalized: str
    valid: bool
    reason: str | None = None


def _clean(text: str) -> str:
    """Fold dashes, drop white space and an `FI` VAT prefix; keep everything else.

    NFKC first, so full-width digits become ASCII ones; other scripts' digits stay as they are
    and fail the format check (`\\d` alone would take them for digits).
    """
    folded = unicodedata.normalize("NFKC", text).translate(_DASH_TABLE)
    cleaned = _SPACES.sub("", folded).upper()
    if cleaned.startswith("FI"):
        cleaned = cleaned[2:]
    return cleaned


def check(text: str) -> CheckedBusinessId:
    """Normalise `text` to NNNNNNN-N where its digits allow and say whether it is valid.

    An old six-digit ID (NNNNNN-N) gets its leading zero back, as the business register did.
    """
    cleaned = _clean(text)
    if not re.fullmatch(r"[0-9]{6,7}-?[0-9]", cleaned):
        digits = re.sub(r"[^0-9]", "", cleaned)
        reason = "length" if digits and re.fullmatch(r"[0-9-]+", cleaned) else "format"
        return CheckedBusinessId(text, cleaned, False, reason)
    digits = cleaned.replace("-", "")
    if len(digits) == 7:
        digits = "0" + digits
    normalized = f"{digits[:7]}-{digits[7]}"
    try:
        ytunnus.validate(digits)
    except InvalidChecksum:
        return CheckedBusinessId(text, normalized, False, "checksum")
    except InvalidLength:
        return CheckedBusinessId(text, normalized, False, "length")
    except (InvalidFormat, InvalidComponent):
        return CheckedBusinessId(text, normalized, False, "format")
    return CheckedBusinessId(text, normalized, True)


def normalize(text: str) -> str:
    """Return the canonical NNNNNNN-N form of a valid Business ID or raise InvalidBusinessId.

    Accepts every form `stdnum.fi.ytunnus` accepts (`0201256-6`, `02012566`, `FI02012566`,
    `0201256 - 6`) and typographic dashes. Strict: an old six-digit form is not accepted here,
    only by `check`, which the mail parser uses.
    """
    if not isinstance(text, str) or len(text) > 64:
        raise InvalidBusinessId(str(text)[:64], "format")
    # The lookup API's hot path: an ID already in canonical form needs only its check digit.
    if (
        len(text) == 9
        and text[7] == "-"
        and text.isascii()
        and (digits := text[:7] + text[8]).isdigit()
    ):
        if _check_digit(digits[:7]) == digits[7]:
            return text
        raise InvalidBusinessId(text, "checksum")
    cleaned = _clean(text)
    if not re.fullmatch(r"[0-9]{7}-?[0-9]", cleaned):
        digits = re.sub(r"[^0-9]", "", cleaned)
        reason = "length" if digits and re.fullmatch(r"[0-9-]+", cleaned) else "format"
        raise InvalidBusinessId(text, reason)
    result = check(text)
    if not result.valid:
        raise InvalidBusinessId(text, result.reason or "format")
    return result.normalized


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)
# By the weighted sum's remainder modulo 11: the check digit, or None (remainder 1 is never valid).
_CHECK_DIGITS = ("0", None, *(str(11 - r) for r in range(2, 11)))
_ZERO_OFFSET = sum(_WEIGHTS) * ord("0")


def _check_digit(first_seven: str) -> str | None:
    """The Y-tunnus check digit of seven ASCII digits; None where no digit can be valid."""
    if len(first_seven) != 7:
        raise ValueError("seven digits expected")
    # On the code points directly: this runs on every lookup.
    b = first_seven.encode("ascii")
    weighted = 7 * b[0] + 9 * b[1] + 10 * b[2] + 5 * b[3] + 8 * b[4] + 4 * b[5] + 2 * b[6]
    return _CHECK_DIGITS[(weighted - _ZERO_OFFSET) % 11]


def is_valid(text: str) -> bool:
    """True when `text` is a valid Business ID in any accepted form."""
    try:
        normalize(text)
    except InvalidBusinessId:
        return False
    return True
