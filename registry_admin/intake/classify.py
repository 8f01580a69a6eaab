"""Tell what kind of mail a message is and which language its sender wrote in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from registry_admin.intake.business_id_candidates import BID
from registry_admin.intake.caseless import Caseless, contains_any, required_substrings
from registry_admin.intake.document import (
    FORWARD,
    HEADER,
    KELA,
    OWN,
    REPLY,
    Document,
)
from registry_admin.intake.mime import DecodedMessage
from registry_admin.intake.patterns import LEGAL_FORM
from registry_admin.intake.prose import INTENT, INTENT_OBJECT
from registry_admin.intake.results import Extraction

REQUEST, FOLLOWUP, REMOVAL = "request", "followup", "removal"
AUTOREPLY, BOUNCE, SPAM, OTHER = "autoreply", "bounce", "spam", "other"
KINDS = (REQUEST, FOLLOWUP, REMOVAL, AUTOREPLY, BOUNCE, SPAM, OTHER)


@dataclass(frozen=True)
class Classification:
    """The kind of a message and the rule that decided it (for staff, never personal data)."""

    kind: str
    reason: str


_BOUNCE_FROM = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|bounces?)(?:[+@]|$)", re.I)
_BOUNCE_SUBJECT = Caseless(
    r"undeliver|undelivered|delivery status notification|delivery (?:has )?fail|failure notice|"
    r"returned mail|mail delivery failed|could not be delivered|non[- ]?delivery|"
    r"toimitus epäonnistui|ei voitu toimittaa|palautunut viesti|olevererbar|kunde inte levereras|"
    r"leverans(?:en)? misslyckades|unzustellbar"
)
_AUTOREPLY_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|out of (?:the )?office|"
    r"automaattinen vastaus|poissa(?:olo)?|lomalla|autosvar|automatiskt svar|frånvaro|"
    r"abwesenheit|réponse automatique|\[auto[- ]?generated\]|auto generated|"
    r"away\s+(?:until|from\s+the\s+office)|borta\s+(?:till|från)\s|poissa\s+toimistolta)",
    re.I,
)
_REPLY_SUBJECT = re.compile(r"^\s*(?:\[[^\]]*\]\s*)*(?:re|sv|vs|aw|antw|vast|svar)\s*:", re.I)
_REGISTRY_SUBJECT = re.compile(
    r"ajanvaraus\s*järjestelmä|tidsbokning|booking system|rekister|register|registr|"
    r"ajanvarau|appointment\s+booking",
    re.I,
)
# Searched in the lower-cased text, without re.I: the same matches (the patterns are written in
# lower case; checked below), three times faster.
_SPAM_SIGNS: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(pattern), weight)
    for pattern, weight in (
        (r"https?://\S+", 1),
        (r"https?://\S*(?:login|verify|verif|account|update|paivit|secure|signin|password)", 2),
        (
            r"\b(?:vahvista|verify|verifiera|bekräfta)\s+(?:tilisi|tili|your\s+account|ditt\s+konto)",
            2,
        ),
        (r"\b\d{1,3}\s*(?:tunnin|hours?|timmar(?:s)?)\b", 2),
        (r"salasana|password|lösenord|pankkitunnu|bank\s+credentials|bankkoder", 2),
        (
            r"postilaatikko\w*\s+(?:on\s+)?(?:\d+\s*%\s+)?täynnä|tallennustila|mailbox\s+(?:is\s+)?full|"
            r"postlåda\w*\s+är\s+full|storage\s+(?:is\s+)?(?:almost\s+)?full",
            2,
        ),
        (r"poistetaan|suljetaan|will\s+be\s+(?:closed|suspended|deleted)|stängs|raderas", 2),
        (r"\baction\s+required\b|toimenpiteitä\s+vaaditaan|åtgärd\s+krävs", 2),
        (r"\bpäivitä\b|update\s+your|uppdatera\s+(?:dina|era)", 1),
        (r"\bseo\b|first\s+page\s+of\s+google|ranking|rankning|hakukonenäky", 2),
        (r"free\s+(?:audit|trial|quote)|ilmai\w+\s+(?:kokeilu|arvio)|gratis", 2),
        (r"guaranteed|taattu|garanterad", 2),
        (r"reply\s+yes|click\s+here|klikkaa\s+tästä|klicka\s+här", 2),
        (r"special\s+offer|erikoistarjous|erbjudande|discount|alennus|rabatt", 2),
        # a price cut ("-30 %"), an offer, a free demonstration
        (r"(?<![\w-])[-–]\s?\d{1,2}\s?%|\d{1,2}\s?%\s+(?:off|alennus\w*|rabatt)", 2),
        (r"\btarjou(?:s|ksen|kset|ksia|ksiin|ksiimme|ksemme)\b|\bkampanja\w*", 1),
        (r"maksuto(?:n|nta)\s+(?:esittely|esittelyn|kokeilu|demo)|free\s+demo|gratis\s+demo", 2),
        # an invoice to pay, and a premium-rate number to call
        (
            r"\b(?:lasku\s*(?:nro|numero)|eräpäivä|viitenumero|fakturanummer|förfallodag|"
            r"invoice\s+(?:no|number)|due\s+date)\b",
            2,
        ),
        (r"\d[,.]\d\d\s*(?:€|eur)\s*/\s*min", 2),
        # contact lists for sale
        (
            r"\bb2b\b|decision[- ]makers?|päätöksentekijö\w*|beslutsfattare|sales\s+leads|"
            r"lead\s+data|\b\d+\s+free\s+(?:contacts|leads|records)",
            2,
        ),
        (
            r"bitcoin|crypto|investment\s+opportunit|lottery|you\s+(?:have\s+)?won|voittanut|vunnit",
            3,
        ),
        (r"unsubscribe|peruuta\s+tilaus|avsluta\s+prenumeration", 1),
        # A form sent out to be filled in: an applicant writes values, not blanks.
        (
            r"(?m)^[^:\n]{2,50}:[ \t]*(?:_{3,}|\.{4,}|…+|\[[ \t]*\])[ \t]*\n(?:.*\n){0,3}?"
            r"[^:\n]{2,50}:[ \t]*(?:_{3,}|\.{4,}|…+|\[[ \t]*\])[ \t]*$",
            2,
        ),
        # "Vahvista tiedot", "confirm your details": a directory or phishing sender.
        (
            r"\b(?:vahvista\w*|tarkista\w*)\s+(?:\w+\s+)?(?:tiedo\w*|tietonne|yrityksenne)|"
            r"\b(?:confirm|verify|update)\s+(?:your|the)\s+(?:company\s+)?"
            r"(?:details|information|listing|data)|"
            r"\b(?:bekräfta|verifiera|uppdatera|kontrollera|granska)\s+(?:era\s+|dina\s+)?"
            r"(?:uppgifter\w*|företags\w*)",
            2,
        ),
        # A yearly fee, or registration that takes effect by paying an enclosed invoice.
        (
            r"\b(?:vuosi|kuukausi|rekisteröinti|rekisteri|julkaisu)maksu\w*[^\n]{0,20}?\d|"
            r"\b(?:års|månads|registrerings|register)avgift\w*[^\n]{0,20}?\d|"
            r"\b(?:annual|yearly|monthly|listing|registration|registry|register)\s+"
            r"(?:(?:registry|register|listing|membership|service)\s+)?fee[^\n]{0,20}?\d|"
            r"\b(?:maksamalla|by\s+paying|genom\s+att\s+betala)\s+(?:\w+\s+){0,2}"
            r"(?:lasku\w*|invoice|faktura\w*)|"
            r"\b(?:lasku|laskun|fakturan?|the\s+invoice)\s+(?:on|är|is|has\s+been)\s+"
            r"(?:maksettu|betald|paid)",
            2,
        ),
        # A price for a yearly or monthly listing, and terms accepted by replying or clicking.
        (
            r"\d\s*(?:€|eur(?:oa?)?\b)[^\n]{0,25}?(?:/|per|\bse\b|\ba\b)\s*"
            r"(?:vuo\w*|v\b|year|yr|år|kk|kuukau\w*|month|månad)",
            2,
        ),
        (
            r"hyväksyt\s+(?:\w+\s+)?(?:sopimus)?ehdot|you\s+(?:accept|agree\s+to)\s+the\s+terms|"
            r"godkänner\s+(?:ni\s+|du\s+)?(?:avtals)?villkoren",
            2,
        ),
    )
)
if any(
    re.sub(r"\\.", "", rx.pattern) != re.sub(r"\\.", "", rx.pattern).lower()
    for rx, _ in _SPAM_SIGNS
):
    raise RuntimeError("a spam pattern has an upper-case letter: it is matched in lower case")
# The signs every newsletter shows: a link, and how to unsubscribe.
_EVERY_NEWSLETTER = frozenset(
    number
    for number, (rx, _weight) in enumerate(_SPAM_SIGNS)
    if rx.pattern == r"https?://\S+" or rx.pattern.startswith("unsubscribe")
)
# Words each sign needs: substring tests rule most signs out faster than their patterns.
_SPAM_NEEDS = tuple(required_substrings(rx) for rx, _ in _SPAM_SIGNS)
_REMOVAL = Caseless(
    r"poista\w*|poisto\w*|ta\s+bort|tas\s+bort|borttag\w*|avregistr\w*|stryk\w*|avföra?s?|"
    r"remov\w*|delet\w*|de-?regist\w*|unregist\w*|take\s+(?:us\s+)?off|"
    # "best if our organisation no longer appeared there", "ei enää olisi mukana"
    r"no\s+longer\s+(?:appear\w*|be\s+(?:listed|included|registered)|listed)|"
    r"ei\s+enää\s+(?:olisi|ole|näkyisi|näy)\s+(?:mukana|rekisterissä|listalla)|"
    r"inte\s+längre\s+(?:ska\s+)?(?:finnas|stå|vara)\s+(?:med|i\s+registret|på\s+listan)"
)
_REGISTRY_WORD = re.compile(r"rekister\w*|register\w*|registr\w*", re.I)
_FOLLOWUP_WORDS = Caseless(
    r"puuttui|puuttuivat|puuttuu|puuttuva\w*|puuttun\w*|unohtui|unohtu\w*|täydennä\w*|"
    r"täydennyksenä|blev\s+fel|rätt\s+(?:telefon)?nummer|oikea\s+(?:puhelin)?numero|"
    r"wrong\s+(?:phone\s+)?number|correct\s+(?:phone\s+)?number|"
    r"lisäyksenä|korjaus|väärin\s+päin|oikea\s+(?:y-)?tunnus|rätt\s+fo-?nummer|"
    r"the\s+correct\s+(?:business\s+)?id|"
    r"jäi(?:vät)?\s+(?:\w+\s+)?pois|föll\s+bort|left\s+out|"
    r"korjattu|saknades|saknas|glömde|komplettering|kompletterar|rättelse|was\s+missing|"
    r"were\s+missing|forgot|missing\s+from|supplement|correction|as\s+requested|"
    r"pyytämänne|pyysitte|som\s+ni\s+bad\s+om|edellise\w*\s+viesti\w*|förra\s+meddelande|"
    r"previous\s+(?:e-?mail|message)|earlier\s+(?:e-?mail|message)"
)


_ASKS_IF_REGISTERED = Caseless(
    r"(?:are|is)\s+(?:we|our\s+\w+|it)\s+(?:already\s+)?(?:registered|on\s+(?:the|your)\s+"
    r"(?:list|register))|whether\s+we\s+are\s+(?:already\s+)?(?:registered|on\s+(?:the|your)\s+"
    r"(?:list|register)|in\s+the\s+regist)|"
    r"onko\s+(?:\w+\s+){0,3}?jo\s+(?:rekisterissä|mukana|lisätty)|olemmeko\s+(?:jo\s+)?"
    r"(?:rekisterissä|mukana)|"
    r"(?:är|finns)\s+(?:vi|vår\s+\w+|föreningen)\s+(?:redan\s+)?(?:registrerad\w*|"
    r"med\s+i\s+registret|i\s+registret)"
)


def _text(document: Document, zones: tuple[str, ...], *, signatures: bool = True) -> str:
    return "\n".join(
        line.text
        for line in document.content(zones)
        if line.zone != HEADER and (signatures or not line.signature)
    )


def _items(extraction: Extraction) -> int:
    return 5 - len(extraction.missing())


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _paragraphs(document: Document) -> list[str]:
    """The new text's paragraphs, each joined into one line: a sentence may wrap."""
    paragraphs: list[list[str]] = [[]]
    for line in document.content((OWN, FORWARD)):
        if line.signature or line.zone == HEADER or not line.text.strip():
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        paragraphs[-1].append(line.text.strip())
    return [" ".join(lines) for lines in paragraphs if lines]


