"""The words and sentence shapes the parser reads prose by, and the organization names it finds
in a sentence."""

from __future__ import annotations

import re
from collections.abc import Callable

from registry_admin.intake.business_id_candidates import ID_WORDS, OTHER_ORG
from registry_admin.intake.caseless import Caseless
from registry_admin.intake.patterns import LEGAL_FORM, ORG_SUFFIX
from registry_admin.intake.values import (
    NAME_STOP,
    NAME_TOKEN,
    TITLE,
    collapse,
    is_person_name,
)

SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ\"“])")
INTENT = Caseless(
    r"liittyä|liittymään|haemme|hakee|hakea|hakemus|anomme|anoo|päästä|rekisteröity|rekisteröidä|"
    r"komma\s+med|vara\s+med|tulla\s+mukaan|få\s+tillgång|införd|get\s+access|"
    r"ansökan|"
    r"lisätä|lisäämiseksi|ansluta|ansöker|ansöka|bli\s+(?:tillagd|registrerad)|läggas\s+till|"
    r"apply|applying|application|register\b|registering|be\s+(?:added|registered)|join\b|"
    r"pyy(?:dä|tä)\w*\s+pääsyä|ber\s+om\s+tillgång|request(?:s|ing)?\s+access|"
    # "X ry haluaa Kelan ajanvarausjärjestelmän rekisteriin": wanting into the register
    r"halua\w*\s+(?:\w+\s+){0,4}?(?:rekisteriin|mukaan|järjestelmään|käyttäjäksi)"
)
INTENT_OBJECT = Caseless(
    r"rekisteri|järjestelmä|ajanvaraus|käyttöoikeu|pääsy|register|registr|system|booking|access|"
    r"tidsbokning|tillgång"
)
# Either pattern marks a sentence about the message, not a reason; the second names the
# organisation with a capital letter.
ADMIN = Caseless(
    r"\b(?:kirjoitan|kirjoitamme|kirjoittelen|kirjottelen|kirjotan)\b|(?:\b(?:ry|rf|oy|ab|sr)|:n)\s+puolesta|"
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
    r"rahastonhoitaja|toiminnanjohtaja)|(?:neuvottiin|ohjattiin|kehotettiin)\s+\w+(?:maan|mään)|"
    r"hänvisade\s+oss|(?:ombads|uppmanades|rådde\s+oss)\s+att|fick\s+rådet\s+att|"
    r"(?:were|was)\s+(?:advised|told|asked)\s+to\s+(?:send|write|contact|apply)|"
    r"(?:was|were)\s+referred\s+to|"
    r"i\s+work\s+(?:as|at|for)\b|esihenkilöni|pyysi\s+minua|bad\s+mig|asked\s+me\s+to|"
    r"nimeksi\s+voi|"
    r"here\s+are\s+(?:our|the)\s+details|tässä\s+(?:ovat\s+)?(?:tiedot|tietomme)|"
    r"här\s+(?:är|kommer)\s+(?:våra\s+)?uppgifter|"
    r"lähetetty\s+\S+(?:\s+\S+)?\s*-?\s*(?:älypuhelimesta|puhelimesta|iphonesta|ipadista)|"
    r"sent\s+from\s+my|skickat\s+från\s+min|"
    r"kysyttävää|vid\s+frågor|eventuella\s+frågor|har\s+ni\s+frågor|puuttui|puuttuivat|unohtui|unohtu|saknades|glömde|was\s+missing|"
    r"were\s+missing|forgot|edellise|förra\s+meddelande|previous\s+message|earlier\s+message|"
    # the writer's role: "mä oon sen puheenjohtaja", "ja e kassör där", "I am the chairwoman
    # of", "my name is", "Jag skriver för X rf"
    r"\b(?:mä|mää|minä)\s+(?:oon|olen)\s+(?:\w+\s+){0,2}?(?:vara)?(?:puheenjohtaja|sihteeri|"
    r"rahastonhoitaja|toiminnanjohtaja|vetäjä)\w*|"
    r"\b(?:ja|jag)\s+(?:e|är)\s+(?:\w+\s+)?(?:ordförande|sekreterare|kassör|"
    r"verksamhetsledare)\b|"
    r"\bi(?:'m|\s+am)\s+(?:the\s+|a\s+)?(?:\w+\s+){0,2}?(?:chair\w*|secretary|treasurer|"
    r"director|coordinator|manager)\b|\bmy\s+name\s+is\b|"
    r"\b(?:ja|jag)\s+skriver\s+(?:för|å|på\s+uppdrag)|\b(?:ja|jag)\s+heite?r\b|"
    # an apology for the message: "Pahoittelut, että viesti tulee minun kauttani"
    r"\bpahoittelu\w*|\bpahoittelen\b|\bursäkta\b|\bapologi[sz]e\b|"
    # where the answers go: "Vastaukset suoraan Owenille", "svara direkt till", "reply to him"
    r"\bvastaukset\s+(?:voi\s+laittaa\s+)?suoraan|\bsvara\s+direkt|\breply\s+directly|"
    # small talk: "hoppas ni har en fin sommar", "toivottavasti teillä on …", "hope you are well"
    r"hoppas\s+(?:ni|du)\s+(?:har|mår)|toivottavasti\s+(?:teillä|sinulla|voitte)|"
    r"hope\s+you(?:'re|\s+are|\s+have|\s+had)|"
    # the language the message is written in
    r"(?:wrote|write|writing)\s+(?:it\s+|this\s+)?in\s+(?:english|swedish|finnish)|"
    r"kirjoitin\s+(?:\w+\s+)?(?:englanniksi|ruotsiksi|suomeksi)|"
    r"(?:skrev|skriver)\s+(?:\w+\s+)?på\s+(?:engelska|finska|svenska)|"
    r"hope\s+(?:that|this|it)\s+is\s+(?:fine|ok|okay|alright)"
)
ADMIN_FOR = re.compile(
    r"\bon\s+behalf\s+of\s+(?:the\s+)?(?-i:[A-ZÅÄÖ])|på\s+uppdrag\s+av\s+(?-i:[A-ZÅÄÖ])", re.I
)

