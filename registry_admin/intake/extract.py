"""Find the five registration items, with evidence, in the decoded text of one message."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from registry_admin import businessid
from registry_admin.intake.caseless import Caseless
from registry_admin.intake.labels import BULLET, LabelHit, match_label
from registry_admin.intake.mime import TextPart
from registry_admin.intake.patterns import EMAIL, ORG_SUFFIX, PHONE
from registry_admin.intake.results import BusinessIdItem, Evidence, Extraction, Item
from registry_admin.intake.values import (
    ABSENT,
    NAME_STOP,
    NAME_TOKEN,
    TITLE,
    clean_value,
    collapse,
    cut_name,
    is_person_name,
)

# ---------------------------------------------------------------------------------------------
# The document: text parts split into lines and zones

OWN, FORWARD, REPLY, KELA, HEADER = "own", "forward", "reply", "kela", "header"


@dataclass
class Line:
    """One line of a text part, with quote marks removed and its zone."""

    text: str
    part: int
    start: int  # offset of `text` in the part's text
    segment: int
    zone: str = OWN
    quoted: bool = False
    signature: bool = False
    closing: bool = False
    # One of several fields written on one line, separated by semicolons (see _fields_of).
    field_of_line: bool = False
    # For an answer written right below a quoted question ("> 1. Y-tunnus"), that question.
    answers: Line | None = None


@dataclass
class Segment:
    """A run of lines with one author: the new text, a forwarded or a quoted message."""

    index: int
    zone: str
    author: str = ""
    lines: list[Line] = field(default_factory=list)


@dataclass
class Document:
    """All text parts of a message as zoned lines."""

    parts: Sequence[TextPart]
    lines: list[Line]
    segments: list[Segment]
    sender: str = ""  # the From address, for "contact me at this address"
    # match_label of each line text read so far: the extractor and the language both ask.
    # read_document fills in the lines of forms written without colons (see _form_labels).
    _labels: dict[str, LabelHit | None] = field(default_factory=dict, repr=False)

    def content(self, zones: Iterable[str] = (OWN, FORWARD)) -> list[Line]:
        wanted = set(zones)
        return [line for line in self.lines if line.zone in wanted]

    def label(self, text: str) -> LabelHit | None:
        """match_label(text), read once per message."""
        try:
            return self._labels[text]
        except KeyError:
            hit = self._labels[text] = match_label(text)
            return hit


_QUOTE_MARK = re.compile(r"^((?:[ \t]*>)+)[ \t]?")
_FORWARD_SUBJECT = re.compile(r"^\s*(?:\[[^\]]*\]\s*)*(?:fwd?|vl|vb|wg|tr|fw)\s*:", re.I)
_FORWARD_PHRASES = (
    r"forwarded message|begin forwarded message|välitetty viesti|"
    r"edelleenlähetetty viesti|vidarebefordrat meddelande|weitergeleitete nachricht|"
    r"vidarebefordrat brev|välitetty viesti alkaa|"
    r"original message|alkuperäinen viesti|ursprungligt meddelande|"
    r"message d'origine|oorspronkelijk bericht"
)
_FORWARD_MARKER = re.compile(r"^[\s\-_=*]*(?:" + _FORWARD_PHRASES + r")[\s\-_=*:]*$", re.I)
_FORWARD_WORDS = re.compile(
    r"\b(?:välitän|välitämme|lähetän eteenpäin|forwarding|i am forwarding|we are forwarding|"
    r"vidarebefordrar|skickar vidare)\b",
    re.I,
)
_HEADER_FIELD = re.compile(
    r"^\*?(from|från|lähettäjä|von|de|van|fra|sent|skickat|lähetetty|date|datum|päivämäärä|"
    r"päiväys|gesendet|envoyé|to|till|vastaanottaja|an|à|cc|kopio|kopia|subject|ämne|aihe|"
    r"betreff|objet|onderwerp|emne|reply-to)\*?\s*:\s*(.*)$",
    re.I,
)
_FROM_FIELD = re.compile(r"^\*?(?:from|från|lähettäjä|von|de|van|fra)\*?\s*:", re.I)
_ATTRIBUTION = re.compile(
    r"(?:\b(?:wrote|kirjoitti|skrev|schrieb|a écrit|escribió|heeft geschreven)\s*:?\s*$)|"
    # "X kirjoitti 2025-06-27 11:20:", "X skrev 27.6.2025 kl. 11.20:": the date after the verb
    r"(?:\b(?:wrote|kirjoitti|skrev|schrieb)(?:\s+(?:klo\.?|kl\.?|at)?\s*[\d.:\-/]+){1,3}\s*:\s*$)|"
    r"(?:^(?:on|am|le|den|op)\b.{5,200}(?:wrote|skrev|schrieb|écrit)\b)",
    re.I,
)
# Searched once in a whole part: a line can match a pattern above only if the part has a match
# of the pattern here (the word lists alone, or the whole pattern where no anchor ties it to a
# line). Most parts forward and quote nothing, and their lines need not be searched.
_PART_FORWARD_WORDS = Caseless(_FORWARD_WORDS.pattern)
_PART_FORWARD_PHRASES = Caseless(_FORWARD_PHRASES)
_PART_ATTRIBUTION_VERBS = Caseless(r"wrote|kirjoitti|skrev|schrieb|écrit|escribió|geschreven")
_SEPARATOR = re.compile(r"^\s*(?:_{5,}|-{5,}|={5,})\s*$")
# Bounded, and preceded by a cheap "@" test, so that long runs of letters cost linear time.
_KELA_AUTHOR = Caseless(
    r"@kela\.fi\b|\bkela\b|\bfpa\b|tekninen tuki|tekniska stöd|technical support"
)

_CLOSING = re.compile(
    r"^(?:(?:ystävällisin|parhain|lämpimin|hyvää päivän jatkoa,?)?\s*terveisin|t\.|"
    r"ystävällisesti|kiittäen|kiitos(?:\s+(?:jo\s+)?(?:etukäteen|paljon|avusta|kaikesta))?|"
    r"(?:with\s+)?(?:best|kind|warm)(?:est)?\s+(?:regards|wishes)|regards|best|br|"
    r"thanks?(?:\s+you)?(?:\s+in advance)?|many thanks|cheers|sincerely|yours sincerely|"
    r"med vänlig(?:a)? hälsning(?:ar)?|vänliga hälsningar|hälsningar|mvh|vh|"
    r"tack(?:\s+på\s+förhand|\s+så\s+mycket)?)[\s,.!]*$",
    re.I,
)


_CLOSING_SPLIT = re.compile(r"\s/\s|\s*/\s*(?=[A-ZÅÄÖ])")
# A short closing with the writer's name on the same line: "terv. Heli Räty", "Mvh Anna Berg".
_SIGN_OFFS = (
    "terveisin", "terv.", "terv", "t.", "mvh", "vh", "hälsningar", "br", "regards", "thanks",
    "kiitos", "tack",
)  # fmt: skip
_CLOSING_NAMED = re.compile(
    r"^\s*(?:" + "|".join(map(re.escape, _SIGN_OFFS)) + r")[,\s]+(?=\S)", re.I
)


# The first letters of those words: most lines start with none of them.
_CLOSING_NAMED_FIRST = frozenset(w[0] for w in _SIGN_OFFS) | {w[0].upper() for w in _SIGN_OFFS}


def _signed_closing(text: str) -> str | None:
    """The name of a closing line that carries one ("terv. Heli Räty" gives "Heli Räty")."""
    found = _CLOSING_NAMED.match(text) if len(text) < 60 else None
    if found is None:
        return None
    name = collapse(text[found.end() :]).strip(" ,.")
    return name if is_person_name(name) else None


def _is_closing(text: str) -> bool:
    if len(text) >= 60:
        return False
    if text.lstrip()[:1] in _CLOSING_NAMED_FIRST and _signed_closing(text):
        return True
    text = text.strip()
    if "/" not in text:  # (one piece: both ways of splitting need a slash)
        return bool(text) and bool(_CLOSING.match(text))
    pieces = [p.strip() for p in _CLOSING_SPLIT.split(text) if p.strip()]
    return bool(pieces) and all(_CLOSING.match(p) for p in pieces)


def read_document(parts: Sequence[TextPart], subject: str = "", sender: str = "") -> Document:
    """Split the text parts into lines, zones (new text, forwarded, quoted) and signatures."""
    forwarded_mail = bool(_FORWARD_SUBJECT.match(subject or ""))
    lines: list[Line] = []
    segments: list[Segment] = []
    for index, part in enumerate(parts):
        zone = FORWARD if part.attached_message else OWN
        segment = Segment(len(segments), zone)
        segments.append(segment)
        offset = 0
        raw_lines = part.text.split("\n")
        i = 0
        forward_context = forwarded_mail
        quote_zone: str | None = None
        quoted_header = 0  # lines left of the header block of a quoted message
        # The writer's segment that a quote interrupted, whether the writer's text goes on
        # below it, and the line above (a quoted question that the line may answer).
        resume: Segment | None = None
        last_quote: Segment | None = None
        after_quote = False
        previous: Line | None = None
        may_forward = _PART_FORWARD_WORDS.search(part.text) is not None
        may_mark = _PART_FORWARD_PHRASES.search(part.text) is not None
        may_attribute = _PART_ATTRIBUTION_VERBS.search(part.text) is not None
        while i < len(raw_lines):
            raw = raw_lines[i]
            start = offset
            offset += len(raw) + 1
            i += 1
            mark = _QUOTE_MARK.match(raw) if ">" in raw else None
            text = raw[mark.end() :] if mark else raw
            start += mark.end() if mark else 0
            text = text.rstrip()
            if "*" in text or "_" in text:
                text = _without_emphasis(text)
            if mark:
                if quote_zone is None and segment is resume and last_quote is not None:
                    # The quoted message goes on below the writer's answer.
                    segment, quote_zone = last_quote, last_quote.zone
                elif quote_zone is None:
                    quote_zone, author = REPLY, segment.author
                    resume = segment if segment.zone == OWN else resume
                    if (
                        _FROM_FIELD.match(text.strip())
                        and (quoted_header := _header_block_len(raw_lines, i - 1)) >= 2
                    ):
                        # A quoted message with its header block first: Kela's own, or in a
                        # forward the forwarded message, quoted whole.
                        author = text.strip()
                        if _KELA_AUTHOR.search(author):
                            quote_zone = KELA
                        elif forward_context:
                            quote_zone = FORWARD
                    if segment.zone != quote_zone or quote_zone != REPLY:
                        segment = Segment(len(segments), quote_zone, author)
                        segments.append(segment)
                    last_quote = segment
                line = Line(text, index, start, segment.index, segment.zone, quoted=True)
                if quoted_header > 0:
                    line.zone = HEADER
                    quoted_header -= 1
            else:
                after_quote = after_quote or quote_zone is not None
                quote_zone = None
                if after_quote and text.strip():
                    # The writer's own text again, below a quote or between quoted questions.
                    after_quote = False
                    if resume is not None and segment.zone != OWN:
                        segment = resume
                    answers = previous if previous and previous.quoted and previous.text else None
                else:
                    answers = None
                line = Line(text, index, start, segment.index, segment.zone)
                line.answers = answers
                if may_forward and segment.zone == OWN and _FORWARD_WORDS.search(text):
                    forward_context = True
                if may_mark and _FORWARD_MARKER.match(text):
                    forward_context = forward_context or "original" not in text.lower()
                    line.zone = HEADER
                elif _SEPARATOR.match(text) and _next_is_header(raw_lines, i):
                    line.zone = HEADER
                elif (
                    ":" in text
                    and _FROM_FIELD.match(text.strip())
                    and _header_block_len(raw_lines, i - 1) >= 2
                ):
                    # An inline header block starts a forwarded or quoted message.
                    length = _header_block_len(raw_lines, i - 1)
                    block = raw_lines[i - 1 : i - 1 + length]
                    author = " ".join(block[:1])
                    zone = FORWARD if forward_context else REPLY
                    if _KELA_AUTHOR.search(author):
                        zone = KELA
                    segment = Segment(len(segments), zone, author)
                    segments.append(segment)
                    line = Line(text, index, start, segment.index, HEADER)
                    lines.append(line)
                    segment.lines.append(line)
                    for extra in block[1:]:
                        line = Line(extra.rstrip(), index, offset, segment.index, HEADER)
                        offset += len(extra) + 1
                        lines.append(line)
                        segment.lines.append(line)
                    i += length - 1
                    continue
                elif may_attribute and _ATTRIBUTION.search(text) and len(text) < 300:
                    # "On ... X wrote:" opens a quoted message; Kela's own text is never data.
                    zone = KELA if _KELA_AUTHOR.search(text) else REPLY
                    resume = segment if segment.zone == OWN else resume
                    segment = Segment(len(segments), zone, text)
                    segments.append(segment)
                    quote_zone = zone
                    line = Line(text, index, start, segment.index, HEADER)
            if line.quoted and segment.zone != line.zone and line.zone != HEADER:
                line.zone = segment.zone
            pieces = _fields_of(line) if ";" in text or " | " in text else [line]
            if "\t" in text and previous is not None:
                pieces = _row_under_headings(line, previous) or pieces
            for piece in pieces:
                lines.append(piece)
                segment.lines.append(piece)
            previous = line
    for segment in segments:
        _mark_signature(segment)
    return Document(parts, lines, segments, sender, _labels=_form_labels(lines))


# Markdown emphasis at the start of a line, "**Y-tunnus:** 1234567-8" or "__Nimi__: X".
_LEADING_EMPHASIS = re.compile(r"^(\s*(?:[-•]\s+)?)(\*\*?|__?)(?=[^\s*_])([^*_\n]{1,80}?)(?<=\S)\2")


def _without_emphasis(text: str) -> str:
    """The line with the marks of a leading emphasis blanked: the same length, so that each
    offset still points into the part's text."""
    if not text.lstrip(" -•").startswith(("*", "_")):
        return text
    found = _LEADING_EMPHASIS.match(text)
    if found is None:
        return text
    blank = " " * len(found.group(2))
    return text[: found.start(2)] + blank + found.group(3) + blank + text[found.end() :]