def _intent(document: Document) -> bool:
    """A sentence of the new text that asks to join the registry (not a question about it)."""
    for paragraph in _paragraphs(document):
        for sentence in _SENTENCE_END.split(paragraph):
            if sentence.rstrip().endswith("?"):
                # "Saisimmeko pääsyn järjestelmään?" asks to join; other questions do not.
                if _POLITE_ASK.match(sentence) and INTENT_OBJECT.search(sentence):
                    return True
                continue
            if INTENT.search(sentence) and INTENT_OBJECT.search(sentence):
                return True
    return False


def is_reply(decoded: DecodedMessage) -> bool:
    headers = decoded.headers
    return bool(headers.in_reply_to or headers.references or _REPLY_SUBJECT.match(headers.subject))


_BULK_REASON = "Precedence bulk header"
_NEWSLETTER_REASON = "bulk mail with an unsubscribe link: a newsletter"


def machine_kind(decoded: DecodedMessage) -> Classification | None:
    """Bounces and auto-replies, told by their headers (RFC 3464, RFC 3834) and subjects."""
    headers = decoded.headers
    local = headers.from_address.split("@")[0]
    if headers.report_type == "delivery-status" or decoded.has_delivery_status:
        return Classification(BOUNCE, "delivery status report")
    if headers.report_type == "disposition-notification":
        return Classification(AUTOREPLY, "read receipt (RFC 8098)")
    if _BOUNCE_FROM.match(local) and (
        _BOUNCE_SUBJECT.search(headers.subject) or headers.content_type.startswith("multipart/")
    ):
        return Classification(BOUNCE, "mailer daemon")
    if _BOUNCE_SUBJECT.search(headers.subject) and (
        _BOUNCE_FROM.match(local)
        or "x-failed-recipients" in headers.extra
        or not headers.from_address
    ):
        return Classification(BOUNCE, "bounce subject")
    # RFC 3834: any Auto-Submitted value except "no" marks mail that no person sent.
    auto = (headers.auto_submitted or "").split(";")[0].strip()
    if auto and auto != "no":
        return Classification(AUTOREPLY, "Auto-Submitted header")
    if headers.x_autoreply or headers.x_autorespond:
        return Classification(AUTOREPLY, "X-Autoreply header")
    if headers.precedence in ("auto_reply", "auto-reply"):
        return Classification(AUTOREPLY, "Precedence header")
    if _AUTOREPLY_SUBJECT.match(headers.subject):
        return Classification(AUTOREPLY, "auto-reply subject")
    if headers.precedence in ("bulk", "junk", "list"):
        if "list-unsubscribe" in headers.extra:
            return Classification(SPAM, _NEWSLETTER_REASON)
        return Classification(AUTOREPLY, _BULK_REASON)
    if "x-autogenerated" in headers.extra:
        return Classification(AUTOREPLY, "X-Autogenerated header")
    return None


