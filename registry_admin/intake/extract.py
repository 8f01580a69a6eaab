"""Find the five registration items, with evidence, in a message read as a Document."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from registry_admin import businessid
from registry_admin.intake.business_id_candidates import BID, business_id_candidates
from registry_admin.intake.contacts import (
    collect_contacts,
    find_signer,
    introduced_writer,
    same_person,
    sender_address,
    signature_contacts,
    signature_org,
)
from registry_admin.intake.document import (
    ANSWERABLE,
    FORWARD,
    HEADER,
    OWN,
    Document,
    Found,
    Line,
)
from registry_admin.intake.labels import BULLET, LabelHit
from registry_admin.intake.patterns import EMAIL, LEGAL_FORM, ORG_SUFFIX, PHONE
from registry_admin.intake.prose import (
    ADMIN,
    ADMIN_FOR,
    BECAUSE,
    CONTACT_ROLE,
    CONTACT_TRIGGER,
    DEFERRAL,
    DEFERRAL_VERB,
    FIRST_PERSON_CONTACT,
    INTENT,
    INTENT_OBJECT,
    NAME_THEN_REACH,
    SELF,
    SENTENCE_SPLIT,
    THIS_ADDRESS,
    UNDERSIGNED,
    name_before,
    org_from_prose,
    org_with_legal_form,
    sentences,
)
from registry_admin.intake.results import BusinessIdItem, Evidence, Extraction, Item
from registry_admin.intake.values import (
    ABSENT,
    TITLE,
    clean_value,
    collapse,
    cut_name,
    is_person_name,
)

_LEAD_CLAUSE = re.compile(r"^(.{5,120}?)\s[–—]\s(.+)$", re.S)
_ELSEWHERE = re.compile(r"\b(?:där|siellä|there)\b", re.I)
_PROSE_FIELDS = frozenset({"organization_name", "justification", "name"})
_RULE = re.compile(r"^\s*[-=_~*]{3,}\s*$")
# A name that ends at its legal form, then a remark in brackets ("X Oy (kotipalvelut)", "X ry
# (3304585-4)") or, read from prose, a word more ("X ry Kuohujoelta").
_REMARK_AFTER_FORM = re.compile(
    r"^(?P<name>.*?\b(?:ry|r\.y\.|rf|r\.f\.|sr|s\.r\.|oy|oyj|ab|abp|ky))(?::[a-zäö]{1,4})?\.?"
    r"(?:\s*\([^()]*\)|(?P<word>(?:\s+[A-ZÅÄÖa-zåäö][\wåäöÅÄÖ'’-]*){1,6}))\s*$",
    re.IGNORECASE,
)


def _without_remark(found: Found) -> Found:
    remark = _REMARK_AFTER_FORM.match(found.value)
    if remark is None or (remark.group("word") and found.label is not None):
        return found  # a labelled "X ry Nuorisotyö" is the organization as it wrote itself
    if remark.group("word") and ORG_SUFFIX.search(remark.group("word")):
        return found  # "Oy X Ab"
    value = remark.group("name")
    return Found(value, found.line, found.start, found.start + len(value), found.label)


_ENDS_IN_LEGAL_FORM = re.compile(r"\s" + LEGAL_FORM + r"\.?$", re.I)


def _name_standing_alone(lines: list[Line], labels: dict[int, LabelHit]) -> Found | None:
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
            # a name, not a sentence about "yhdistys": capitalised, or ending in its legal form
            and (text.strip()[:1].isupper() or _ENDS_IN_LEGAL_FORM.search(text.strip()))
            and not text.rstrip().endswith(":")
        ):
            return Found(text, line, 0, len(text), None)
    return None


def _with_legal_form(found: Found, lines: list[Line]) -> Found:
    """A name read without its legal form ("Vaaramäen työttömät haluaa ...") as the message
    also writes it with one ("Vaaramäen Työttömät ry", in a list or the signature)."""
    if ORG_SUFFIX.search(found.value) or len(found.value) < 4:
        return found
    fuller = re.compile(re.escape(found.value) + r"\s+(?:ry|rf|sr|oy|oyj|ab|abp|ky)\b", re.I)
    for line in lines:
        if len(line.text) < 400 and (written := fuller.search(line.text)):
            return Found(written.group(0), line, written.start(), written.end(), found.label)
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
            if asked is not None and asked.field in ANSWERABLE:
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
    values: dict[str, Found] = {}
    emails: list[Found] = []
    phones: list[Found] = []
    seen: set[str] = set()
    previous_field = None  # the item of the label read before, when it gave a value
    for position, hit in labels.items():
        field_before, previous_field = previous_field, None
        line = lines[position]
        name = hit.field
        multi = name in ("justification", "contact_details")
        again = document.label(line.text[hit.value_start :].strip())
        if again is not None and again.field == hit.field and again.separator == ":":
            # "Organisaatio – Organisation: X": the label in the other language, then the value
            hit = replace(hit, value_start=line.text.index(":", hit.value_start) + 1)
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
                collect_contacts(piece_line, offset, piece, hit.label, emails, phones, name)
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
        if len(value) < 200 and DEFERRAL.search(value) and DEFERRAL_VERB.search(value):
            continue  # "täydennän tämän kohdan ensi viikolla": announced, not given
        last_line, last_offset, last_text = pieces[-1]
        end = last_offset + len(last_text.rstrip())
        if last_line is not first_line:
            found = Found(value, first_line, first_offset, len(first_line.text), hit.label)
        else:
            found = Found(value, first_line, first_offset, end, hit.label)
        if name == "contact_name":
            person = cut_name(value)
            if person is None:
                continue
            value = person
            found.value = person
        if name == "contact_details" and "contact_name" not in values:
            person = cut_name(value)
            if person:
                values["contact_name"] = Found(person, first_line, first_offset, end, hit.label)
            continue
        if name == "contact_details":
            continue
        if name == "organization_name":
            value = _APPLICANT_NOTE.sub("", value)
            found.value = value
        if name == "justification" and field_before == name and name in values:
            # "Perustelu: …" then "Motivering: …": one reason, given in two languages.
            values[name].value = f"{values[name].value} {value}"
        values.setdefault(name, found)
        previous_field = name

    labelled = {name for name in values} | ({"contact_details"} if emails or phones else set())
    # Prose is read for the items when few labels are given, or when none of them gives the
    # organization or the reason (a letter over "Y-tunnus: / Kontaktuppgifter: / Telefon:").
    prose_mode = len(labels) < 2 or not any(hit.field in _PROSE_FIELDS for hit in labels.values())
    labelled_fields = {hit.field for hit in labels.values()}

    # Business ID: every candidate in the content, scored by its context.
    candidates = business_id_candidates(lines, value_of)
    best = max(candidates, key=lambda c: c.score, default=None)
    if best is not None and not best.label and _id_label_left_empty(lines, labels):
        # "Y-tunnus: ks. liite": the applicant's ID is elsewhere; an unlabelled one in the
        # text or a footer ("…seurakuntayhtymä, Y-tunnus …") is another body's.
        best = None
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
    if business_id is None and OWN in set(zones):
        business_id = _business_id_in_subject(document.subject)

    signer = find_signer(document, lines, labels) or introduced_writer(lines)
    body_lines = [
        (p, line)
        for p, line in enumerate(lines)
        if not line.signature and not line.closing and p not in labels
    ]

    # Prose: sentences of the new text that are neither labelled fields nor signature.
    prose_reason: list[tuple[Line, int, int, str, int]] = []  # ..., paragraph number
    about_ids: set[int] = set()  # paragraphs that open with a sentence naming a Business ID
    contact_name = values.get("contact_name")
    organization = values.get("organization_name")
    listed, in_list = _unlabelled_list(lines, labels, emails, phones)
    body_lines = [(p, line) for p, line in body_lines if p not in in_list]
    organization = organization or listed.get("organization_name")
    contact_name = contact_name or listed.get("contact_name")
    for number, paragraph in enumerate(_paragraphs(body_lines)):
        text = " ".join(line.text.strip() for line in paragraph)
        for offset, sentence in sentences(text):
            line = _line_at(paragraph, offset)
            org = org_from_prose(sentence)
            joining = False
            if org is None and organization is None:
                org = org_with_legal_form(sentence)
                joining = org is not None
            if organization is None and org:
                organization = Found(org, line, 0, len(line.text), None)
            if org and len(sentence.replace(org, " ").split()) < 5:
                continue  # "Vår förening heter X." names the applicant, gives no reason
            if joining and not BECAUSE.search(sentence):
                continue  # "Haluaisimme X ry:n mukaan rekisteriin." asks, gives no reason
            if DEFERRAL.search(sentence) and DEFERRAL_VERB.search(sentence):
                continue  # "Perustelut lähetämme myöhemmin."
            trigger = CONTACT_TRIGGER.search(sentence)
            if trigger and _ELSEWHERE.search(trigger.group(0)):
                continue  # "Kontaktperson där är X": the contact of the body named before
            role = None if trigger else CONTACT_ROLE.search(sentence)
            # "... ohjaaja Marketta Ollila, jonka tavoittaa ...", "... Bertil Lönnqvist, som nås
            # på ...": the person named just before how to reach them.
            reach = NAME_THEN_REACH.search(sentence)
            has_contact = EMAIL.search(sentence) or (
                (trigger or role or reach) and PHONE.search(sentence)
            )
            if trigger or role or has_contact:
                if (
                    contact_name is None
                    and reach
                    and (person := name_before(sentence[: reach.start()]))
                ):
                    contact_name = Found(person, line, 0, len(line.text), None)
                if contact_name is None and role:
                    person = name_before(sentence[: role.start()])
                    if person:
                        contact_name = Found(person, line, 0, len(line.text), None)
                if contact_name is None and trigger:
                    after = sentence[trigger.end() :]
                    self_reference = SELF.match(after)
                    named = after[self_reference.end() :] if self_reference else after
                    person = cut_name(named.lstrip(" ,:–-"))  # "ring mig, Henrik L, på …"
                    if person:
                        contact_name = Found(person, line, 0, len(line.text), None)
                    elif signer is not None and (
                        UNDERSIGNED.search(after[:40])
                        or self_reference
                        or FIRST_PERSON_CONTACT.search(trigger.group(0))
                    ):
                        contact_name = signer
                # Every line of the sentence: it may run over several ("... hoitaa / mun
                # numero 040...").
                for piece_line in paragraph:
                    if (
                        piece_line.text.strip() and piece_line.text.strip() in sentence
                    ) or sentence in piece_line.text:
                        collect_contacts(
                            piece_line, 0, piece_line.text, None, emails, phones, "prose"
                        )
                        if sentence in piece_line.text:
                            break
                continue
            if _is_greeting(sentence):
                continue
            if not prose_mode and "justification" in labelled_fields:
                continue
            lead = _LEAD_CLAUSE.match(sentence)
            if lead and ADMIN.search(lead.group(1)) and len(lead.group(2).split()) >= 8:
                # "X ry:stä kirjottelen – meillä on …": the reason after the writer's lead-in
                offset += lead.start(2)
                sentence = lead.group(2)
            if (
                ADMIN.search(sentence)
                or ADMIN_FOR.search(sentence)
                or THIS_ADDRESS.search(sentence)
            ):
                continue
            if BID.search(sentence):
                if offset == 0:
                    about_ids.add(number)
                continue
            if (
                INTENT.search(sentence)
                and INTENT_OBJECT.search(sentence)
                and not BECAUSE.search(sentence)
            ):
                continue  # asks to join; "... eftersom ..." gives its reason as well
            if len(sentence.split()) < 4 or sentence.rstrip().endswith("?"):
                continue
            prose_reason.append((line, offset, offset + len(sentence), sentence, number))

    justification_found = values.get("justification")
    justification = justification_found.item(parts) if justification_found else None
    if justification is None and "justification" in listed:
        justification = listed["justification"].item(parts)
    if not prose_mode:
        # Beside labels that give other items, only a paragraph of its own is a reason.
        prose_reason = _substantial_paragraphs(prose_reason)
    if justification is None and prose_reason:
        # After the reason, a paragraph that opens on a Business ID ("Asukastupa toimii X Oy:n
        # (Y-tunnus …) tiloissa.") remarks on other bodies, and its sentences are no reason.
        first = prose_reason[0][4]
        prose_reason = [e for e in prose_reason if e[4] == first or e[4] not in about_ids]
        prose_reason = _from_the_stated_reason(prose_reason)
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
        organization = signature_org(document, best.line)
    if organization is None:
        organization = _signature_org_named_in_text(lines)

    if contact_name is None and signer is not None:
        contact_name = signer
    if (
        not emails
        and not phones
        and contact_name is not None
        and signer is not None
        and same_person(contact_name.value, signer.value)
    ):
        signature_contacts(document, signer.line, emails, phones)

    if not emails:
        sender_address(document, lines, emails)
    email = emails[0] if emails else None
    phone = phones[0] if phones else None
    if contact_name is not None and email is not None:
        contact_name = _in_base_form(contact_name, email.value)
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


def _signature_org_named_in_text(lines: list[Line]) -> Found | None:
    """The signature's organization when the writer's own text names it too ("the project of
    X ry came to an end"): a name in the signature alone may be the writer's employer only."""
    text_lines = [line for line in lines if not (line.signature or line.closing or line.quoted)]
    for line in lines:
        name = collapse(line.text)
        if (
            line.signature
            and ORG_SUFFIX.search(name)
            and len(name.split()) <= 8
            and not any(ch.isdigit() for ch in name)
            and "@" not in name
            and "," not in name
        ):
            for other in text_lines:
                if (start := other.text.find(name)) >= 0:
                    return Found(name, other, start, start + len(name), None)
    return None


# The evidence source of a value read from the Subject header rather than a text part.
SUBJECT = "subject"


def _id_label_left_empty(lines: list[Line], labels: dict[int, LabelHit]) -> bool:
    """Whether the form's Business ID label is there with no ID: "ks. liite", "-", "tulossa"."""
    for position, hit in labels.items():
        if hit.field == "business_id":
            value = lines[position].text[hit.value_start :].strip()
            if value and ABSENT.match(value):
                return True
    return False


_FOLD = str.maketrans("äöåé", "aoae")


def _in_base_form(name: Found, address: str) -> Found:
    """A contact named in the genitive ("kollegani Anu Heinosen") in the base form that the
    address writes ("anu.heinonen@…"): only where the address says so, since "Hansen" and
    "Larsen" end the same way. (Only -sen: a genitive "-n" dropped would turn "Lindén" into
    "Lindé" beside "asa.linde@".)"""
    *first, last = name.value.split() or [""]
    local = address.split("@")[0].lower().translate(_FOLD)
    if not last.endswith("sen"):
        return name
    candidate = last[:-3] + "nen"
    if candidate.lower().translate(_FOLD) in local and last.lower().translate(_FOLD) not in local:
        return replace(name, value=" ".join([*first, candidate]))
    return name


def _business_id_in_subject(subject: str) -> BusinessIdItem | None:
    """A valid Business ID the subject gives when the text gives none ("Rekisteri – X ry,
    Y-tunnus 3477169-8")."""
    for found in BID.finditer(subject):
        check = businessid.check(found.group(0))
        if check.valid:
            return BusinessIdItem(
                collapse(found.group(0)),
                check.normalized,
                True,
                Evidence(SUBJECT, found.start(), found.end(), None),
            )
    return None


def _substantial_paragraphs(
    reason: list[tuple[Line, int, int, str, int]],
) -> list[tuple[Line, int, int, str, int]]:
    """The sentences of paragraphs that give at least two of them and 25 words."""
    sentences_in: dict[int, list[str]] = {}
    for _line, _start, _end, sentence, number in reason:
        sentences_in.setdefault(number, []).append(sentence)
    kept = {
        number
        for number, said in sentences_in.items()
        if len(said) >= 2 and sum(len(s.split()) for s in said) >= 25
    }
    return [entry for entry in reason if entry[4] in kept]


def _from_the_stated_reason(
    reason: list[tuple[Line, int, int, str, int]],
) -> list[tuple[Line, int, int, str, int]]:
    """The reason from the paragraph that opens by applying and saying why ("Haemme …, koska
    …"), when one comes after other paragraphs: those introduce the organization."""
    for position, (_line, _start, _end, sentence, number) in enumerate(reason):
        if (
            position > 0
            and number != reason[position - 1][4]
            and INTENT.search(sentence)
            and INTENT_OBJECT.search(sentence)
            and BECAUSE.search(sentence)
        ):
            return reason[position:]
    return reason


def _unlabelled_list(
    lines: list[Line],
    labels: dict[int, LabelHit],
    emails: list[Found],
    phones: list[Found],
) -> tuple[dict[str, Found], set[int]]:
    """The items of a numbered or bulleted list that gives them without labels ("1. 1234567-8",
    "2. Testi ry", ...), each told by its shape, and the positions of the list's lines. A list
    counts only when it carries a Business ID, a contact detail or a person's name, so that a
    list of reasons stays prose."""
    found: dict[str, Found] = {}
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
    runs.extend(_bare_runs(lines, labels, {p for run in runs for item in run for p in item}))
    for run in runs:
        shapes: dict[str, Found] = {}
        data = False
        for item in run:
            line = lines[item[0]]
            bullet = BULLET.match(line.text)
            start = bullet.end() if bullet else 0
            text = collapse(" ".join([line.text[start:]] + [lines[j].text for j in item[1:]]))
            if item[0] in labels:
                data = True
                continue
            if EMAIL.search(text) or PHONE.search(text):
                data = True
                collect_contacts(line, start, line.text[start:], None, emails, phones, "list")
                continue
            if BID.fullmatch(text.strip(" .")):
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
                shapes.setdefault("contact_name", Found(value, line, start, len(line.text), None))
            elif (
                1 <= len(words) <= 8
                and not SENTENCE_SPLIT.search(text)
                and ORG_SUFFIX.search(text)
                and words[0][:1].isupper()
            ):
                shapes.setdefault(
                    "organization_name", Found(value, line, start, len(line.text), None)
                )
            elif len(words) >= 5 and not (INTENT.search(text) and INTENT_OBJECT.search(text)):
                shapes.setdefault(
                    "justification", Found(collapse(text), line, start, len(line.text), None)
                )
        if data:
            for name, value in shapes.items():
                found.setdefault(name, value)
            consumed.update(position for item in run for position in item)
    return found, consumed


def _bare_runs(
    lines: list[Line], labels: dict[int, LabelHit], taken: set[int]
) -> list[list[list[int]]]:
    """Blocks of three to seven lines of the writer's own, with neither bullets nor labels,
    one of which is a Business ID alone: the items given in the order asked, a line each
    ("2940573-4" / "Testi ry" / the reason / "Sirpa Mönkkönen" / "sirpa@…, 044 …")."""
    blocks: list[list[int]] = []
    block: list[int] = []
    for position, line in enumerate(lines):
        usable = (
            line.text.strip()
            and line.zone in (OWN, FORWARD)
            and not (line.signature or line.closing or line.quoted)
            and position not in labels
            and position not in taken
        )
        if usable and (not block or position == block[-1] + 1):
            block.append(position)
            continue
        blocks.append(block)
        block = [position] if usable else []
    blocks.append(block)
    return [
        [[position] for position in block]
        for block in blocks
        if 3 <= len(block) <= 7 and any(BID.fullmatch(lines[p].text.strip(" .")) for p in block)
    ]


def _is_greeting(sentence: str) -> bool:
    words = sentence.split()
    return (
        len(words) <= 6
        and sentence.rstrip().endswith((",", "!", ":"))
        and not EMAIL.search(sentence)
    )


_WRAPPED = 100  # mail programs wrap plain text at 72 to 80 characters


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
        if len(line.text) > _WRAPPED and line.text.rstrip().endswith((".", "!", "?")):
            # Longer than any wrapped line: a paragraph of its own (HTML writes one a line).
            result.append(current)
            current = []
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