# Beyond this many pieces a line is no form of the five items (and costs too much to try).
_MOST_FIELDS_ON_A_LINE = 30
_ANY_ITEM_VALUE = re.compile(r"@|\b\d{6,7}\s?[-‐‑‒–—−]?\s?\d\b|\d{2,4}[\s-]?\d{3}[\s-]?\d{2,4}")


def _fields_of(line: Line) -> list[Line]:
    """`line`, or, for the items of a form written on one line and separated by semicolons or
    bars ("Y-tunnus 1234567-8; perustelu: ...; yhteyshenkilö Maija Mäki; maija@example.org"),
    one line per item: when two or more pieces start with a label and one holds a Business ID,
    an email address or a phone number. A separator inside one value splits nothing."""
    if line.zone == HEADER:
        return [line]
    bounds = [found.span() for found in _FIELD_SEPARATOR.finditer(line.text)]
    if not 2 <= len(bounds) <= _MOST_FIELDS_ON_A_LINE:
        return [line]
    pieces: list[tuple[int, str]] = []
    start = 0
    for end, after in [*bounds, (len(line.text), len(line.text))]:
        raw = line.text[start:end]
        if raw.strip():
            pieces.append((start + len(raw) - len(raw.lstrip()), raw.strip()))
        start = after
    labelled = sum(1 for _at, text in pieces if match_label(text, loose=True) is not None)
    if labelled < 2 or not any(_ANY_ITEM_VALUE.search(text) for _at, text in pieces):
        return [line]
    return [
        replace(line, text=text, start=line.start + at, field_of_line=True) for at, text in pieces
    ]


_FIELD_SEPARATOR = re.compile(r";|\s\|\s")


def _row_under_headings(line: Line, above: Line) -> list[Line] | None:
    """The cells of a row pasted from a spreadsheet, each answering the label of its column in
    the row above ("Y-tunnus<TAB>Organisaatio<TAB>..." over "1234567-8<TAB>X ry<TAB>..."); None
    unless every heading is a label and the rows have as many cells."""
    cells = line.text.split("\t", _MOST_FIELDS_ON_A_LINE + 1)
    headings = above.text.split("\t", _MOST_FIELDS_ON_A_LINE + 1)
    if not 3 <= len(cells) <= _MOST_FIELDS_ON_A_LINE or len(cells) != len(headings):
        return None
    if above.quoted != line.quoted:
        return None
    asked = [match_label(heading.strip()) for heading in headings]
    if any(hit is None or hit.field not in _ANSWERABLE for hit in asked):
        return None
    rows: list[Line] = []
    offset = 0
    for heading, cell in zip(headings, cells, strict=True):
        lead = len(cell) - len(cell.lstrip())
        if cell.strip():
            question = replace(above, text=heading.strip())
            rows.append(
                replace(line, text=cell.strip(), start=line.start + offset + lead, answers=question)
            )
        offset += len(cell) + 1
    return rows


# A run of lines reads as a form without colons when this many of them start with a label,
# one of them a label that needs no colon anyway (a Business ID, an email, a phone number).
_FORM_LABELS = 3


