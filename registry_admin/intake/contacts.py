"""The contact person and details outside labelled fields: the signature, the writer
introducing themselves, the sender's own address."""

from __future__ import annotations

import re

from registry_admin.intake.business_id_candidates import BID
from registry_admin.intake.document import (
    FORWARD,
    HEADER,
    KELA_AUTHOR,
    OWN,
    Document,
    Found,
    Line,
    signed_closing,
)
from registry_admin.intake.labels import LabelHit
from registry_admin.intake.patterns import EMAIL, ORG_SUFFIX, PHONE
from registry_admin.intake.prose import INTRODUCTION, NO_REPLY, THIS_ADDRESS
from registry_admin.intake.values import (
    collapse,
    cut_name,
    is_person_name,
)

_NON_DIGIT = re.compile(r"\D")
_BID_LIKE_NUMBER = re.compile(r"\d{6,7}\s?-\s?\d")


def collect_contacts(
    line: Line,
    offset: int,
    text: str,
    label: str | None,
    emails: list[Found],
    phones: list[Found],
    kind: str,
) -> None:
    for match in EMAIL.finditer(text):
        address = match.group(0).rstrip(".")
        if KELA_AUTHOR.search(address) and "@kela.fi" in address.lower():
            continue
        if any(f.value.lower() == address.lower() for f in emails):
            continue
        emails.append(Found(address, line, offset + match.start(), offset + match.end(), label))
    for match in PHONE.finditer(text):
        number = collapse(match.group(0))
        digits = _NON_DIGIT.sub("", number)
        if not 6 <= len(digits) <= 13 or _BID_LIKE_NUMBER.fullmatch(number):
            continue
        if any(_NON_DIGIT.sub("", f.value) == digits for f in phones):
            continue
        phones.append(Found(number, line, offset + match.start(), offset + match.end(), label))


def sender_address(document: Document, lines: list[Line], emails: list[Found]) -> None:
    """The From address, when the sender's own text offers "this address" as the contact."""
    sender = document.sender.strip()
    if not EMAIL.fullmatch(sender) or NO_REPLY.match(sender) or "@kela.fi" in sender.lower():
        return
    for line in lines:
        if line.zone not in (OWN, FORWARD) or line.quoted:
            continue
        found = THIS_ADDRESS.search(line.text)
        if found:
            emails.append(Found(sender, line, found.start(), found.end(), None))
            return


def _signature_lines(document: Document, line: Line) -> list[Line]:
    segment = document.segments[line.segment]
    return [x for x in segment.lines if x.signature and x.text.strip()]


def find_signer(document: Document, lines: list[Line], labels: dict[int, LabelHit]) -> Found | None:
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
        name = signed_closing(first.text) or collapse(first.text)
        if is_person_name(name):
            start = first.text.find(name)
            if start < 0:
                return Found(name, first, 0, len(first.text), None)
            return Found(name, first, start, start + len(name), None)
    return None


def introduced_writer(lines: list[Line]) -> Found | None:
    """The writer's full name where the text introduces them ("Olen Pekka Nieminen ja ..."):
    the signer, when the signature gives no full name."""
    for line in lines:
        if line.signature or line.quoted or line.zone == HEADER:
            continue
        for found in INTRODUCTION.finditer(line.text, 0, 2000):
            name = cut_name(line.text[found.end() : found.end() + 80])
            if name and len(name.split()) >= 2:
                start = line.text.find(name, found.end())
                return Found(name, line, start, start + len(name), None)
    return None


def signature_org(document: Document, line: Line) -> Found | None:
    signature = _signature_lines(document, line)
    for candidate in signature:
        text = collapse(candidate.text)
        if ORG_SUFFIX.search(text) and not any(ch.isdigit() for ch in text) and "@" not in text:
            return Found(text, candidate, 0, len(candidate.text), None)
    return None


_IBAN = re.compile(r"\biban\b", re.I)


def signature_contacts(
    document: Document, line: Line, emails: list[Found], phones: list[Found]
) -> None:
    for candidate in _signature_lines(document, line):
        if BID.search(candidate.text) or _IBAN.search(candidate.text):
            continue
        collect_contacts(candidate, 0, candidate.text, None, emails, phones, "signature")


def same_person(a: str, b: str) -> bool:
    return a.casefold().split() == b.casefold().split() or set(a.casefold().split()) == set(
        b.casefold().split()
    )