def _spam_score(decoded: DecodedMessage, text: str, *, newsletter: bool = False) -> int:
    """The weight of the spam signs in the subject and text; for a `newsletter`, without the
    links and the unsubscribe line every newsletter has."""
    extra = decoded.headers.extra
    if extra.get("x-spam-flag", "").strip().lower() == "yes":
        return 10
    if extra.get("x-spam-status", "").strip().lower().startswith("yes"):
        return 10
    if extra.get("x-ses-spam-verdict", "").strip().upper() == "FAIL":
        return 10
    sample = (decoded.headers.subject + "\n" + text[:20000]).lower()
    return sum(
        weight
        for number, ((rx, weight), needs) in enumerate(zip(_SPAM_SIGNS, _SPAM_NEEDS, strict=True))
        if not (newsletter and number in _EVERY_NEWSLETTER)
        and contains_any(sample, needs)
        and rx.search(sample)
    )


_SENTENCE_OR_LINE = re.compile(r"(?<=[.!?])\s+|\n")


def _asks_removal(subject: str, text: str) -> bool:
    """A sentence of the subject or text that asks to be removed from the registry."""
    whole = subject + "\n" + text
    # _REMOVAL has no anchors: a sentence can match it only if the whole text does.
    if not _REMOVAL.search(whole):
        return False
    return any(
        _REMOVAL.search(sentence)
        and (_REGISTRY_WORD.search(sentence) or _REGISTRY_WORD.search(subject))
        and (not sentence.rstrip().endswith("?") or _POLITE_REQUEST.match(sentence))
        for sentence in _SENTENCE_OR_LINE.split(whole)
    )