def _form_labels(lines: list[Line]) -> dict[str, LabelHit | None]:
    """match_label of the lines read while looking for forms written without colons: a run of
    non-blank lines of one segment in which several lines start with a label. A form's
    labelled lines get their loose reading; a line with none has no label either way."""
    labels: dict[str, LabelHit | None] = {}
    forms: dict[str, LabelHit] = {}
    for line in lines:
        if line.field_of_line and (hit := match_label(line.text, loose=True)) is not None:
            forms[line.text] = hit  # each item of a one-line form is read as a form's line
    run: list[Line] = []
    for line in [*lines, None]:
        if line is not None and line.text.strip() and (not run or run[-1].segment == line.segment):
            run.append(line)
            continue
        if len(run) >= _FORM_LABELS:
            loose = {ln.text: match_label(ln.text, loose=True) for ln in run}
            hits = {text: hit for text, hit in loose.items() if hit is not None}
            labels.update((text, None) for text in loose.keys() - hits.keys())
            if len(hits) >= _FORM_LABELS and any(match_label(text) for text in hits):
                forms.update(hits)
        run = [line] if line is not None and line.text.strip() else []
    return labels | forms


def _header_block_len(raw_lines: list[str], start: int) -> int:
    """Number of consecutive header-field lines (From:, Sent:, To:, Subject:) at `start`."""
    count = 0
    j = start
    while j < len(raw_lines) and count < 12:
        text = _QUOTE_MARK.sub("", raw_lines[j]).strip()
        if _HEADER_FIELD.match(text):
            count += 1
            j += 1
        elif (
            count
            and text
            and not _HEADER_FIELD.match(text)
            and j + 1 < len(raw_lines)
            and (_HEADER_FIELD.match(_QUOTE_MARK.sub("", raw_lines[j + 1]).strip()))
        ):
            j += 1  # a wrapped header value
        else:
            break
    return (j - start) if count >= 2 else 0


def _next_is_header(raw_lines: list[str], index: int) -> bool:
    for j in range(index, min(index + 3, len(raw_lines))):
        text = raw_lines[j].strip()
        if text:
            return bool(_FROM_FIELD.match(text))
    return False


def _mark_signature(segment: Segment) -> None:
    """Lines after the last closing phrase ("Terveisin", "Best regards") are the signature."""
    body = [line for line in segment.lines if line.zone != HEADER]
    last = None
    for position, line in enumerate(body):
        if _is_closing(line.text):
            line.closing = True
            last = position
            # (the name on a signed closing line is the signature's first line)
            line.signature = _signed_closing(line.text) is not None
    if last is None:
        # No closing phrase: a last paragraph that opens with a person's name is a signature.
        filled = [position for position, line in enumerate(body) if line.text.strip()]
        if not filled:
            return
        end = filled[-1]
        start = end
        while start > 0 and body[start - 1].text.strip():
            start -= 1
        if start == 0 or end - start >= 10 or not is_person_name(collapse(body[start].text)):
            return
        last = start - 1
    tail = body[last + 1 :]
    if sum(1 for line in tail if line.text.strip()) > 15:
        return
    for line in tail:
        line.signature = True


# ---------------------------------------------------------------------------------------------
# Business ID candidates