CONTACT_TRIGGER = Caseless(
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
    r"frågor\s+(?:\w+\s+){0,4}?kan\s+ställas\s+till|"
    # "Asiaa hoitaa meillä jatkossa sosiaaliohjaaja X", "ärendet sköts av X"
    r"\basiaa\s+hoita(?:a|vat)\b|\bärendet\s+sköts\s+av|\b(?:is|will\s+be)\s+handled\s+by|"
    r"questions\s+(?:\w+\s+){0,4}?can\s+be\s+(?:sent|addressed|put)\s+to|"
    r"you\s+can\s+reach\s+(?:me|us)|"
    # "soittakaa mulle 040 …", "ring mig på 050 …", "call me on …"
    r"(?:soittakaa|soitelkaa|soita)\s+(?:mulle|minulle|meille)|ring\s+(?:mig|oss)|"
    r"call\s+(?:me|us)\b|"
    r"mitt\s+(?:telefon)?nummer|my\s+(?:phone\s+)?number|"
    # "I am the contact person: Jane Smith": the role word and a colon introduce the name
    r"(?:yhteyshenkilö\w*|kontaktperson\w*|contact\s+person)\s*:|"
    # "Toimin itse yhteyshenkilönä", "Jag är själv kontaktperson": the writer is the contact
    r"(?:toimin|olen)\s+(?:itse\s+|myös\s+)?yhteyshenkilö\w*|"
    r"jag\s+(?:är|blir)\s+(?:själv\s+)?kontaktperson\w*|"
    r"i\s+(?:am|will\s+be|will\s+act\s+as)\s+(?:the\s+|your\s+)?contact(?:\s+person)?\b|"
    # "Yhteyshenkilöksi laitetaan minut (Mervi Salo, ...)": the name follows the verb
    r"yhteyshenkilöksi\s+[a-zåäö]+\s+|"
    # a corrected number: "Rätt nummer är 06 …", "oikea numero on 040 …"
    r"(?:rätt|nytt|korrekt)\s+(?:telefon)?nummer|(?:oikea|uusi)\s+(?:puhelin)?numero|"
    r"(?:correct|new)\s+(?:phone\s+)?number|"
    # hurried: "… netissä yht.hlö minä puh 040 …", "kontaktp. Agneta L tfn 0457 …"
    r"\byht\.\s?hlö\b:?|\byhteyshlö\b:?|\bkontaktp\.|"
    # "contact person me Owen G, …", "kontaktperson jag, Anna B"
    r"(?:contact\s+person|kontaktperson\w*)\s+(?:me|jag|myself)\b|"
    # "Yhteyshenkilö minä eli Jari Koivula 0400 …", "yhteyshenkilö on allekirjoittanut"
    r"yhteyshenkilö\w*\s+(?:on\s+)?(?:minä|mä|allekirjoittanut)(?:\s+(?:eli|siis|itse))?\b"
)
# "Maija Mäkinen toimii yhteyshenkilönä", "Anna Berg will be our contact person".
CONTACT_ROLE = Caseless(
    r"\b(?:toimii|on|är|blir|fungerar\s+som|is|will\s+be|acts?\s+as|serves?\s+as)\s+"
    r"(?:\w+\s+){0,2}?(?:yhteyshenkilö\w*|kontaktperson\w*|contact\s+person)\b"
)