# "Saisimmeko pääsyn järjestelmään?", "Kunde vi få tillgång?", "Could X please be added?":
# asking to join, phrased as a question.
_POLITE_ASK = re.compile(
    r"\s*(?:saisimmeko|saisimmekohan|voisimmeko|voisimmekohan|pääsisimmekö|"
    r"(?:kunde|kan|skulle|får)\s+vi|(?:could|can|may)\s+we|"
    r"(?:could|can|may|would)\s+.{0,80}?\bbe\s+(?:added|registered|included)|"
    # "Kan Föreningen X rf få ansluta sig …?", "Voisiko Testin Yhdistys ry päästä …?"
    r"(?:kan|kunde|får|voisiko|voiko|could|can|may)\s+(?:(?:(?-i:[A-ZÅÄÖ])\S*|"
    + LEGAL_FORM
    + r")\s+){1,8}"
    r"(?:\([^)]*\)\s+)?(?:få\s+ansluta|päästä|liittyä|join))\b",
    re.I,
)
# "Kunde ni avregistrera oss?", "Voitteko poistaa meidät?": a request phrased as a question.
_POLITE_REQUEST = re.compile(
    r"\s*(?:kunde|kan|skulle|voisitteko|voitteko|voisitko|voitko|could|can|would|will)\s+"
    r"(?:ni|te|you)\b",
    re.I,
)