_BID = re.compile(
    r"(?<![\w+-])(?:FI\s?(?P<vat>\d{8})|(?P<std>\d{6,7}[\s\u200b\u2060]?[-‐‑‒–—−][\s\u200b\u2060]?\d)|"
    r"(?P<bare>\d{8}))(?![\w-]|[.,]\d)",
    re.I,
)
_DIGIT = re.compile(r"\d")
_BID_WORDS = Caseless(
    r"y[-\s]?tunnu|fo[-\s]?n(?:umme)?r|business\s*id|company\s+id|alv|vat\b|moms|org\.?\s*nr"
)
_OTHER_ORG = Caseless(
    r"ylläpitä|ylläpitäjä|omista|emoyhtiö|emo-|konserni|tausta|kattojärjestö|vuokranantaja|"
    r"yhteistyö\w*|kumppani|kuuluu|upprätthåll|ägs\s+av|äg(?:er|are)|moderbolag|koncern|"
    r"samarbet\w*|in\s+cooperation|together\s+with|"
    r"hyresvärd|huvudman|samarbetspartner|parent\b|owned|owner|landlord|maintained\s+by|"
    r"operated\s+by|run\s+by|partner|umbrella|lokal"
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


def _bid_candidates(lines: list[Line], labels: dict[int, tuple[LabelHit, int]]) -> list[_Candidate]:
    """Every Business ID-shaped number with a score for being the applicant's own."""
    found: list[_Candidate] = []
    for position, line in enumerate(lines):
        text = line.text
        if not text or not _DIGIT.search(text):
            continue  # (a candidate is made of \\d digits)
        hit, value_start = labels.get(position, (None, 0))
        for match in _BID.finditer(text):
            before = text[max(0, match.start() - 70) : match.start()]
            sentence_before = _SENTENCE_BREAK.split(before)[-1]
            score = 0.0
            label = None
            if match.group("bare") and not (
                _BID_WORDS.search(sentence_before) or (hit and hit.field.endswith("business_id"))
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
            elif _BID_WORDS.search(sentence_before):
                score += 3
            if match.group("vat"):
                score -= 0.5
            if _OTHER_ORG.search(sentence_before):
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
            score = 3.0 if _BID_WORDS.search(before) or hit else 0.0
            found.append(
                _Candidate(check, line, split.start(), len(text), score, None, written=written)
            )
    counts: dict[str, int] = {}
    for candidate in found:
        counts[candidate.check.normalized] = counts.get(candidate.check.normalized, 0) + 1
    for candidate in found:
        candidate.score += 0.5 * (counts[candidate.check.normalized] - 1)
    return found


# ---------------------------------------------------------------------------------------------
# Prose

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ\"“])")
_INTENT = Caseless(
    r"liittyä|liittymään|haemme|hakee|hakea|hakemus|anomme|anoo|päästä|rekisteröity|rekisteröidä|"
    r"komma\s+med|vara\s+med|tulla\s+mukaan|få\s+tillgång|införd|get\s+access|"
    r"ansökan|"
    r"lisätä|lisäämiseksi|ansluta|ansöker|ansöka|bli\s+(?:tillagd|registrerad)|läggas\s+till|"
    r"apply|applying|application|register\b|registering|be\s+(?:added|registered)|join\b"
)
_INTENT_OBJECT = Caseless(
    r"rekisteri|järjestelmä|ajanvaraus|käyttöoikeu|pääsy|register|registr|system|booking|access|"
    r"tidsbokning|tillgång"
)
# Either pattern marks a sentence about the message, not a reason; the second names the
# organisation with a capital letter.
_ADMIN = Caseless(
    r"\b(?:kirjoitan|kirjoitamme)\b|(?:\b(?:ry|rf|oy|ab|sr)|:n)\s+puolesta|"
    r"liitteenä|bifogat|attached|alla\s+(?:olevat|tiedot|tietomme)|"
    r"nedan|below|seuraavat\s+tiedot|följande\s+uppgifter|ohessa|välitän|vidarebefordrar|"
    r"forwarding|yhteyshenkilö|kontaktperson|contact\s+person|lisätietoja|vid\s+frågor|"
    r"tavoittaa|(?:olkaa|olemme|ollaan|olen|olla)\s+yhteydessä|yhteydessä\s+(?:minuun|meihin|häneen)|contact\s+us|reach\s+us|nå\s+oss|allekirjoitta|undertecknad|"
    r"undersigned|kiitos|tack\b|thank|vastaamme|svarar\s+gärna|happy\s+to\s+answer|"
    r"look(?:ing)?\s+forward|hope\s+to\s+hear|ser\s+fram\s+emot|odotamme\s+vastaust|"
    r"tavoitettavissa|\bnås\b|can\s+be\s+reached|ennallaan|oförändrad\w*|unchanged|"
    r"toimitan|\w+mme\s+puolesta|skickar\s+(?:härmed\s+)?(?:vår\s+)?ansökan|"
    # the writer introducing themselves, and who asked them to write
    r"työskentelen|jag\s+är\s+(?:\w+\s+){1,2}(?:för|i|på|vid)\s|jag\s+arbetar|"
    r"\bolen\s+(?:\S+\s+){0,4}?\S+:n\s+(?:vara)?(?:puheenjohtaja|sihteeri|"
    r"rahastonhoitaja|toiminnanjohtaja)|neuvottiin\s+ottamaan|hänvisade\s+oss|"
    r"(?:was|were)\s+referred\s+to|"
    r"i\s+work\s+(?:as|at|for)\b|esihenkilöni|pyysi\s+minua|bad\s+mig|asked\s+me\s+to|"
    r"nimeksi\s+voi|"
    r"here\s+are\s+(?:our|the)\s+details|tässä\s+(?:ovat\s+)?(?:tiedot|tietomme)|"
    r"här\s+(?:är|kommer)\s+(?:våra\s+)?uppgifter|"
    r"lähetetty\s+\S+(?:\s+\S+)?\s*-?\s*(?:älypuhelimesta|puhelimesta|iphonesta|ipadista)|"
    r"sent\s+from\s+my|skickat\s+från\s+min|"
    r"kysyttävää|vid\s+frågor|eventuella\s+frågor|har\s+ni\s+frågor|puuttui|puuttuivat|unohtui|unohtu|saknades|glömde|was\s+missing|"
    r"were\s+missing|forgot|edellise|förra\s+meddelande|previous\s+message|earlier\s+message"
)
_ADMIN_FOR = re.compile(
    r"\bon\s+behalf\s+of\s+(?:the\s+)?(?-i:[A-ZÅÄÖ])|på\s+uppdrag\s+av\s+(?-i:[A-ZÅÄÖ])", re.I
)

_CONTACT_TRIGGER = Caseless(
    r"yhteyshenkilö\w*\s+(?:toimii|on)|lisätietoja\s+(?:antaa|antavat|saa)|"
    r"kontaktperson(?:en)?\s+(?:är|blir)|vid\s+frågor\s+(?:kontakta|kan\s+ni\s+kontakta)|"
    r"(?:the\s+)?contact\s+person\s+(?:is|will\s+be)|please\s+contact|kontakta|ota\s+yhteyttä|"
    r"yhteyttä\s+voi\s+ottaa|(?:olkaa|olemme|ollaan|olen|olla)\s+yhteydessä|yhteydessä\s+(?:minuun|meihin|häneen)|tavoittaa|contact\s+us|reach\s+us|nå\s+oss|"
    # "Our contact person for the registry is X", "Yhteyshenkilönä toimii X"
    r"contact\s+person\b[^.;:]{0,40}?\b(?:is|will\s+be)\b|"
    r"kontaktperson\w*\b[^.;:]{0,40}?\b(?:är|blir)\b|"
    r"yhteyshenkilö\w*\b[^.;:]{0,40}?\b(?:toimii|toimin|on|olen)\b|"
    r"contact\s+me|reach\s+me|kontakta\s+mig|nå\s+mig|ota\s+minuun\s+yhteyttä|"
    r"tavoitat(?:te)?\s+minut|minut\s+tavoittaa|"
    r"(?:mun|minun|meidän|oma)\s+(?:puhelin)?numero|numeroni|puhelinnumero(?:ni|mme)|"
    r"(?:minut|meidät)\s+saa\s+(?:\w+\s+)?kiinni|når\s+(?:mig|oss)|"
    # "Frågor om ansökan besvaras av vår diakon X", "Käytännön asioista vastaa ohjaaja X"
    r"besvaras\s+av|(?:asioista|asiasta|kysymyksiin)\s+(?:\w+\s+){0,3}?vastaa|"
    r"you\s+can\s+reach\s+(?:me|us)|"
    r"mitt\s+(?:telefon)?nummer|my\s+(?:phone\s+)?number|"
    # "I am the contact person: Jane Smith": the role word and a colon introduce the name
    r"(?:yhteyshenkilö\w*|kontaktperson\w*|contact\s+person)\s*:|"
    # "Toimin itse yhteyshenkilönä", "Jag är själv kontaktperson": the writer is the contact
    r"(?:toimin|olen)\s+(?:itse\s+|myös\s+)?yhteyshenkilö\w*|"
    r"jag\s+(?:är|blir)\s+(?:själv\s+)?kontaktperson\w*|"
    r"i\s+(?:am|will\s+be|will\s+act\s+as)\s+(?:the\s+|your\s+)?contact(?:\s+person)?\b|"
    # "Yhteyshenkilöksi laitetaan minut (Mervi Salo, ...)": the name follows the verb
    r"yhteyshenkilöksi\s+[a-zåäö]+\s+"
)
# "Maija Mäkinen toimii yhteyshenkilönä", "Anna Berg will be our contact person".
_CONTACT_ROLE = Caseless(
    r"\b(?:toimii|on|är|blir|fungerar\s+som|is|will\s+be|acts?\s+as|serves?\s+as)\s+"
    r"(?:\w+\s+){0,2}?(?:yhteyshenkilö\w*|kontaktperson\w*|contact\s+person)\b"
)


_NAME_THEN_REACH = Caseless(
    r",?\s*(?:jonka|joka|som|who)\s+(?:\w+\s+)?(?:tavoittaa|tavoitat|nås|når\s+ni|"
    r"can\s+be\s+reached|is\s+reachable|you\s+can\s+reach)\b"
)
_CLAUSE_BREAK = re.compile(r"[,;:()]")


def _name_before(text: str) -> str | None:
    """A person's name that ends `text` ("..., Maija Mäkinen")."""
    tokens = _CLAUSE_BREAK.split(text)[-1].split()
    run: list[str] = []
    for token in reversed(tokens):
        if not NAME_TOKEN.match(token) or token in NAME_STOP or len(run) == 4:
            break
        run.insert(0, token)
    while len(run) > 2 and (
        not is_person_name(" ".join(run)) or TITLE.fullmatch(run[0].strip(".,"))
    ):
        run.pop(0)
    name = " ".join(run)
    return name if is_person_name(name) else None


# The writer points at themself: "jag själv", "minä itse", "me", "the undersigned".
_SELF = re.compile(
    r"^[\s,:–-]*(?:jag\s+själv|jag|minä\s+itse|minä|minut|itse|allekirjoittanut|myself|me|"
    r"mig|I)\b[\s,:(–-]*",
    re.I,
)
_FIRST_PERSON_CONTACT = Caseless(
    r"contact\s+me|reach\s+me|kontakta\s+mig|nå\s+mig|minuun|minut|"
    r"(?:är|on|is)\s+(?:jag|minä|i|me)\b|toimin\s|olen\s|jag\s+(?:är|blir)|i\s+(?:am|will)"
)
# The writer introducing themselves: "Olen Pekka Nieminen", "Jag heter Anna Berg".
_INTRODUCTION = re.compile(
    r"\b(?:olen|nimeni\s+on|minä\s+olen|jag\s+heter|jag\s+är|mitt\s+namn\s+är|"
    r"my\s+name\s+is|i\s+am|this\s+is)\s+(?=[A-ZÅÄÖ])",
    re.I,
)
# "Motiveringen skickar vår ordförande senare": an item announced for later is not given.
_DEFERRAL = Caseless(
    r"\b(?:senare|längre\s+fram|myöhemmin|jälkikäteen|later|separately|erikseen|separat|"
    r"så\s+snart|as\s+soon\s+as|"
    r"in\s+a\s+separate|next\s+week|ensi\s+viikolla|nästa\s+vecka)\b"
)
_DEFERRAL_VERB = Caseless(
    r"skick|lämna|återkom|kommer|lähet|toimit|tulee|palaa|send|provide|deliver|follow|"
    r"get\s+back|submit|täyden|komplettera|complete|supplement"
)
# "Tavoitatte minut tästä osoitteesta", "reply to this address": the sender's own address.
_THIS_ADDRESS = Caseless(
    r"\b(?:tästä|tähän|tämän|samasta|samaan)\s+(?:sähköposti)?osoit\w*|"
    r"\b(?:this|the\s+same|my)\s+(?:e-?mail\s+)?address\b|"
    r"\b(?:reply|answer|write)\s+(?:to\s+)?(?:this|my)\s+(?:e-?mail|message)\b|"
    r"\baddress\s+i(?:'m|\s+am)?\s+(?:writing|sending)\s+from\b|"
    r"\b(?:denna|den\s+här|samma)\s+(?:e-?post)?adress\w*|"
    r"\b(?:lähettäjän|avsändar|sender['’]s)\w*\s+(?:(?:e-?mail|e-?post)\s*)?(?:osoit|adress|address)"
)
_NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|noreply|mailer|postmaster)", re.I)
_UNDERSIGNED = re.compile(r"allekirjoitta\w*|undertecknad\w*|(?:the\s+)?undersigned", re.I)
_ORG_IN_PROSE = [
    re.compile(p, re.I if flags else 0)
    for p, flags in (
        # "Olemme Setlementti Pellavan työntekijöitä": the body's name in the genitive.
        (
            r"\b(?i:olemme|me\s+olemme|olen)\s+(?P<org>[A-ZÅÄÖ][^.!?()]{2,90}?)(?::n|n)\s+"
            r"(?i:työntekijöitä|työntekijä|jäseniä|jäsen|vapaaehtoisia|henkilökuntaa|"
            r"puheenjohtaja|varapuheenjohtaja|sihteeri|rahastonhoitaja|toiminnanjohtaja)\b",
            0,
        ),
        # "täällä Hyvinvointisäätiö Toivossa on pohdittu": the body's name in the inessive.
        (
            r"\b(?i:täällä|meillä)\s+(?P<org>[A-ZÅÄÖ][^.!?()]{2,60}?)(?::ssa|:ssä|ssa|ssä)\b",
            0,
        ),
        (
            r"^(?P<org>[A-ZÅÄÖ][^.!?()]{2,90}?)\s*(?:\((?i:[^()]*?(?:tunnus|nummer|business\s*id|"
            r"fo-nr)[^()]*)\))?\s+(?:haluaisi|haluaa|hakee|anoo|ansöker|vill|önskar|would\s+like|"
            r"wishes|is\s+applying|"
            # (and, in a removal, "X ry lopettaa toimintansa", "X rf har funnits i registret")
            r"lopettaa|lakkaa|har\s+funnits|har\s+varit|avslutar|upphör|is\s+closing|has\s+been)\b",
            0,
        ),
        (
            r"\b(?i:vi\s+är|we\s+are|olemme)\s+(?P<org>[A-ZÅÄÖ][^.!?()]{2,90}?)\s*"
            r"(?:\([^()]*\))?\s+(?:och|and|ja)\s",
            0,
        ),
        (
            r"\b(?i:(?:on\s+behalf\s+of|writing\s+(?:to\s+you\s+)?from)(?:\s+the)?"
            r"(?:\s+our\s+(?:company|association|organi[sz]ation|"
            r"foundation|charity|club))?)\s+(?P<org>[A-ZÅÄÖ][^.!?()]{2,90}?)\s*(?:\([^()]*\))?\s*"
            r"(?:\b(?:to|and)\b|,|\.|$)",
            0,
        ),
        (
            r"\b(?P<org>[A-ZÅÄÖ][^.!?()]{2,90}?)(?::n|n)\s+puolesta",
            0,
        ),
        (
            r"(?P<org>(?-i:[A-ZÅÄÖ])[^.!?()]{2,90}?)\s*\((?i:y-?tunnus|fo-?nummer|fo-nr|"
            r"business\s*id)[^()]*\)",
            1,
        ),
        (
            r"\b(?i:på\s+uppdrag\s+av)\s+(?P<org>[A-ZÅÄÖ][^.!?()]{2,90}?)\s*(?:\([^()]*\))?\s*"
            r"(?:[,.;:]|$|\s(?:och|som|vars|för|till)\s)",
            0,
        ),
        # "Vår förening heter X", "Yhdistyksemme nimi on X", "Our association is called X".
        (
            r"\b(?i:(?:förening|organisation|företag|bolag|stiftelse|församling|klubb|"
            r"yhdisty|organisaatio|yrity|säätiö|järjestö|seura|kerho|"
            r"association|organi[sz]ation|company|club|foundation|charity|society)\w*"
            r"(?:'s|’s)?\s+(?:heter|kallas|namn\s+är|(?:virallinen\s+)?nimi\s+on|"
            r"on\s+nimeltään|(?:official\s+|full\s+)?name\s+is|is\s+called|is\s+named))\s+"
            r"(?P<org>[A-ZÅÄÖ][^.!?()]{2,90}?)\s*(?:\([^()]*\))?\s*(?:[,.;:]|$|\s(?:och|and|ja)\s)",
            0,
        ),
        # "We are X ry, a ...", "Olemme X ry." (the name must carry a legal-form word).
        (
            r"\b(?i:vi\s+är|we\s+are|olemme|me\s+olemme|this\s+is|tässä\s+on)\s+"
            r"(?P<org>[A-ZÅÄÖ][^.!?(),;:]{2,90}?)\s*(?:\([^()]*\))?\s*(?:[,.;:]|$|\s[-–—]\s)",
            0,
        ),
        # "Our association is X ry, Business ID ..." (with a legal-form word).
        (
            r"\b(?i:our|vår|meidän)\s+(?i:association|organi[sz]ation|company|charity|club|"
            r"förening|organisation|yhdistyksemme|yhdistys|organisaatio)\s+(?i:is|är|on)\s+"
            r"(?P<org>[A-ZÅÄÖ][^.!?(),;:]{2,90}?)\s*(?:[,.;:]|$)",
            0,
        ),
        # "Jag är ordförande för X rf", "I am the chair of X ry" (with a legal-form word).
        (
            r"\b(?i:ordförande|sekreterare|verksamhetsledare|kassör|chair(?:person)?|secretary|"
            r"treasurer|director|manager)\s+(?i:för|of|at|i|på|vid)\s+"
            r"(?P<org>[A-ZÅÄÖ][^.!?(),;:]{2,90}?)\s*(?:[,.;:]|$)",
            0,
        ),
        # "Aurinkorinteen Eläkeläiset ry, y-tunnus 2487605-8" (with a legal-form word).
        (
            r"^(?P<org>[A-ZÅÄÖ][^.!?(),;:]{2,90}?),?\s+(?i:y-?tunnus|fo-?nummer|fo-nr|"
            r"business\s*id)\b",
            0,
        ),
    )
]
# What each reading above needs, tested first because it is much cheaper than the reading: most
# sentences have none of the verbs, phrases and parentheses that name the applicant.
_ORG_IN_PROSE_NEEDS: tuple[Callable[[str], object], ...] = (
    Caseless(r"olemme|olen").search,
    Caseless(r"täällä|meillä").search,
    re.compile(
        r"halua|hakee|anoo|ansöker|vill|önskar|would|wishes|applying|lopettaa|lakkaa|har\s|"
        r"avslutar|upphör|closing|has\s+been"
    ).search,
    Caseless(r"vi\s+är|we\s+are|olemme").search,
    Caseless(r"on\s+behalf\s+of|writing\s+").search,
    lambda sentence: "puolesta" in sentence,
    lambda sentence: "(" in sentence,
    Caseless(r"på\s+uppdrag\s+av").search,
    Caseless(r"heter|kallas|namn|nimi|nimeltään|name|called").search,
    Caseless(r"vi\s+är|we\s+are|olemme|this\s+is|tässä\s+on").search,
    Caseless(r"our\s|vår\s|meidän\s").search,
    Caseless(
        r"ordförande|sekreterare|verksamhetsledare|kassör|chair|secretary|treasurer|"
        r"director|manager"
    ).search,
    Caseless(r"tunnus|nummer|fo-nr|business").search,
)
_GENERIC_ORG_PATTERN = 6  # "Name (Y-tunnus ...)" anywhere: the last resort
_SUFFIX_ONLY_PATTERNS = (
    9,
    10,
    11,
    12,
)  # readings that hold only when the name has a legal-form word
_PRONOUN_START = re.compile(
    r"^(?:me|we|our|vi|vår|vårt|jag|minä|i|meidän|tämä|this|det|den|se|\w+mme)\b", re.I
)
_LEAD_VERB = re.compile(
    r"^(?:(?:hei|hej|hejsan|moi|moikka|terve|heippa|hello|hi)\b[,!]?\s*)?"
    r"(?:(?:kirjoitan|kirjoitamme|lähetän|lähetämme|toimin|"
    r"edustan|edustamme|olen|olemme|haen|haemme|skriver|representerar|i\s+am\s+writing\s+for|"
    r"i\s+represent|we\s+represent)\s+)?",
    re.I,
)

