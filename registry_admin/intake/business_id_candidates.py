"""The Business IDs written in a message, each with what its line and label say of it, for
extract to choose the applicant's."""

from __future__ import annotations

import re
from dataclasses import dataclass

from registry_admin import businessid
from registry_admin.intake.caseless import Caseless
from registry_admin.intake.document import Line
from registry_admin.intake.labels import LabelHit

BID = re.compile(
    r"(?<![\w+-])(?:FI\s?(?P<vat>\d{8}|\d{4}\s\d{4})|"
    # (the seven digits may be written in two groups: "2996 356-4")
    r"(?P<std>(?:\d{6,7}|\d{4}\s\d{3}|\d{3}\s\d{4})[\s\u200b\u2060]?[-‐‑‒–—−][\s\u200b\u2060]?\d)|"
    r"(?P<bare>\d{8}))(?![\w-]|[.,]\d)",
    re.I,
)
_DIGIT = re.compile(r"\d")
ID_WORDS = Caseless(
    r"y[-\s]?tunnu|fo[-\s]?n(?:umme)?r|business\s*id|company\s+id|alv|vat\b|moms|org\.?\s*nr"
)
OTHER_ORG = Caseless(
    r"ylläpitä|ylläpitäjä|omista|emoyhtiö|emo-|konserni|tausta|kattojärjestö|vuokranantaja|"
    r"yhteistyö\w*|kumppani|kuuluu|upprätthåll|ägs\s+av|äg(?:er|are)|moderbolag|koncern|"
    r"samarbet\w*|in\s+cooperation|together\s+with|"
    r"hyresvärd|huvudman|samarbetspartner|parent\b|owned|owner|landlord|maintained\s+by|"
    r"operated\s+by|run\s+by|partner|umbrella|lokal|"
    # the organization that takes the work over
    r"fortsätter\s+i|tar\s+över|övertar|jatkuu|jatkaa\s+\w+|siirtyy|continues\s+(?:at|in|with)|"
    r"takes?\s+over|taking\s+over|successor"
)
_EXAMPLE = Caseless(
    r"muodossa|esim\.?|esimerkiksi|formatet|format|t\.ex|exempel|e\.g\.|example|for instance"
)
_APPLICANT_MARK = re.compile(r"^\s*\(?\s*(?:hakija|sökande|applicant)\b", re.I)
# Kela's own instructions show this number as the model of the format.
_KELA_EXAMPLE = "1234567-8"


@dataclass
class _Candidate:
    check: businessid.CheckedBusinessId
    line: Line
    start: int
    end: int
    score: float
    label: str | None
    written: str | None = None  # as written, where it is not the line's text from start to end


_SENTENCE_BREAK = re.compile(r"[.;!?]\s")
_HYPHENS = ("-", "‐", "‑", "‒", "–", "—", "−")
# Left inside a number by copying from a web page or a document: zero-width space, word joiner.
_INVISIBLE = re.compile("[\u200b\u2060]")
_SPLIT_BID = re.compile(r"(?<![\w+-])(\d{7})\s?[-‐‑‒–—−]$")
_LEADING_DIGIT = re.compile(r"^\s*(\d)(?![\w-])")


def business_id_candidates(
    lines: list[Line], labels: dict[int, tuple[LabelHit, int]]
) -> list[_Candidate]:
    """Every Business ID-shaped number with a score for being the applicant's own."""
    found: list[_Candidate] = []
    for position, line in enumerate(lines):
        text = line.text
        if not text or not _DIGIT.search(text):
            continue  # (a candidate is made of \\d digits)
        hit, value_start = labels.get(position, (None, 0))
        for match in BID.finditer(text):
            before = text[max(0, match.start() - 70) : match.start()]
            sentence_before = _SENTENCE_BREAK.split(before)[-1]
            score = 0.0
            label = None
            if match.group("bare") and not (
                ID_WORDS.search(sentence_before) or (hit and hit.field.endswith("business_id"))
            ):
                continue
            if hit and match.start() >= value_start - 1:
                label = hit.label
                if hit.field == "business_id":
                    score += 10
                elif hit.field == "other_business_id":
                    score -= 20
                elif hit.field == "vat_id":
                    score += 4
            elif ID_WORDS.search(sentence_before):
                score += 3
            if match.group("vat"):
                score -= 0.5
            if OTHER_ORG.search(sentence_before):
                score -= 12
            if _EXAMPLE.search(sentence_before):
                score -= 30
            if _APPLICANT_MARK.match(text[match.end() :]):
                score += 5
            if line.signature:
                score -= 1
            check = businessid.check(_INVISIBLE.sub("", match.group(0)))
            if check.normalized == _KELA_EXAMPLE:
                score -= 30
            found.append(_Candidate(check, line, match.start(), match.end(), score, label))
        split = _SPLIT_BID.search(text) if text.endswith(_HYPHENS) else None
        following = lines[position + 1].text if position + 1 < len(lines) else ""
        if split and (last := _LEADING_DIGIT.match(following)):
            # "Y-tunnus 3335295-" and "0" on the next line: a hard-wrapped ID.
            written = f"{split.group(1)}-{last.group(1)}"
            check = businessid.check(written)
            before = text[max(0, split.start() - 70) : split.start()]
            score = 3.0 if ID_WORDS.search(before) or hit else 0.0
            found.append(
                _Candidate(check, line, split.start(), len(text), score, None, written=written)
            )
    counts: dict[str, int] = {}
    for candidate in found:
        counts[candidate.check.normalized] = counts.get(candidate.check.normalized, 0) + 1
    for candidate in found:
        candidate.score += 0.5 * (counts[candidate.check.normalized] - 1)
    return found
