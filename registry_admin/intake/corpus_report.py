"""Score the parser against a ground-truth corpus (NNN.eml + NNN.json) and report per field."""

from __future__ import annotations

import difflib
import json
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry_admin.intake.parse import (
    IntakeError,
    ParsedMessage,
    parse_message,
    thread_followups,
)

DEFAULT_DIR = Path("tests/fixtures/corpus")
DATA_KINDS = ("request", "followup", "removal")
FIELDS = (
    "kind",
    "is_request",
    "language",
    "business_id",
    "business_id_valid",
    "organization_name",
    "justification",
    "contact_name",
    "contact_email",
    "contact_phone",
    "missing",
)
# Targets: share of messages scored right, per field.
TARGETS = {name: (0.98 if name in ("kind", "business_id") else 0.95) for name in FIELDS}
_OUTER_PUNCT = " \t\n.,;:!?\"'()[]{}<>-–—*•"


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split()).casefold().strip(_OUTER_PUNCT)


def _similar(got: str | None, want: str | None, ratio: float) -> bool:
    if got is None or want is None:
        return got is None and want is None
    a, b = _normal(got), _normal(want)
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= ratio


def _phone_digits(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if text.startswith("+358"):
        text = "0" + text[4:]
    return re.sub(r"\D", "", text)


def field_matches(name: str, got: Any, want: Any) -> bool:
    """One field compared as the corpus README prescribes."""
    if name in ("organization_name", "contact_name"):
        return _similar(got, want, 0.95)
    if name == "justification":
        return _similar(got, want, 0.85)
    if name == "contact_email":
        return (got or "").casefold() == (want or "").casefold() and (got is None) == (want is None)
    if name == "contact_phone":
        return _phone_digits(got) == _phone_digits(want)
    if name == "missing":
        return set(got or ()) == set(want or ())
    return bool(got == want)


@dataclass
class Score:
    """Counts per field, mismatches and invalid Business IDs reported valid."""

    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    mismatches: list[tuple[str, str, Any, Any]] = field(default_factory=list)
    invalid_reported_valid: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    def share(self, name: str) -> float:
        return self.right[name] / self.total[name] if self.total[name] else 1.0

    def below_target(self) -> list[str]:
        return [name for name in FIELDS if self.share(name) < TARGETS[name]]

    @property
    def passed(self) -> bool:
        return not self.below_target() and self.invalid_reported_valid == 0 and not self.errors


def score(files: Sequence[Path]) -> Score:
    """Parse `files` (threaded as the intake would) and score them against their .json files."""
    result = Score()
    parsed: list[ParsedMessage] = []
    kept: list[Path] = []
    for path in files:
        try:
            parsed.append(parse_message(path.read_bytes()))
            kept.append(path)
        except IntakeError as exc:
            result.errors.append((path.name, type(exc).__name__))
    for path, message in zip(kept, thread_followups(parsed), strict=True):
        truth = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        got = message.to_json_dict()
        names = FIELDS if truth["kind"] in DATA_KINDS else ("kind", "is_request")
        for name in names:
            result.total[name] += 1
            if field_matches(name, got[name], truth.get(name)):
                result.right[name] += 1
            else:
                result.mismatches.append((path.name, name, got[name], truth.get(name)))
        if got["business_id_valid"] is True and truth.get("business_id_valid") is False:
            result.invalid_reported_valid += 1
    return result


def corpus_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.eml") if p.with_suffix(".json").exists())


def report(result: Score) -> str:
    lines = []
    for name in FIELDS:
        mark = "" if result.share(name) >= TARGETS[name] else "  BELOW TARGET"
        lines.append(
            f"{name:24} {100 * result.share(name):6.1f} %  "
            f"({result.right[name]}/{result.total[name]}){mark}"
        )
    lines.append(f"invalid Business IDs reported valid: {result.invalid_reported_valid}")
    for file, error in result.errors:
        lines.append(f"ERROR {file}: {error}")
    if result.mismatches:
        lines.append("mismatches:")
        for file, name, got, want in result.mismatches:
            lines.append(f"  {file} {name}: got {got!r}, want {want!r}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    directory = Path(args[0]) if args else DEFAULT_DIR
    files = corpus_files(directory)
    if not files:
        print(f"no .eml with .json in {directory}", file=sys.stderr)
        return 1
    result = score(files)
    print(report(result))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