_INFLECTION = re.compile(r"(?::(?:n|lle|ltä|llä|ssa|ssä|sta|stä|ksi|na|nä|aan|ään|en|s)|['’]s)$")


def _org_from_prose(sentence: str) -> str | None:
    for number, (rx, needs) in enumerate(zip(_ORG_IN_PROSE, _ORG_IN_PROSE_NEEDS, strict=True)):
        found = rx.search(sentence) if needs(sentence) else None
        if not found:
            continue
        generic = number == _GENERIC_ORG_PATTERN
        if generic and _OTHER_ORG.search(sentence):
            continue
        org = collapse(found.group("org")).strip(" ,")
        org = _LEAD_VERB.sub("", org)
        tokens = org.split()
        # "Please remove Old Club ry": drop leading words until the name proper begins.
        while (
            generic
            and len(tokens) > 1
            and not (
                tokens[0][:1].isupper()
                and (tokens[1][:1].isupper() or ORG_SUFFIX.fullmatch(tokens[1]))
            )
        ):
            tokens.pop(0)
        org = " ".join(tokens)
        org = _INFLECTION.sub("", org)
        if number in _SUFFIX_ONLY_PATTERNS and not ORG_SUFFIX.search(org):
            continue
        if _PRONOUN_START.match(org) or len(org.split()) > 9 or len(org) < 3:
            continue
        words = org.split()
        capitals = sum(1 for w in words if w[:1].isupper())
        if not (ORG_SUFFIX.search(org) or capitals * 2 >= len(words)) or words[0] in NAME_STOP:
            continue
        return org
    return None


