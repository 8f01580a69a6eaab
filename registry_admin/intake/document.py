"""A message's text parts as zoned lines: its own text, forwarded and quoted messages, Kela's
quoted form, headers of quoted mail, closings and signatures."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from registry_admin.intake.caseless import Caseless
from registry_admin.intake.labels import LabelHit, match_label
from registry_admin.intake.mime import TextPart
from registry_admin.intake.results import Evidence, Item
from registry_admin.intake.values import (
    collapse,
    is_person_name,
)

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
    subject: str = ""  # where an applicant may write its Business ID and nowhere else
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
KELA_AUTHOR = Caseless(
    r"@kela\.fi\b|\bkela\b|\bfpa\b|tekninen tuki|tekniska stöd|technical support"
)

_CLOSING = re.compile(
    r"^(?:(?:ystävällisin|parhain|lämpimin|hyvää päivän jatkoa,?)?\s*terveisin|t\.|"
    r"ystävällisesti|kiittäen|kiitos(?:\s+(?:jo\s+)?(?:etukäteen|paljon|avusta|kaikesta))?|"
    r"(?:with\s+)?(?:best|kind|warm)(?:est)?\s+(?:regards|wishes)|regards|best|br|"
    r"thanks?(?:\s+you)?(?:\s+in advance)?|many thanks|cheers|sincerely|yours sincerely|"
    r"med vänlig(?:a)? hälsning(?:ar)?|vänliga hälsningar|hälsningar|mvh|vh|"
    r"tack(?:\s+på\s+förhand|\s+så\s+mycket)?)"
    # "… och ha en fin höst!", "… ja hyvää viikonloppua", "… and have a nice day"
    r"(?:[\s,]+(?:och|ja|and)\s+(?:ha\s+en|hyvää|mukavaa|have\s+a)\s+[\wåäö -]{1,30}?)?"
    r"[\s,.!]*$",
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


def signed_closing(text: str) -> str | None:
    """The name of a closing line that carries one ("terv. Heli Räty" gives "Heli Räty")."""
    found = _CLOSING_NAMED.match(text) if len(text) < 60 else None
    if found is None:
        return None
    name = collapse(text[found.end() :]).strip(" ,.")
    return name if is_person_name(name) else None


def _is_closing(text: str) -> bool:
    if len(text) >= 60:
        return False
    if text == "--":  # the signature delimiter "-- " (RFC 3676), its space stripped
        return True
    if text.lstrip()[:1] in _CLOSING_NAMED_FIRST and signed_closing(text):
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
        last_quoted: Line | None = None  # the last quoted line with text, below it only blanks
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
                    forwarded = forward_context and segment.zone == OWN
                    quote_zone, author = (FORWARD if forwarded else REPLY), segment.author
                    resume = segment if segment.zone == OWN else resume
                    if (
                        _FROM_FIELD.match(text.strip())
                        and (quoted_header := _header_block_len(raw_lines, i - 1)) >= 2
                    ):
                        # A quoted message with its header block first: Kela's own, or in a
                        # forward the forwarded message, quoted whole.
                        author = text.strip()
                        if KELA_AUTHOR.search(author):
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
                    # (the quoted line above it, blank lines between them or not)
                    answers = last_quoted
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
                    if KELA_AUTHOR.search(author):
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
                    # (after "välitän alla …" the quoted message is the one forwarded)
                    zone = FORWARD if forward_context and segment.zone == OWN else REPLY
                    zone = KELA if KELA_AUTHOR.search(text) else zone
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
            if line.quoted and text.strip():
                last_quoted = line
            elif text.strip():
                last_quoted = None
    for segment in segments:
        _mark_signature(segment)
    return Document(parts, lines, segments, sender, subject or "", _labels=_form_labels(lines))


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
    if not 1 <= len(bounds) <= _MOST_FIELDS_ON_A_LINE:
        return [line]
    pieces: list[tuple[int, str]] = []
    start = 0
    for end, after in [*bounds, (len(line.text), len(line.text))]:
        raw = line.text[start:end]
        if raw.strip():
            pieces.append((start + len(raw) - len(raw.lstrip()), raw.strip()))
        start = after
    # (two pieces must each open with a label as written in full: "Business ID: …; Name: …")
    loose = len(pieces) > 2
    labelled = sum(1 for _at, text in pieces if match_label(text, loose=loose) is not None)
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
    if any(hit is None or hit.field not in ANSWERABLE for hit in asked):
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
            line.signature = signed_closing(line.text) is not None
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
    for position, line in enumerate(tail):
        if line.answers is not None:  # the writer's text again below a quote: no signature
            tail = tail[:position]
            break
    # A long tail is a signature only when a rule sets off what follows the signature proper
    # (a footer, a disclaimer): more text than that is the message going on.
    proper = tail
    for position, line in enumerate(tail):
        if _SEPARATOR.match(line.text):
            proper = tail[:position]
            break
    if sum(1 for line in proper if line.text.strip()) > 15:
        return
    for line in tail:
        line.signature = True


ANSWERABLE = frozenset(
    {"business_id", "organization_name", "justification", "contact_name", "contact_details"}
    | {"email", "phone", "name"}
)


@dataclass
class Found:
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