NAME_THEN_REACH = Caseless(
    r",?\s*(?:jonka|joka|som|who)\s+(?:\w+\s+)?(?:tavoittaa|tavoitat|nås|når\s+ni|"
    r"can\s+be\s+reached|is\s+reachable|you\s+can\s+reach)\b"
)
_CLAUSE_BREAK = re.compile(r"[,;:()]")


# ", who will also", ", joka myös", ", som": a relative clause between a name and its role.
_RELATIVE_TAIL = re.compile(r",\s*(?:who|joka|som)\b[^,;:()]*$", re.I)


def name_before(text: str) -> str | None:
    """A person's name that ends `text` ("..., Maija Mäkinen"), or that a relative clause
    follows ("... coordinator Amira Haddad, who will also")."""
    return _name_ending(text) or _name_ending(_RELATIVE_TAIL.sub("", text))


def _name_ending(text: str) -> str | None:
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
SELF = re.compile(
    r"^[\s,:–-]*(?:jag\s+själv|jag|minä\s+itse|minä|minut|itse|allekirjoittanut|myself|me|"
    r"mig|I)\b[\s,:(–-]*",
    re.I,
)
FIRST_PERSON_CONTACT = Caseless(
    r"contact\s+me|reach\s+me|kontakta\s+mig|nå\s+mig|minuun|minut|minä|allekirjoittanut|"
    r"mulle|minulle|ring\s+mig|call\s+me|"
    r"(?:är|on|is)\s+(?:jag|minä|i|me)\b|toimin\s|olen\s|jag\s+(?:är|blir)|i\s+(?:am|will)"
)
# The writer introducing themselves: "Olen Pekka Nieminen", "Jag heter Anna Berg".
INTRODUCTION = re.compile(
    r"\b(?:olen|nimeni\s+on|minä\s+olen|(?:mä|mää|mie)\s+(?:oon|olen)|jag\s+heter|jag\s+är|"
    r"mitt\s+namn\s+är|my\s+name\s+is|i\s+am|this\s+is|i'm)\s+(?=[A-ZÅÄÖ])",
    re.I,
)
# "Motiveringen skickar vår ordförande senare": an item announced for later is not given.
DEFERRAL = Caseless(
    r"\b(?:senare|längre\s+fram|myöhemmin|jälkikäteen|later|separately|erikseen|separat|"
    r"så\s+snart|as\s+soon\s+as|"
    r"in\s+a\s+separate|next\s+week|ensi\s+viikolla|nästa\s+vecka|perään|efteråt)\b"
)
DEFERRAL_VERB = Caseless(
    r"skick|lämna|återkom|kommer|lähet|toimit|tulee|palaa|laita|send|provide|deliver|follow|"
    r"get\s+back|submit|täyden|komplettera|complete|supplement"
)
# "Tavoitatte minut tästä osoitteesta", "reply to this address": the sender's own address.
THIS_ADDRESS = Caseless(
    r"\b(?:tästä|tähän|tämän|samasta|samaan)\s+(?:sähköposti)?osoit\w*|"
    r"\b(?:this|the\s+same|my)\s+(?:e-?mail\s+)?address\b|"
    r"\b(?:reply|answer|write)\s+(?:to\s+)?(?:this|my)\s+(?:e-?mail|message)\b|"
    r"\baddress\s+i(?:'m|\s+am)?\s+(?:writing|sending)\s+from\b|"
    r"\b(?:denna|den\s+här|samma)\s+(?:e-?post|mejl|mail)?adress\w*|"
    r"\b(?:lähettäjän|avsändar|sender['’]s)\w*\s+(?:(?:e-?mail|e-?post)\s*)?(?:osoit|adress|address)"
)
NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|noreply|mailer|postmaster)", re.I)
UNDERSIGNED = re.compile(r"allekirjoitta\w*|undertecknad\w*|(?:the\s+)?undersigned", re.I)
ORG_IN_PROSE = [
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
            r"fo-nr)[^()]*)\))?\s+(?:haluaisi|haluaa|hakee|anoo|pyytää|ansöker|vill|önskar|"
            r"would\s+like|"
            r"wishes|is\s+applying|"
            # (and, in a removal, "X ry lopettaa toimintansa", "X rf har funnits i registret")
            r"lopettaa|lopetti|lakkaa|lakkasi|puretaan|lakkautetaan|upplöses|"
            r"har\s+(?:\w+\s+)?(?:funnits|varit|sålt)|avslutar|avslutade|on\s+myynyt|has\s+sold|"
            r"upphör|upphörde|is\s+closing|closed|has\s+(?:been|closed|ceased))\b",
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
        # "Karhunlahden Yhdistys Majakka ry on vuonna 1986 perustettu ...", "X rf är en ...":
        # a sentence that opens with the name and says what the body is.
        (
            r"^(?P<org>[A-ZÅÄÖ][^.!?(),;:]{2,90}?\s(?i:" + LEGAL_FORM + r"|"
            r"säätiö|stiftelse|osuuskunta|andelslag))\s+(?:on|är|is|was|var|oli)\s",
            0,
        ),
        # typed in lower case: "ahvenlammen kyläyhdistys ry haluaisi rekisteriin", "honkarannan
        # nuorisoseura ry:n voi poistaa" (only with the legal form that ends it)
        (
            r"^(?P<org>[a-zåäö][\w-]*(?:\s+[\w-]+){0,5}?\s" + LEGAL_FORM + r")"
            r"(?::[a-zäö]{1,4})?\s+(?:haluaisi|haluaa|hakee|anoo|voi|ansöker|vill|kan|would|"
            r"wants|is\s+applying)\b",
            0,
        ),
        # "Göran här från X rf", "terveisiä X ry:stä", "det gäller X rf med FO-nummer …"
        (
            r"(?:\b(?i:här\s+från|here\s+from|greetings\s+from|terveisiä)\s+|"
            r"\b(?i:det\s+gäller|kyseessä\s+on|it\s+is\s+about)\s+)"
            r"(?P<org>[A-ZÅÄÖ][\w'’&-]*(?:\s+[\w'’&-]+){0,6}?\s(?i:" + LEGAL_FORM + r"|"
            r"säätiö|stiftelse))(?![\w-])",
            0,
        ),
        # "meidän yhdistys X ry haluis …", "a small home care company X Oy from …": the kind of
        # body, then its name with a legal form.
        (
            r"\b(?i:\w*(?:yhdistys|yhdistyksemme|yritys|yrityksemme|järjestö|förening|företag|"
            r"bolag|association|company|organi[sz]ation|charity|foundation|firm)),?\s+"
            r"(?P<org>[A-ZÅÄÖ][\w'’&-]*(?:\s+[\w'’&-]+){0,6}?\s(?i:" + LEGAL_FORM + r"|"
            r"säätiö|stiftelse))(?![\w-])",
            0,
        ),
    )
]
# What each reading above needs, tested first because it is much cheaper than the reading: most
# sentences have none of the verbs, phrases and parentheses that name the applicant.
ORG_IN_PROSE_NEEDS: tuple[Callable[[str], object], ...] = (
    Caseless(r"olemme|olen").search,
    Caseless(r"täällä|meillä").search,
    re.compile(
        r"halua|hakee|anoo|pyytää|ansöker|vill|önskar|would|wishes|applying|lopett|lakka|har\s|"
        r"puretaan|upplöses|sålt|myynyt|sold|"
        r"avslutar|avslutade|upphör|closing|closed|has\s+"
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
    Caseless(r"\s(?:on|är|is|was|var|oli)\s").search,
    Caseless(r"\s" + LEGAL_FORM + r"\b").search,
    Caseless(r"här\s+från|here\s+from|greetings|terveisiä|det\s+gäller|kyseessä|about").search,
    Caseless(
        r"yhdisty|yrity|järjestö|förening|företag|bolag|association|company|organi|charity|"
        r"foundation|firm"
    ).search,
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
    r"i\s+represent|we\s+represent|on\s+behalf\s+of|på\s+uppdrag\s+av)\s+)?",
    re.I,
)
_GENERIC_BODY = re.compile(
    r"(?:the\s+)?(?:förening|föreningen|yhdistys|yhdistyksemme|säätiö|säätiömme|stiftelsen?|"
    r"association|foundation|organi[sz]ation|company|företaget|bolaget|seura|seuramme)",
    re.I,
)
_ID_WORDS = re.compile(r"(?:business\s+id|y-?tunnus|fo-?nummer|vat\s+number)$", re.I)
# "Vaskiniemen seurakunnan diakoniatyö pyytää …": a unit of a body that names the body in the
# genitive; the applicant is the body, in its base form.
_UNIT_OF_BODY = re.compile(
    r"^(?P<name>(?:[A-ZÅÄÖ][\w-]*\s+){1,4}?)(?P<kind>seurakunnan|kunnan|kaupungin|yhdistyksen|"
    r"säätiön|hyvinvointialueen|kuntayhtymän|osuuskunnan)\s+[a-zåäö][\w-]*$"
)
_BODY_KIND = {
    "seurakunnan": "seurakunta",
    "kunnan": "kunta",
    "kaupungin": "kaupunki",
    "yhdistyksen": "yhdistys",
    "säätiön": "säätiö",
    "hyvinvointialueen": "hyvinvointialue",
    "kuntayhtymän": "kuntayhtymä",
    "osuuskunnan": "osuuskunta",
}
# The writer after the name: "On behalf of X I would like …", "För X vill vi …".
_SUBJECT_AFTER = re.compile(r"\s+(?:I|we|We|vi|jag|me|minä)$")

_INFLECTION = re.compile(r"(?::(?:n|lle|ltä|llä|ssa|ssä|sta|stä|ksi|na|nä|aan|ään|en|s)|['’]s)$")


def org_from_prose(sentence: str) -> str | None:
    for number, (rx, needs) in enumerate(zip(ORG_IN_PROSE, ORG_IN_PROSE_NEEDS, strict=True)):
        found = rx.search(sentence) if needs(sentence) else None
        if not found:
            continue
        generic = number == _GENERIC_ORG_PATTERN
        if generic and OTHER_ORG.search(sentence):
            continue
        org = collapse(found.group("org")).strip(" ,")
        org = _SUBJECT_AFTER.sub("", _LEAD_VERB.sub("", org))
        if unit := _UNIT_OF_BODY.match(org):
            org = unit.group("name") + _BODY_KIND[unit.group("kind")]
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
        if _ID_WORDS.search(org):
            continue  # "our Business ID (Y-tunnus) is …": the ID's name, not the applicant's
        if _GENERIC_BODY.fullmatch(org):
            continue  # "Föreningen upplöses": the kind of body, not its name
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


BECAUSE = Caseless(
    r"\b(?:koska|sillä|jotta|eftersom|för\s+att|då\s+vi|because|since|so\s+that|as\s+we)\b"
)


_NOT_IN_NAME = re.compile(r"[\d@,.;:()]")


def org_with_legal_form(sentence: str) -> str | None:
    """The applicant named in a sentence that asks to join: "Vi på X rf vill ansluta ...".

    The name ends at its legal-form word and runs back over the words before it up to the
    first capitalised one; a sentence-initial verb or pronoun ("Haluaisimme") is not part of it.
    """
    wish = _JOIN_WISH.search(sentence) or INTENT.search(sentence)
    if not (wish and INTENT_OBJECT.search(sentence)) or OTHER_ORG.search(sentence):
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


# Where hurried writing starts a sentence in lower case: after a full stop that ends a word of
# three letters or more which is no abbreviation ("esim.", "puh.", "bl.a.").
_LOWER_START = re.compile(r"(?<=[a-zåäö]{3}[.!?])\s+(?=[a-zåäö])")
# Abbreviations no sentence ends at, whatever follows: "esim. vanhuksia", "kontaktp. Agneta".
_ABBREVIATIONS = frozenset(
    [
        "esim",
        "yms",
        "jne",
        "puh",
        "tms",
        "klo",
        "vrt",
        "etc",
        "kpl",
        "nro",
        "tel",
        "tfn",
        "osv",
        "dvs",
        "resp",
        "ung",
        "mfl",
        "incl",
        "approx",
        "ks",
        "ns",
        "mm",
        "ym",
        "kontaktp",
        "yht.hlö",
        "p",
    ]
)


def sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pairs of a paragraph."""
    result = []
    position = 0
    for piece in _joined_after_abbreviations(SENTENCE_SPLIT.split(text)):
        start = text.find(piece, position)
        for at, sentence in _lower_case_sentences(piece, start):
            for at_id, part in _around_the_id(sentence, at):
                result.extend(_before_the_contact(part, at_id))
        position = start + len(piece)
    return result


# Run-on writing gives its Business ID in mid-sentence ("… boka direkt åt dem FO nummer 27654311
# kontaktperson är jag …"): the ID, with its name, stands apart from the words around it.
_ID_IN_RUN = re.compile(
    r"(?:\b(?:fo[-\s]?n(?:umme)?r|y-?tunnu(?:s|ksemme|kseni)|business\s+id|org\.?\s*nr)"
    r"(?:\s+(?:on|är|is))?\s*:?\s*)?(?:fi\s?)?\d{6,8}(?:\s?[-–]\s?\d)?\b",
    re.I,
)
_SIX_DIGITS = re.compile(r"\d{6}")  # (a cheap test first: most sentences hold no ID)
_RUN_WORDS = 8  # the fewest words on either side for a split


# In run-on writing a contact label starts the contact's part: "… vill kunna boka tider åt dem
# kontaktp. Agneta L tfn …".
# (Only an abbreviation or a label with its colon: the full word is part of many a sentence,
# "… ja hän toimii itse yhteyshenkilönä".)
_CONTACT_IN_RUN = re.compile(
    r"\s(?=yht\.\s?hlö\b|yhteyshlö\b|kontaktp\.|"
    r"(?:yhteyshenkilö|kontaktperson|contact\s+person)\s*:)",
    re.I,
)


_RUN_WORDS_BEFORE_CONTACT = 5  # (an abbreviated label is a surer boundary than an ID)


def _before_the_contact(sentence: str, at: int) -> list[tuple[int, str]]:
    found = _CONTACT_IN_RUN.search(sentence)
    if found is None or len(sentence[: found.start()].split()) < _RUN_WORDS_BEFORE_CONTACT:
        return [(at, sentence)]
    return [(at, sentence[: found.start()]), (at + found.end(), sentence[found.end() :])]


def _around_the_id(sentence: str, at: int) -> list[tuple[int, str]]:
    found = _ID_IN_RUN.search(sentence) if _SIX_DIGITS.search(sentence) else None
    if found is None or not any(ch.isalpha() for ch in found.group(0)):
        return [(at, sentence)]
    head, tail = sentence[: found.start()], sentence[found.end() :]
    pieces: list[tuple[int, str]] = []
    # (not "X ry (Y-tunnus …)" nor "X ry, y-tunnus …": the ID belongs to the name before it)
    if len(head.split()) >= _RUN_WORDS and not head.rstrip().endswith(("(", ",")):
        pieces.append((at, head.rstrip(" ,;")))
        middle_start = found.start()
    else:
        middle_start = 0
    rest = tail.lstrip(" ,;.")
    if (
        len(rest.split()) >= _RUN_WORDS
        and tail[: len(tail) - len(rest)].strip()
        and not ID_WORDS.search(rest)  # "…, which I think is our Business ID too"
    ):
        # "…, y-tunnus 2456789-3, me ollaan pieni yritys …": a clause of its own after it
        pieces.append((at + middle_start, sentence[middle_start : found.end()]))
        pieces.append((at + len(sentence) - len(rest), rest))
    else:
        pieces.append((at + middle_start, sentence[middle_start:]))
    return pieces


def _joined_after_abbreviations(pieces: list[str]) -> list[str]:
    """The pieces, those split after an abbreviation ("kontaktp. Agneta", "puh. Maija") joined
    to the next again."""
    joined: list[str] = []
    for piece in pieces:
        if joined and _ends_with_abbreviation(joined[-1]):
            joined[-1] = f"{joined[-1]} {piece}"
        else:
            joined.append(piece)
    return joined


def _ends_with_abbreviation(piece: str) -> bool:
    words = piece.rsplit(None, 1)
    return bool(words) and words[-1].endswith(".") and words[-1][:-1].lower() in _ABBREVIATIONS


def _lower_case_sentences(piece: str, start: int) -> list[tuple[int, str]]:
    result = []
    begin = 0
    for found in _LOWER_START.finditer(piece):
        word = piece[: found.start()].rsplit(None, 1)[-1].rstrip(".!?").lower()
        if word in _ABBREVIATIONS:
            continue
        result.append((start + begin, piece[begin : found.start()]))
        begin = found.end()
    result.append((start + begin, piece[begin:]))
    return result