# A legal-form abbreviation closes an organisation's name, possibly inflected ("X ry:n").
# A body's kind in its base form closes it as well ("Korsholms församling").
_LEGAL_FORM = re.compile(
    r"(?<![\w-])(?:(?:ry|r\.y\.|rf|r\.f\.|sr|s\.r\.|oy|oyj|ab|abp|ky|tmi|ltd|inc)"
    r"(?:[:'’][a-zäö]{1,4})?|församling|kommun|stad|stiftelse|förening|säätiö|yhdistys|"
    r"seurakunta|kunta|kaupunki|hyvinvointialue|välfärdsområde|association|foundation)"
    r"(?![\w-])"
)
_JOIN_WISH = Caseless(
    r"haluaisi\w*|haluaa|haluamme|toivo\w*|vill\w*|skulle\s+vilja|önskar|would\s+like|wish"
)


_BECAUSE = Caseless(
    r"\b(?:koska|sillä|jotta|eftersom|för\s+att|då\s+vi|because|since|so\s+that|as\s+we)\b"
)


_NOT_IN_NAME = re.compile(r"[\d@,.;:()]")


def _org_with_legal_form(sentence: str) -> str | None:
    """The applicant named in a sentence that asks to join: "Vi på X rf vill ansluta ...".

    The name ends at its legal-form word and runs back over the words before it up to the
    first capitalised one; a sentence-initial verb or pronoun ("Haluaisimme") is not part of it.
    """
    wish = _JOIN_WISH.search(sentence) or _INTENT.search(sentence)
    if not (wish and _INTENT_OBJECT.search(sentence)) or _OTHER_ORG.search(sentence):
        return None
    found = _LEGAL_FORM.search(sentence)
    if not found:
        return None
    run: list[str] = []
    for token in reversed(sentence[: found.start()].split()):
        capital = token[:1].isupper()
        seen_capital = any(t[:1].isupper() for t in run)
        if len(run) == 5 or _NOT_IN_NAME.search(token) or (seen_capital and not capital):
            break
        run.insert(0, token)
    while run and (
        not run[0][:1].isupper()
        or _PRONOUN_START.match(run[0])
        or run[0] in NAME_STOP
        or _JOIN_WISH.match(run[0])
    ):
        run.pop(0)
    if not run:
        return None
    return " ".join(run) + " " + _INFLECTION.sub("", found.group(0))


