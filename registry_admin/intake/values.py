"""Values as people write them: a person's name (without a job title or honorific), a value
that says it is absent ("-", "puuttuu", "ks. liite"), and white space collapsed."""

from __future__ import annotations

import re

from registry_admin.intake.caseless import Caseless
from registry_admin.intake.patterns import EMAIL, ORG_SUFFIX, PHONE

ABSENT = re.compile(
    r"^(?:[-–—?x.]+|ei(?:\s.*)?|haettu.*|hakemus.*vireillä.*|puuttuu.*|tulossa.*|"
    # a pointer to an attachment the parser does not read: "ks. liite", "se bilaga"
    r"(?:ks\.?|katso|se|see|please\s+see)\s+(?:liite\w*|bilaga\w*|(?:the\s+)?attach\w*)\.?"
    r"(?:\s*\([^()]*\))?|"
    r"liitteenä|(?:i\s+)?bifogad\w*\s+fil|(?:in\s+the\s+)?attached(?:\s+file)?\.?|"
    r"saknas.*|har\s+inte.*|inte\s+ännu.*|ansökt.*|under\s+behandling.*|nej|"
    r"pending.*|none.*|n/?a|not\s+(?:yet|available|applicable).*|tbd|no(?:t)?\b.*|"
    r"applied.*|\(?tyhjä\)?)$",
    re.I,
)
NAME_TOKEN = re.compile(r"^[A-ZÅÄÖÜÉÈÁÍÓÚÑŠŽ][\w'’.-]*$")
NAME_STOP = {
    "Kela", "FPA", "Hei", "Hej", "Hello", "Terveisin", "Dear", "The", "We", "Our", "Vi", "Me",
    "Moi", "Moi!", "Moikka", "Terve", "Heippa", "Hejsan", "Hi", "Hey", "Hei!", "Hej!",
    "Liitteenä", "Ohessa", "Tässä", "Bifogat", "Attached", "Här",
    "Därför", "Siksi", "Joten", "Therefore", "Nu", "Nyt", "Now", "Dessutom", "Lisäksi",
    "Tack", "Kiitos", "Thanks", "Best", "Mvh", "Med", "Ystävällisin", "Yhteyshenkilö",
    "A", "An", "This", "It", "Se", "Det", "Tämä", "I", "Jag", "Minä",
}  # fmt: skip


def is_person_name(text: str) -> bool:
    """Two to four capitalised words without digits, addresses or organisation suffixes."""
    tokens = text.split()
    if not 2 <= len(tokens) <= 4 or len(text) > 60:
        return False
    if ORG_SUFFIX.search(text) or any(ch.isdigit() for ch in text) or "@" in text:
        return False
    if _GROUP.search(text):
        return False  # "Resident Services", "Neuvontatiimi": a team signs, not a person
    return all(NAME_TOKEN.match(t) and t not in NAME_STOP for t in tokens)


# Words that name a team or an office, not a person.
_GROUP = re.compile(
    r"\b(?:services?|team|office|desk|support|department|unit|tiimi\w*|palvelut|"
    r"asiakaspalvelu\w*|toimisto|kanslia|kansliet|teamet|avdelning\w*|enhet\w*|kundtjänst)\b",
    re.I,
)


_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def collapse(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def clean_value(text: str) -> str:
    return collapse(text).strip(" ,;.-–|")


# Job titles are common nouns; a capitalised one ("Toiminnanjohtaja", "Project coordinator")
# may still lead the value, and the name is what follows the last of them.
TITLE = Caseless(
    r"\w*(?:johtaja|ohjaaja|päällikkö|sihteeri|koordinaattori|vastaava|työntekijä|neuvoja|"
    r"puheenjohtaja|rahastonhoitaja|esimies|asiantuntija|suunnittelija|hoitaja|ledare|chef|"
    r"sekreterare|koordinator|ansvarig|ordförande|handläggare|rådgivare|kassör|"
    r"coordinator|manager|director|officer|secretary|chair(?:person|man|woman)?|treasurer|"
    r"adviser|advisor|worker|lead|head|assistant|counsell?or|specialist|ceo|president)"
    # with a possessive or definite ending: "Toiminnanjohtajamme", "Verksamhetsledaren"
    r"(?:mme|nne|ni|si|n|en|s)?"
)


_HONORIFIC = re.compile(r"(?:mr|mrs|ms|miss|dr|prof|herr|fru|rouva|herra|tri)\.?", re.I)


# What ends a name written at the start of a value: a separator, an address or a number.
_NAME_END = re.compile(r"[,(;]|\s[-–]\s|\s/\s|" + EMAIL.pattern + "|" + PHONE.pattern)


def cut_name(text: str) -> str | None:
    """A person's name at the start of `text`, without a leading job title or trailing details."""
    text = _NAME_END.split(text, maxsplit=1)[0]
    tokens = collapse(text).strip(" .:").split()
    titles = [i for i, t in enumerate(tokens[:4]) if TITLE.fullmatch(t.strip(".,"))]
    if titles and len(tokens) - titles[-1] - 1 >= 2:
        tokens = tokens[titles[-1] + 1 :]
    while tokens and (not NAME_TOKEN.match(tokens[0]) or _HONORIFIC.fullmatch(tokens[0])):
        tokens.pop(0)  # "palvelupäällikkö Riikka Heikkinen", "Ms Sarah Lind": drop the title
    run: list[str] = []
    for token in tokens:
        if not NAME_TOKEN.match(token) or token in NAME_STOP:
            break
        run.append(token.rstrip("."))
        # "Mikael Oduya. He reads …": a full stop after a word longer than an initial ends it.
        if len(run) == 4 or (token.endswith(".") and len(token) > 2 and len(run) >= 2):
            break
    name = " ".join(run)
    return name if is_person_name(name) else None