def _completes_earlier(own: Extraction, quoted: Extraction, text: str) -> bool:
    """A reply that supplies items of an earlier request, quoted or said to be missing."""
    # Read only when needed: the follow-up words are searched in up to 3000 characters.
    said = None
    if own.labelled_fields < 1 and own.business_id is None:
        # A reply that says it completes a request may give the missing item in prose alone
        # ("edellisestä puuttui yhteyshenkilö: ... toimii Maija Mäkinen").
        if own.contact_name is None and own.organization_name is None and own.justification is None:
            return False
        said = _says_followup(text)
        if not said:
            return False
    if quoted.business_id is not None or quoted.labelled_fields >= 2:
        return True
    if own.business_id is not None and _items(quoted) >= 3:
        return True  # the Business ID the quoted application went without
    return said if said is not None else _says_followup(text)


def _says_followup(text: str) -> bool:
    return bool(_FOLLOWUP_WORDS.search(text[:3000]))


def classify(
    decoded: DecodedMessage,
    document: Document,
    own: Extraction,
    quoted: Extraction,
) -> Classification:
    """The kind of the message: machine mail first, then what the sender's own text does."""
    machine = machine_kind(decoded)
    text = _text(document, (OWN, FORWARD))
    if machine and machine.reason == _BULK_REASON and _spam_score(decoded, text) >= 2:
        # "Precedence: bulk" marks mass mail, not only auto-replies: one clear sign of a sales
        # pitch or phishing in it is enough to call it spam.
        return Classification(SPAM, "bulk mail with spam signs")
    if (
        machine
        and machine.reason == _NEWSLETTER_REASON
        and not _spam_score(decoded, text, newsletter=True)
    ):
        # A partner's newsletter that sells nothing is mail for a person to read.
        return Classification(OTHER, "a newsletter without a sales pitch")
    if machine:
        return machine
    items = _items(own)
    strong = own.labelled_fields >= 2 or (
        own.business_id is not None and own.business_id.valid and items >= 3
    )
    # A clearly labelled application is never spam: its spam signs need not be counted.
    if not (strong and own.labelled_fields >= 3) and _spam_score(decoded, text) >= 4:
        return Classification(SPAM, "spam signs")
    subject = decoded.headers.subject
    identified = own.business_id is not None or own.organization_name is not None
    # A signature's disclaimer ("if you are not the intended recipient, please delete it")
    # asks nothing of the registry.
    # An application that gives its reason under a label asks to join, whatever else it says
    # ("the former association has been deregistered").
    labelled_reason = own.justification is not None and own.justification.evidence.label
    applying = bool(labelled_reason) and own.labelled_fields >= 3
    if (
        identified
        and not applying
        and _asks_removal(subject, _text(document, (OWN, FORWARD), signatures=False))
    ):
        return Classification(REMOVAL, "asks to be removed")
    # A reply that gives all five items where the quoted mail gives none (an answer to Kela's
    # instructions) is an application of its own.
    answers_kela = any(segment.zone == KELA for segment in document.segments)
    complete_answer = (items == 5 or (answers_kela and items >= 3)) and (
        quoted.business_id is None and quoted.labelled_fields < 2
    )
    if (
        own.labelled_fields < 5
        and not complete_answer
        and is_reply(decoded)
        and _completes_earlier(own, quoted, text)
    ):
        return Classification(FOLLOWUP, "reply that completes an earlier request")
    if _ASKS_IF_REGISTERED.search(text) and not labelled_reason:
        # "Could you check whether we are already on the list?": it gives its details to be
        # looked up, and applies for nothing.
        return Classification(OTHER, "asks whether it is registered")
    if own.labelled_fields >= 2 and items >= 2:
        return Classification(REQUEST, "labelled registration data")
    if subject.rstrip().endswith("?") and own.business_id is None:
        # "Tarvitseeko kunnan hakea rekisteriin?": a question about applying is not one.
        return Classification(OTHER, "a question in the subject, no Business ID given")
    if own.labelled_fields < 2 and text.count("?") >= 3:
        # "Can we book ...? Must the client be present? ...": questions before applying.
        return Classification(OTHER, "questions about the service")
    if items >= 2 and _intent(document):
        return Classification(REQUEST, "asks to join the registry")
    asks = "?" in text
    # A short note under a registry subject that names the applicant and a contact is a
    # request even without a Business ID ("X ry mukaan rekisteriin, yhteyshenkilö ...").
    if (
        _REGISTRY_SUBJECT.search(subject)
        and (own.business_id is not None or own.organization_name is not None)
        and items >= 3
        and not asks
    ):
        return Classification(REQUEST, "registry subject with registration data")
    return Classification(OTHER, "no registration data")


