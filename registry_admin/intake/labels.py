"""Labels: the words people put before each of the five items, in Finnish, Swedish and English,
and match_label, which reads one at the start of a line (a known label, or a short heading
whose words say which item follows)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from registry_admin.intake.caseless import Caseless
from registry_admin.intake.patterns import EMAIL, ORG_SUFFIX, PHONE

BULLET = re.compile(r"^\s*(?:[-*•·–▪◦►>]|\d{1,2}[.)])\s+")

_LABELS: dict[str, str] = {
    "business_id": r"""(?:
        (?:(?P<qual>[\wåäöÅÄÖ'’-]+)\s+)?
        (?:y[-\s]?tunnu(?:s|ksemme|ksenne)|fo[-\s]?(?:nummer|nr\.?|numret)|
           business\s*id(?:entity\s+code)?|business\s+identity\s+code|
           company\s+(?:id|registration\s+(?:number|no\.?))|organi[sz]ation\s+id|
           organisationsnumm?er|organisationsnr\.?|org\.?\s?nr\.?|
           (?:yritys-\s*ja\s+)?yhteisötunnus|
           organi[sz]ation\s+(?:number|no\.?)|registration\s+(?:number|no\.?))
        (?:\s*/\s*(?:y[-\s]?tunnus|fo[-\s]?(?:nummer|nr\.?)|business\s*id))?)""",
    "vat_id": r"""(?:alv[-\s]?(?:nro|numero|tunnus|rek\.?(?:isteröintinumero)?)|
        vat(?:\s+(?:number|no\.?|id|reg\.?))?|moms(?:reg\.?|registreringsnummer|nummer|nr))""",
    "organization_name": r"""(?:
        (?:organisaation|yhdistyksen|yrityksen|yhteisön|säätiön|hakijan|hakijaorganisaation)
            \s+(?:virallinen\s+)?nimi|
        hakijaorganisaatio|
        organisationens\s+(?:namn|officiella\s+namn)|föreningens\s+namn|företagets\s+namn|
        namn\s+på\s+organisationen|organisationsnamn|sökande(?:organisation)?|
        name\s+of\s+(?:the\s+)?(?:organi[sz]ation|association|company|applicant)|
        (?:organi[sz]ation|company|association|applicant|org\.?)(?:'s|’s)?\s+name|
        applicant\s+organi[sz]ation|organisaatio|hakija|yhteisö|organi[sz]ation|applicant)""",
    "justification": r"""(?:
        perustelu(?:t|ja)?(?:\s+(?:(?:ajanvaraus)?järjestelmän|palvelun)?\s*käytölle)?|
        käyttötarkoitus|käytön\s+peruste(?:et|lu|lut)?|syy\s+(?:järjestelmän\s+)?käyttöön|
        motivering(?:ar)?(?:\s+(?:till|för)\s+användning(?:en)?(?:\s+av\s+[\wåäö-]+)?)?|
        motivation|ändamål|skäl(?:\s+för\s+användning(?:en)?)?|
        reasons?(?:\s+for\s+(?:using|the\s+use\s+of|use\s+of)\s+(?:the\s+)?
            (?:appointment\s+)?(?:booking\s+)?(?:system|service)|\s+for\s+(?:access|applying))?|
        justification(?:\s+for\s+(?:use|using\s+the\s+(?:booking\s+)?system))?|
        purpose(?:\s+of\s+use)?|grounds(?:\s+for\s+use)?|rationale)""",
    "contact_details": r"""(?:
        (?:yhteyshenkilön\s+)?yhteystiedot|yhteystieto|
        (?:kontaktpersonens\s+)?kontaktuppgifter|kontaktinformation|
        contact\s+(?:person(?:'s|’s)\s+)?(?:details|information|info)|contact)""",
    "contact_name": r"""(?:
        yhteyshenkilö(?:n\s+nimi|mme|t)?|kontaktihenkilö(?:n\s+nimi)?|vastuuhenkilö|
        yht\.\s?hlö|yhteyshlö|kontaktp\.|
        kontaktperson(?:ens\s+namn)?|kontakt\s+person|
        (?:name\s+of\s+(?:the\s+)?)?contact\s+person(?:(?:'s|’s)\s+name)?|contact\s+name|
        point\s+of\s+contact|poc)""",
    "email": r"""(?:sähköposti(?:osoite)?|s-?posti|e-?mail(?:\s+address)?|e-?post(?:adress)?)""",
    "phone": r"""(?:puhelin(?:numero)?|puh\.?|gsm|matkapuhelin|tel(?:ephone|efon|\.)?|tfn\.?|
        phone(?:\s+number)?|mobile|mob\.?|mobil|p\.)""",
    "other": r"""(?:(?:käynti|posti|laskutus)?osoite|(?:post|besöks)?adress|address|iban|
        kotisivu(?:t)?|website|webbplats|www|lisätiedot|övrigt|other)""",
}

_TRAILER = r"""(?P<paren>\s*\((?![\d\s+-]+\))[^()\n]{1,60}\))?(?P<alt>\s*/\s*[^:\t/\n]{1,45}?(?=\s*[:\t]))?"""
# Besides a colon or a tab, people set a value off with a spaced dash, "=", "|" or dot leaders.
_SEP = r"""(?P<sep>\s*[:：]\s*|\s*\t\s*|\s+(?:-{1,2}>?|=>|[–—|=])\s+|\s+[–—|=](?=\S)|
    \s*[|=]\s+|\s*(?:\.{3,}|…+)[.…\s]*|\s{2,}|\s+(?=\S)|\s*$)"""
_LABEL_RX = {
    name: re.compile(r"^(?:" + pattern + ")" + _TRAILER + _SEP, re.I | re.X)
    for name, pattern in _LABELS.items()
}
# Every label above starts with one of these words: most lines start with none, and one match
# of them all rules out the nine patterns.
_ANY_LABEL_START = re.compile("^(?:" + "|".join(_LABELS.values()) + ")", re.I | re.X)
_APPLICANT_QUALIFIERS = {
    "organisaation", "yhdistyksen", "yrityksen", "hakijan", "säätiön", "yhteisön", "hakijaorganisaation",
    "organisationens", "föreningens", "företagets", "sökandens", "stiftelsens",
    "the", "our", "organisation's", "organization's", "company's", "applicant's",
    "association's", "organisation’s", "organization’s", "oma", "vårt",
    "meidän", "vår", "våran", "omamme", "my", "company", "organisation", "organization",
}  # fmt: skip
_BID_SHAPE = re.compile(r"^(?:FI\s?)?\d{6,7}\s?[-‐‑‒–—−]?\s?\d\b", re.I)


@dataclass(frozen=True)
class LabelHit:
    """A label at the start of a line and where its value begins."""

    field: str
    label: str
    value_start: int  # offset in the line's text
    separator: str
    bullet: bool


# A label nobody listed is still read the way a person reads a form: a short heading before a
# colon or a tab, whose words say which item follows. The first matching rule wins, so that
# "Yhteyshenkilön sähköposti" is a contact detail and "Yhdistyksen nimi" an organisation.
_FREE_LABEL = re.compile(
    r"^(?P<label>[^\W\d][^:\t@/\d]{0,58}?(?:\s*/\s*[^:\t@\d]{1,40}?)?)"
    r"(?P<sep>\s*[:：](?![a-zåäö])\s*|\s*\t\s*|\s+(?:-{1,2}>?|=>|[–—|=])\s+|\s*[|=]\s+)"
)
# Each separator above has one of these characters; most lines of prose have none.
_FREE_LABEL_SEPARATOR_MARK = re.compile(r"[:：\t=|–—-]")
_FREE_LABEL_WORDS: tuple[tuple[str, Caseless], ...] = tuple(
    (name, Caseless(pattern))
    for name, pattern in (
        (
            "other",
            r"emo|taustaorganisaatio|kattojärjestö|vuokranantaja|kumppani|moderbolag|"
            r"huvudman|parent|landlord|partner|umbrella|osoite|adress|address|iban|"
            r"tilinumero|kontonummer|account|www|website|kotisivu|webbplats|ovt|"
            r"laskutus|fakturer|invoic|päivämäärä|datum|date|aihe|ämne|subject",
        ),
        (
            "contact_details",
            r"sähköpost|s-posti|e-?post|e-?mail|puhelin|\bpuh\b|\bgsm\b|"
            r"\btel|telefon|\bphone|\bmobil|yhteystie|kontaktuppgift|"
            r"kontaktinfo|contact\s+(?:details|info)|how\s+to\s+reach|\bkontakt$|"
            r"^yhteys$|^yhteydet$|\breach\s+(?:me|us|her|him|them)",
        ),
        (
            "contact_name",
            r"yhteyshenkilö|yhteyshlö|kontaktihenkilö|vastuuhenkilö|"
            r"yhteyshenk|kontaktperson|kontakt\s+person|contact(?:\s+person)?|"
            r"ansvarsperson|responsible\s+person",
        ),
        (
            "justification",
            r"perustel|\bsyy|\bsyyt|tarkoitu|\btarve|tarvitse|\bmiksi|"
            r"motiver|\bskäl|orsak|ändamål|varför|syfte|behov|\breason|\bwhy\b|"
            r"purpose|justif|rationale|motivation|\bneed|grounds|\buse\b|\busing\b|"
            r"\bkäytt|\banvänd",
        ),
        (
            "organization_name",
            r"organisaatio|yhdistys|yhdistyksen|yritys|yrityksen|yhteisö|"
            r"säätiö|järjestö|hakija|toimija|\bseura|organisation|förening|"
            r"företag|bolag|sökande|stiftelse|organi[sz]ation|company|"
            r"association|applicant|foundation|society|\bclub",
        ),
        (
            "name",
            r"^(?:\S+\s+){0,2}(?:nimi|namn|name)$",  # "Nimi", "Registered name"
        ),
    )
)


_QUESTION_WORD = re.compile(
    r"(?:why|what|how|miksi|mihin|mitä|miten|varför|vad|hur|vilka|which)\b", re.I
)
_COPULA = re.compile(r"\b(?:on|ovat|oli|olivat|är|var|is|are|was|were|will|kommer)\b", re.I)
_HEADING_FIELDS = ("justification", "organization_name", "contact_name", "contact_details")


_NOT_IN_HEADING = re.compile(r"[.!,;@\d]")


def _free_label(body: str, body_start: int, bullet: bool) -> LabelHit | None:
    """A label outside the known vocabulary, told by the words of a short heading."""
    found = _FREE_LABEL.match(body) if _FREE_LABEL_SEPARATOR_MARK.search(body) else None
    if not found:
        # A heading on a line of its own ("Why we need it"), its value on the lines below.
        heading = body.strip()
        if heading.isupper() and len(heading) > 3:
            heading = heading.capitalize()  # "MIKSI HAEMME", a heading in capitals
        words = heading.split()
        if (
            1 <= len(words) <= 5
            and heading[:1].isupper()
            and not _NOT_IN_HEADING.search(heading)
            # a value line such as "Bergbyns Hembygdsförening rf" is no heading
            and sum(1 for w in words if w[:1].isupper()) == 1
            and not (len(words) > 1 and ORG_SUFFIX.search(heading))
            # "Perustelut ovat seuraavat" is a sentence; "Why we need it" a question heading
            and (_QUESTION_WORD.match(heading) or not _COPULA.search(heading))
        ):
            for name, rx in _FREE_LABEL_WORDS:
                if rx.search(heading.rstrip("?")):
                    if name in _HEADING_FIELDS:
                        return LabelHit(name, heading, body_start + len(body), "eol", bullet)
                    break
        return None
    label = found.group("label").strip()
    words = label.split()
    if not 1 <= len(words) <= 7 or label.endswith((".", "!", ",")):
        return None
    value = body[found.end() :]
    if value.startswith("//"):  # "https://..."
        return None
    for name, rx in _FREE_LABEL_WORDS:
        if rx.search(label):
            separator = "\t" if "\t" in found.group("sep") else ":"
            return LabelHit(name, label, body_start + found.end(), separator, bullet)
    return None


def match_label(text: str, *, loose: bool = False) -> LabelHit | None:
    """The longest known label at the start of `text`, if the line reads as a labelled field;
    `loose` for a line of a form without colons, where a space may end any label."""
    bullet = BULLET.match(text)
    if bullet and text[bullet.end() :].startswith(("-", "*")):
        bullet = None
    body_start = bullet.end() if bullet else len(text) - len(text.lstrip())
    body = text[body_start:]
    hit = _known_label(body, body_start, bool(bullet), loose)
    if hit is None and loose:
        bare = _BARE_NAME_IN_FORM.match(body)
        if bare:
            hit = LabelHit("name", bare.group(1), body_start + bare.end(), "space", bool(bullet))
    if hit is None:
        hit = _free_label(body, body_start, bool(bullet))
    return hit


_MARKED_SEPARATOR = re.compile(r"[:：–—|=-]|\.{3}|…")
# In a form without colons, a bare "Nimi Aholan seurakuntayhtymä": a name of two words or more
# after it (read as a person's or the organization's by the value, as after "Nimi:").
_BARE_NAME_IN_FORM = re.compile(r"(nimi|namn|name) +(?=[^\s:\t]+ +[^:\t]*$)", re.IGNORECASE)


def _known_label(body: str, body_start: int, bullet: bool, loose: bool = False) -> LabelHit | None:
    if not _ANY_LABEL_START.match(body):
        return None
    best: tuple[int, str, re.Match[str]] | None = None
    for name, rx in _LABEL_RX.items():
        found = rx.match(body)
        if not found:
            continue
        label_end = found.start("sep")
        if best is None or label_end > best[0]:
            best = (label_end, name, found)
    if best is None:
        return None
    _, name, found = best
    separator = found.group("sep")
    value = body[found.end() :]
    kind = ":" if _MARKED_SEPARATOR.search(separator) else "\t" if "\t" in separator else ""
    if not kind:
        if not value.strip():
            kind = "eol"
        elif len(separator) >= 2 and not found.group("alt"):
            kind = "spaces"
        else:
            kind = "space"
    if kind == "space":
        # "Y-tunnus 1234567-8" needs no colon; other labels need a bullet to read as a field.
        shaped = name in ("business_id", "vat_id") and _BID_SHAPE.match(value)
        contact = name in ("email", "phone") and (EMAIL.match(value) or PHONE.match(value))
        # In a form without colons a space ends a label, unless a tab or colon later does; a
        # single word after it more likely ends the label ("Perustelut rekisteröinnille").
        form = loose and "\t" not in value and ":" not in value and len(value.split()) >= 2
        if not (shaped or contact or ((bullet or form) and name not in ("other",))):
            return None
    if kind == "eol" and len(body.split()) > 8:
        return None
    if name == "business_id":
        qual = (found.group("qual") or "").lower()
        # "Organisaatiomme", "yhdistyksemme": a first-person possessive names the applicant.
        if qual and qual not in _APPLICANT_QUALIFIERS and not qual.endswith("mme"):
            name = "other_business_id"
    return LabelHit(
        name, body[: found.start("sep")].strip(), body_start + found.end(), kind, bullet
    )