def _sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pairs of a paragraph."""
    result = []
    position = 0
    for piece in _SENTENCE_SPLIT.split(text):
        start = text.find(piece, position)
        result.append((start, piece))
        position = start + len(piece)
    return result


# ---------------------------------------------------------------------------------------------
# Extraction


@dataclass
class _Found:
    value: str
    line: Line
    start: int  # offset in the line's text
    end: int
    label: str | None

    def item(self, parts: Sequence[TextPart], value: str | None = None) -> Item:
        source = parts[self.line.part].name
        return Item(
            value if value is not None else self.value,
            Evidence(source, self.line.start + self.start, self.line.start + self.end, self.label),
        )


_PROSE_FIELDS = frozenset({"organization_name", "justification", "name"})
_RULE = re.compile(r"^\s*[-=_~*]{3,}\s*$")
# A name that ends at its legal form, then a remark in brackets ("X Oy (kotipalvelut)", "X ry
# (3304585-4)") or, read from prose, a word more ("X ry Kuohujoelta").
_REMARK_AFTER_FORM = re.compile(
    r"^(?P<name>.*?\b(?:ry|r\.y\.|rf|r\.f\.|sr|s\.r\.|oy|oyj|ab|abp|ky))(?::[a-zäö]{1,4})?\.?"
    r"(?:\s*\([^()]*\)|(?P<word>(?:\s+[A-ZÅÄÖa-zåäö][\wåäöÅÄÖ'’-]*){1,6}))\s*$",
    re.IGNORECASE,
)


def _without_remark(found: _Found) -> _Found:
    remark = _REMARK_AFTER_FORM.match(found.value)
    if remark is None or (remark.group("word") and found.label is not None):
        return found  # a labelled "X ry Nuorisotyö" is the organization as it wrote itself
    if remark.group("word") and ORG_SUFFIX.search(remark.group("word")):
        return found  # "Oy X Ab"
    value = remark.group("name")
    return _Found(value, found.line, found.start, found.start + len(value), found.label)


_ANSWERABLE = frozenset(
    {"business_id", "organization_name", "justification", "contact_name", "contact_details"}
    | {"email", "phone", "name"}
)


def _name_standing_alone(lines: list[Line], labels: dict[int, LabelHit]) -> _Found | None:
    """A line of the writer's own, or a piece of a form written on one line, that is nothing
    but a name with a legal form ("Y-tunnus 1234567-8 | Tervaniemen Työttömät ry | ...")."""
    for position, line in enumerate(lines):
        text = line.text
        if (
            (line.field_of_line or not (line.signature or line.closing or line.quoted))
            and position not in labels
            and not BULLET.match(text)  # an item of a list says something of its own
            and len(text.split()) <= 8
            and ORG_SUFFIX.search(text)
            and not any(ch.isdigit() for ch in text)
            and "@" not in text
        ):
            return _Found(text, line, 0, len(text), None)
    return None


def _with_legal_form(found: _Found, lines: list[Line]) -> _Found:
    """A name read without its legal form ("Vaaramäen työttömät haluaa ...") as the message
    also writes it with one ("Vaaramäen Työttömät ry", in a list or the signature)."""
    if ORG_SUFFIX.search(found.value) or len(found.value) < 4:
        return found
    fuller = re.compile(re.escape(found.value) + r"\s+(?:ry|rf|sr|oy|oyj|ab|abp|ky)\b", re.I)
    for line in lines:
        if len(line.text) < 400 and (written := fuller.search(line.text)):
            return _Found(written.group(0), line, written.start(), written.end(), found.label)
    return found


def _value_lines(
    lines: list[Line], position: int, labels: dict[int, LabelHit], multi: bool
) -> list[int]:
    """Positions of the lines that carry the value of the label on line `position`."""
    hit = labels[position]
    head_has_value = bool(lines[position].text[hit.value_start :].strip())
    result: list[int] = []
    j = position + 1
    blank = 0
    while j < len(lines):
        line = lines[j]
        if line.zone != lines[position].zone or line.segment != lines[position].segment:
            break
        if j in labels or line.closing or line.signature:
            break
        if not line.text.strip():
            blank += 1
            if (result or head_has_value) and (
                not multi or not _more_labels_follow(lines, j, labels)
            ):
                break
            if blank > 2:
                break
            j += 1
            continue
        blank = 0
        if not multi and (result or head_has_value):
            break
        result.append(j)
        j += 1
    return result


def _more_labels_follow(lines: list[Line], j: int, labels: dict[int, LabelHit]) -> bool:
    """True when, after the blank line `j`, the text goes on and a later line is a label."""
    k = j + 1
    while k < len(lines) and not lines[k].text.strip():
        k += 1
    if k >= len(lines) or k in labels or lines[k].closing or lines[k].signature:
        return False
    return any(
        p in labels
        for p in range(k, min(k + 12, len(lines)))
        if lines[p].segment == lines[j].segment
    )


_APPLICANT_NOTE = re.compile(r"\s*\((?:hakija|sökande|applicant)\)\s*$", re.I)


def extract(document: Document, zones: Iterable[str] = (OWN, FORWARD)) -> Extraction:
    """The five items as given in the chosen zones of `document`."""
    lines = document.content(zones)
    if not lines:
        return Extraction()  # (most messages quote nothing)
    parts = document.parts
    labels: dict[int, LabelHit] = {}
    for position, line in enumerate(lines):
        if line.signature or line.closing or not line.text.strip():
            continue
        hit = document.label(line.text)
        if hit is None and line.answers is not None:
            # An answer below a quoted question ("> 2. Organisaation nimi"): its whole line.
            asked = document.label(line.answers.text)
            if asked is not None and asked.field in _ANSWERABLE:
                hit = replace(asked, value_start=0, separator="answer")
        if hit:
            labels[position] = hit

    value_of: dict[int, tuple[LabelHit, int]] = {}
    for position, hit in labels.items():
        value_of[position] = (hit, hit.value_start)
        multi = hit.field in ("justification", "contact_details")
        for j in _value_lines(lines, position, labels, multi):
            value_of.setdefault(j, (hit, 0))

    contact_labelled = any(hit.field == "contact_name" for hit in labels.values())
    values: dict[str, _Found] = {}
    emails: list[_Found] = []
    phones: list[_Found] = []
    seen: set[str] = set()
    for position, hit in labels.items():
        line = lines[position]
        name = hit.field
        multi = name in ("justification", "contact_details")
        rest = line.text[hit.value_start :]
        continuation = _value_lines(lines, position, labels, multi)
        if name == "name":
            # A bare "Nimi:"/"Name:" names a person when the value reads as one, unless the
            # contact person has a label of their own: then it names the organization.
            sample = rest if rest.strip() else " ".join(lines[j].text for j in continuation[:1])
            person = cut_name(sample) if not ORG_SUFFIX.search(sample) else None
            name = (
                "contact_name"
                if person and "contact_name" not in values and not contact_labelled
                else "organization_name"
            )
        seen.add(name)
        pieces: list[tuple[Line, int, str]] = []
        if rest.strip():
            pieces.append((line, hit.value_start, rest))
        # (a heading's underline, "------------", is no part of its value)
        pieces.extend(
            (lines[j], 0, lines[j].text) for j in continuation if not _RULE.match(lines[j].text)
        )
        if name in ("contact_details", "email", "phone", "contact_name"):
            # Sub-labels ("Sähköposti: ...") below a contact heading are read by their own hit.
            for piece_line, offset, piece in pieces:
                _collect_contacts(piece_line, offset, piece, hit.label, emails, phones, name)
        if name in ("email", "phone", "other", "vat_id", "other_business_id"):
            continue
        if not pieces:
            continue
        first_line, first_offset, first_text = pieces[0]
        if name == "business_id":
            continue  # read by the candidate scan, which sees the label
        text = " ".join(collapse(p[2]) for p in pieces) if multi else first_text
        # (a row of a text table ends with its cell border "|")
        value = clean_value(text) if name != "justification" else collapse(text).rstrip(" |")
        if not value or ABSENT.match(value):
            continue
        if len(value) < 200 and _DEFERRAL.search(value) and _DEFERRAL_VERB.search(value):
            continue  # "täydennän tämän kohdan ensi viikolla": announced, not given
        last_line, last_offset, last_text = pieces[-1]
        end = last_offset + len(last_text.rstrip())
        if last_line is not first_line:
            found = _Found(value, first_line, first_offset, len(first_line.text), hit.label)
        else:
            found = _Found(value, first_line, first_offset, end, hit.label)
        if name == "contact_name":
            person = cut_name(value)
            if person is None:
                continue
            value = person
            found.value = person
        if name == "contact_details" and "contact_name" not in values:
            person = cut_name(value)
            if person:
                values["contact_name"] = _Found(person, first_line, first_offset, end, hit.label)
            continue
        if name == "contact_details":
            continue
        if name == "organization_name":
            value = _APPLICANT_NOTE.sub("", value)
            found.value = value
        values.setdefault(name, found)

    labelled = {name for name in values} | ({"contact_details"} if emails or phones else set())
    # Prose is read for the items when few labels are given, or when none of them gives the
    # organization or the reason (a letter over "Y-tunnus: / Kontaktuppgifter: / Telefon:").
    prose_mode = len(labels) < 2 or not any(hit.field in _PROSE_FIELDS for hit in labels.values())

    # Business ID: every candidate in the content, scored by its context.
    candidates = _bid_candidates(lines, value_of)
    best = max(candidates, key=lambda c: c.score, default=None)
    business_id = None
    if best is not None and best.score > -5:
        business_id = BusinessIdItem(
            best.written or collapse(best.line.text[best.start : best.end]),
            best.check.normalized,
            best.check.valid,
            Evidence(
                parts[best.line.part].name,
                best.line.start + best.start,
                best.line.start + best.end,
                best.label,
            ),
        )
        if best.label:
            labelled.add("business_id")

    signer = _signer(document, lines, labels) or _introduced_writer(lines)
    body_lines = [
        (p, line)
        for p, line in enumerate(lines)
        if not line.signature and not line.closing and p not in labels
    ]

    # Prose: sentences of the new text that are neither labelled fields nor signature.
    prose_reason: list[tuple[Line, int, int, str]] = []
    contact_name = values.get("contact_name")
    organization = values.get("organization_name")
    listed, in_list = _unlabelled_list(lines, labels, emails, phones)
    body_lines = [(p, line) for p, line in body_lines if p not in in_list]
    organization = organization or listed.get("organization_name")
    contact_name = contact_name or listed.get("contact_name")
    for paragraph in _paragraphs(body_lines):
        text = " ".join(line.text.strip() for line in paragraph)
        for offset, sentence in _sentences(text):
            line = _line_at(paragraph, offset)
            org = _org_from_prose(sentence)
            joining = False
            if org is None and organization is None:
                org = _org_with_legal_form(sentence)
                joining = org is not None
            if organization is None and org:
                organization = _Found(org, line, 0, len(line.text), None)
            if org and len(sentence.replace(org, " ").split()) < 5:
                continue  # "Vår förening heter X." names the applicant, gives no reason
            if joining and not _BECAUSE.search(sentence):
                continue  # "Haluaisimme X ry:n mukaan rekisteriin." asks, gives no reason
            if _DEFERRAL.search(sentence) and _DEFERRAL_VERB.search(sentence):
                continue  # "Perustelut lähetämme myöhemmin."
            trigger = _CONTACT_TRIGGER.search(sentence)
            role = None if trigger else _CONTACT_ROLE.search(sentence)
            # "... ohjaaja Marketta Ollila, jonka tavoittaa ...", "... Bertil Lönnqvist, som nås
            # på ...": the person named just before how to reach them.
            reach = _NAME_THEN_REACH.search(sentence)
            has_contact = EMAIL.search(sentence) or (
                (trigger or role or reach) and PHONE.search(sentence)
            )
            if trigger or role or has_contact:
                if (
                    contact_name is None
                    and reach
                    and (person := _name_before(sentence[: reach.start()]))
                ):
                    contact_name = _Found(person, line, 0, len(line.text), None)
                if contact_name is None and role:
                    person = _name_before(sentence[: role.start()])
                    if person:
                        contact_name = _Found(person, line, 0, len(line.text), None)
                if contact_name is None and trigger:
                    after = sentence[trigger.end() :]
                    self_reference = _SELF.match(after)
                    person = cut_name(after[self_reference.end() :] if self_reference else after)
                    if person:
                        contact_name = _Found(person, line, 0, len(line.text), None)
                    elif signer is not None and (
                        _UNDERSIGNED.search(after[:40])
                        or self_reference
                        or _FIRST_PERSON_CONTACT.search(trigger.group(0))
                    ):
                        contact_name = signer
                # Every line of the sentence: it may run over several ("... hoitaa / mun
                # numero 040...").
                for piece_line in paragraph:
                    if (
                        piece_line.text.strip() and piece_line.text.strip() in sentence
                    ) or sentence in piece_line.text:
                        _collect_contacts(
                            piece_line, 0, piece_line.text, None, emails, phones, "prose"
                        )
                        if sentence in piece_line.text:
                            break
                continue
            if _is_greeting(sentence):
                continue
            if not prose_mode:
                continue
            if _ADMIN.search(sentence) or _ADMIN_FOR.search(sentence) or _BID.search(sentence):
                continue
            if (
                _INTENT.search(sentence)
                and _INTENT_OBJECT.search(sentence)
                and not _BECAUSE.search(sentence)
            ):
                continue  # asks to join; "... eftersom ..." gives its reason as well
            if len(sentence.split()) < 4 or sentence.rstrip().endswith("?"):
                continue
            prose_reason.append((line, offset, offset + len(sentence), sentence))

    justification_found = values.get("justification")
    justification = justification_found.item(parts) if justification_found else None
    if justification is None and "justification" in listed:
        justification = listed["justification"].item(parts)
    if justification is None and prose_reason:
        first = prose_reason[0][0]
        text = collapse(" ".join(r[3] for r in prose_reason))
        justification = Item(
            text, Evidence(parts[first.part].name, first.start, first.start + len(first.text))
        )

    # The signature names the organisation only when the Business ID was read from it.
    if (
        organization is None
        and business_id is not None
        and best is not None
        and best.line.signature
    ):
        organization = _signature_org(document, best.line)

    if contact_name is None and signer is not None:
        contact_name = signer
    if (
        not emails
        and not phones
        and contact_name is not None
        and signer is not None
        and _same_person(contact_name.value, signer.value)
    ):
        _signature_contacts(document, signer.line, emails, phones)

    if not emails:
        _sender_address(document, lines, emails)
    email = emails[0] if emails else None
    phone = phones[0] if phones else None
    if organization is None:
        organization = _name_standing_alone(lines, labels)
    if organization is not None:
        organization = _without_remark(_with_legal_form(organization, lines))
    return Extraction(
        business_id=business_id,
        organization_name=organization.item(parts) if organization else None,
        justification=justification,
        contact_name=contact_name.item(parts) if contact_name else None,
        contact_email=email.item(parts) if email else None,
        contact_phone=phone.item(parts) if phone else None,
        labelled_fields=len(
            labelled
            & {
                "business_id",
                "organization_name",
                "justification",
                "contact_name",
                "contact_details",
            }
        ),
        labels_seen=frozenset(seen),
    )


def _unlabelled_list(
    lines: list[Line],
    labels: dict[int, LabelHit],
    emails: list[_Found],
    phones: list[_Found],
) -> tuple[dict[str, _Found], set[int]]:
    """The items of a numbered or bulleted list that gives them without labels ("1. 1234567-8",
    "2. Testi ry", ...), each told by its shape, and the positions of the list's lines. A list
    counts only when it carries a Business ID, a contact detail or a person's name, so that a
    list of reasons stays prose."""
    found: dict[str, _Found] = {}
    consumed: set[int] = set()
    runs: list[list[list[int]]] = []  # runs of items, each item its line positions
    run: list[list[int]] = []
    for position, line in enumerate(lines):
        bulleted = (
            line.zone in (OWN, FORWARD)
            and not line.signature
            and not line.closing
            and BULLET.match(line.text)
        )
        if bulleted and (not run or lines[run[-1][0]].segment == line.segment):
            run.append([position])
            continue
        if run and not line.text.strip():
            continue  # items may stand a blank line apart
        if (
            run
            and not bulleted
            and position == run[-1][-1] + 1
            and position not in labels
            and not line.signature
            and not line.closing
        ):
            run[-1].append(position)  # a wrapped item
            continue
        if len(run) >= 3:
            runs.append(run)
        run = [[position]] if bulleted else []
    if len(run) >= 3:
        runs.append(run)
    for run in runs:
        shapes: dict[str, _Found] = {}
        data = False
        for item in run:
            line = lines[item[0]]
            start = BULLET.match(line.text).end()  # type: ignore[union-attr]
            text = collapse(" ".join([line.text[start:]] + [lines[j].text for j in item[1:]]))
            if item[0] in labels:
                data = True
                continue
            if EMAIL.search(text) or PHONE.search(text):
                data = True
                _collect_contacts(line, start, line.text[start:], None, emails, phones, "list")
                continue
            if _BID.fullmatch(text.strip(" .")):
                data = True
                continue
            words = text.split()
            value = text.strip(" .,;")
            # "toiminnanjohtaja Maija Mäkinen": a title before the name, as in a labelled value
            titled = (
                cut_name(value)
                if 3 <= len(words) <= 6
                and (not words[0][:1].isupper() or TITLE.fullmatch(words[0]))
                and not ORG_SUFFIX.search(value)
                else None
            )
            if is_person_name(value) or titled:
                data = True
                value = value if is_person_name(value) else titled
                shapes.setdefault("contact_name", _Found(value, line, start, len(line.text), None))
            elif (
                1 <= len(words) <= 8
                and not _SENTENCE_SPLIT.search(text)
                and ORG_SUFFIX.search(text)
                and words[0][:1].isupper()
            ):
                shapes.setdefault(
                    "organization_name", _Found(value, line, start, len(line.text), None)
                )
            elif len(words) >= 5 and not (_INTENT.search(text) and _INTENT_OBJECT.search(text)):
                shapes.setdefault(
                    "justification", _Found(collapse(text), line, start, len(line.text), None)
                )
        if data:
            for name, value in shapes.items():
                found.setdefault(name, value)
            consumed.update(position for item in run for position in item)
    return found, consumed


def _is_greeting(sentence: str) -> bool:
    words = sentence.split()
    return (
        len(words) <= 6
        and sentence.rstrip().endswith((",", "!", ":"))
        and not EMAIL.search(sentence)
    )


def _paragraphs(body_lines: list[tuple[int, Line]]) -> list[list[Line]]:
    result: list[list[Line]] = []
    current: list[Line] = []
    last_position = -2
    for position, line in body_lines:
        if line.zone == HEADER:
            continue
        if not line.text.strip() or position != last_position + 1:
            if current:
                result.append(current)
            current = []
        if line.text.strip():
            current.append(line)
        last_position = position
    if current:
        result.append(current)
    return result


def _line_at(paragraph: list[Line], offset: int) -> Line:
    total = 0
    for line in paragraph:
        total += len(line.text.strip()) + 1
        if offset < total:
            return line
    return paragraph[-1]


_NON_DIGIT = re.compile(r"\D")
_BID_LIKE_NUMBER = re.compile(r"\d{6,7}\s?-\s?\d")


def _collect_contacts(
    line: Line,
    offset: int,
    text: str,
    label: str | None,
    emails: list[_Found],
    phones: list[_Found],
    kind: str,
) -> None:
    for match in EMAIL.finditer(text):
        address = match.group(0).rstrip(".")
        if _KELA_AUTHOR.search(address) and "@kela.fi" in address.lower():
            continue
        if any(f.value.lower() == address.lower() for f in emails):
            continue
        emails.append(_Found(address, line, offset + match.start(), offset + match.end(), label))
    for match in PHONE.finditer(text):
        number = collapse(match.group(0))
        digits = _NON_DIGIT.sub("", number)
        if not 6 <= len(digits) <= 13 or _BID_LIKE_NUMBER.fullmatch(number):
            continue
        if any(_NON_DIGIT.sub("", f.value) == digits for f in phones):
            continue
        phones.append(_Found(number, line, offset + match.start(), offset + match.end(), label))


def _sender_address(document: Document, lines: list[Line], emails: list[_Found]) -> None:
    """The From address, when the sender's own text offers "this address" as the contact."""
    sender = document.sender.strip()
    if not EMAIL.fullmatch(sender) or _NO_REPLY.match(sender) or "@kela.fi" in sender.lower():
        return
    for line in lines:
        if line.zone not in (OWN, FORWARD) or line.quoted:
            continue
        found = _THIS_ADDRESS.search(line.text)
        if found:
            emails.append(_Found(sender, line, found.start(), found.end(), None))
            return