# ---------------------------------------------------------------------------------------------
# Language

_STOPWORDS = {
    "fi": set(
        [
            "ja",
            "on",
            "ei",
            "että",
            "se",
            "ole",
            "olemme",
            "olen",
            "meidän",
            "me",
            "tai",
            "kanssa",
            "myös",
            "joka",
            "jotka",
            "mutta",
            "kun",
            "koska",
            "voi",
            "voisi",
            "voimme",
            "voisimme",
            "haluaisimme",
            "haluamme",
            "tarvitsemme",
            "heille",
            "hei",
            "terveisin",
            "ystävällisin",
            "kiitos",
            "kautta",
            "varten",
            "tiedot",
            "sekä",
            "vain",
            "kuin",
            "jos",
            "nyt",
            "alla",
            "ohessa",
            "tässä",
            "olla",
            "ovat",
            "oli",
            "pysty",
            "pystyy",
            "hyvä",
            "vastaanottaja",
            "lähetän",
            "lähetämme",
            "toimitamme",
            "seuraavat",
            "mukaisesti",
            "ohjeidenne",
            "meillä",
            "meitä",
            "teille",
            "te",
            "heidän",
            "niiden",
            "joilla",
            "jotta",
            "myös",
            "enää",
            "monet",
            "moni",
            "ovat",
            "asiakkaille",
            "asiakkaiden",
            "asiakkaat",
            "asiakkaamme",
            "yhdistyksemme",
            "organisaatiomme",
            "vuodessa",
            "noin",
            "pyydetyt",
            "liitteenä",
            "mielellämme",
            "vastaamme",
            "etukäteen",
            "jo",
            "tämä",
            "tämän",
            "siitä",
            "sitä",
            "näin",
            "hyvin",
            "haluaisi",
            "tarjoamme",
            "autamme",
            "järjestämme",
            "tuotamme",
        ]
    ),
    "sv": set(
        [
            "och",
            "att",
            "det",
            "som",
            "en",
            "ett",
            "är",
            "för",
            "med",
            "på",
            "av",
            "till",
            "vi",
            "vår",
            "våra",
            "vårt",
            "har",
            "kan",
            "inte",
            "om",
            "hos",
            "från",
            "vill",
            "kommer",
            "eller",
            "också",
            "hej",
            "hälsning",
            "hälsningar",
            "vänlig",
            "tack",
            "förhand",
            "skulle",
            "sig",
            "de",
            "den",
            "dem",
            "här",
            "nedan",
            "följande",
            "uppgifter",
            "enligt",
            "anvisningarna",
            "skickar",
            "ansöker",
            "bli",
            "tillagda",
            "registret",
            "ger",
            "åt",
            "själva",
            "svårt",
            "använda",
            "boka",
            "tider",
            "klienter",
            "våra",
            "finns",
            "bifogat",
            "jag",
            "ni",
            "er",
            "ert",
        ]
    ),
    "en": set(
        [
            "the",
            "and",
            "to",
            "of",
            "for",
            "we",
            "our",
            "is",
            "are",
            "in",
            "on",
            "with",
            "would",
            "like",
            "please",
            "this",
            "that",
            "be",
            "have",
            "has",
            "can",
            "not",
            "from",
            "by",
            "as",
            "at",
            "an",
            "hello",
            "regards",
            "thank",
            "you",
            "your",
            "dear",
            "below",
            "details",
            "find",
            "would",
            "let",
            "during",
            "their",
            "they",
            "them",
            "who",
            "which",
            "will",
            "it",
            "its",
            "us",
            "best",
            "kind",
            "writing",
            "behalf",
            "apply",
            "register",
            "registry",
            "information",
            "required",
            "advance",
        ]
    ),
}
_LABEL_WORDS = {
    "fi": Caseless(
        r"tunnus|nimi|perustelu|yhteys|organisaatio|sähköposti|s-posti|puh|käytölle|hakija"
    ),
    "sv": Caseless(
        r"fo-n|\bnamn|motivering|kontaktperson|kontaktuppgift|organisationens|användning|"
        r"e-post|tfn|telefon|sökande"
    ),
    "en": Caseless(
        r"business|\bname\b|reason|justification|contact|details|e-?mail|phone|booking|purpose"
    ),
}
_WORD = re.compile(r"[a-zåäöéü]+", re.I)


# Finnish has few function words; its long vowels and case endings give it away instead.
_FINNISH_MARK = re.compile(r"ää|yy|uu|ii|aa|uo|yö|äi|öi|ssa|ssä|llä|stä|lle|mme|ksi|inen|ään")
_NOT_FINNISH = re.compile(r"[bcfqwxzå]")


# The languages whose function words include a word, in the order of _STOPWORDS.
_LANGUAGES_OF_WORD: dict[str, tuple[str, ...]] = {
    word: tuple(lang for lang, vocabulary in _STOPWORDS.items() if word in vocabulary)
    for vocabulary in _STOPWORDS.values()
    for word in vocabulary
}


def _word_language(words: list[str]) -> dict[str, int]:
    counts = {lang: 0 for lang in _STOPWORDS}
    for word in words:
        lowered = word.lower()
        languages = _LANGUAGES_OF_WORD.get(lowered)
        if languages:
            for lang in languages:
                counts[lang] += 1
        elif (
            word == lowered
            and len(word) >= 5
            and not _NOT_FINNISH.search(word)
            and _FINNISH_MARK.search(word)
        ):
            counts["fi"] += 1
    return counts


_PARENTHESES = re.compile(r"\([^)]*\)")
_DIGIT = re.compile(r"\d")


def _label_language(label: str) -> str | None:
    """The language of a label; None for a bilingual or ambiguous one (e.g. "Organisation")."""
    outside = _PARENTHESES.sub(" ", label)
    found = {lang for lang, rx in _LABEL_WORDS.items() if rx.search(outside)}
    return found.pop() if len(found) == 1 else None