def _signature_lines(document: Document, line: Line) -> list[Line]:
    segment = document.segments[line.segment]
    return [x for x in segment.lines if x.signature and x.text.strip()]


def _signer(document: Document, lines: list[Line], labels: dict[int, LabelHit]) -> _Found | None:
    """The person who signed the part of the message that carries the application."""
    weight: dict[int, int] = {}
    for position in labels:
        weight[lines[position].segment] = weight.get(lines[position].segment, 0) + 1
    segments = sorted(
        {line.segment for line in lines},
        key=lambda s: (weight.get(s, 0), s),
        reverse=True,
    )
    for index in segments:
        signature = [x for x in document.segments[index].lines if x.signature and x.text.strip()]
        if not signature:
            continue
        first = signature[0]
        name = _signed_closing(first.text) or collapse(first.text)
        if is_person_name(name):
            start = first.text.find(name)
            if start < 0:
                return _Found(name, first, 0, len(first.text), None)
            return _Found(name, first, start, start + len(name), None)
    return None


def _introduced_writer(lines: list[Line]) -> _Found | None:
    """The writer's full name where the text introduces them ("Olen Pekka Nieminen ja ..."):
    the signer, when the signature gives no full name."""
    for line in lines:
        if line.signature or line.quoted or line.zone == HEADER:
            continue
        for found in _INTRODUCTION.finditer(line.text, 0, 2000):
            name = cut_name(line.text[found.end() : found.end() + 80])
            if name and len(name.split()) >= 2:
                start = line.text.find(name, found.end())
                return _Found(name, line, start, start + len(name), None)
    return None


def _signature_org(document: Document, line: Line) -> _Found | None:
    signature = _signature_lines(document, line)
    for candidate in signature:
        text = collapse(candidate.text)
        if ORG_SUFFIX.search(text) and not any(ch.isdigit() for ch in text) and "@" not in text:
            return _Found(text, candidate, 0, len(candidate.text), None)
    return None


_IBAN = re.compile(r"\biban\b", re.I)


def _signature_contacts(
    document: Document, line: Line, emails: list[_Found], phones: list[_Found]
) -> None:
    for candidate in _signature_lines(document, line):
        if _BID.search(candidate.text) or _IBAN.search(candidate.text):
            continue
        _collect_contacts(candidate, 0, candidate.text, None, emails, phones, "signature")


def _same_person(a: str, b: str) -> bool:
    return a.casefold().split() == b.casefold().split() or set(a.casefold().split()) == set(
        b.casefold().split()
    )