def detect_language(document: Document, zones: tuple[str, ...] = (OWN, FORWARD)) -> str:
    """fi, sv, en, or mixed when two languages each carry a real part of the sender's text."""
    label_counts = {lang: 0 for lang in _STOPWORDS}
    words: list[str] = []
    for line in document.content(zones):
        if line.zone in (HEADER, KELA, REPLY) or line.signature or not line.text.strip():
            continue
        text = line.text
        hit = document.label(text)
        if hit and hit.field not in ("other",):
            language = _label_language(hit.label)
            if language:
                label_counts[language] += 1
            text = text[hit.value_start :]
            if hit.field not in ("justification",):
                continue
        if "@" in text and len(text.split()) < 4:
            continue
        if _DIGIT.search(text):  # (a Business ID is made of digits)
            text = BID.sub(" ", text)
        words.extend(_WORD.findall(text))
    counts = _word_language(words)
    total = sum(counts.values())
    ranked = sorted(counts, key=lambda lang: counts[lang], reverse=True)
    text_languages = [lang for lang in ranked if counts[lang] >= 3 and counts[lang] >= 0.2 * total]
    labelled = sum(label_counts.values())
    label_language = (
        max(label_counts, key=lambda lang: label_counts[lang]) if labelled >= 2 else None
    )
    if len(text_languages) >= 2:
        return "mixed"
    text_language = text_languages[0] if text_languages else (ranked[0] if total else None)
    if label_language and text_language and label_language != text_language and total >= 4:
        return "mixed"
    return text_language or label_language or "fi"


__all__ = [
    "AUTOREPLY",
    "BOUNCE",
    "FOLLOWUP",
    "KINDS",
    "OTHER",
    "REMOVAL",
    "REQUEST",
    "SPAM",
    "Classification",
    "classify",
    "detect_language",
    "is_reply",
    "machine_kind",
]
