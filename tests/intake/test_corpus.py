"""The parser meets its targets on the ground-truth corpus, the hard cases and the blind set."""

from pathlib import Path

import pytest

from registry_admin.intake.corpus_report import TARGETS, corpus_files, report, score

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.mark.parametrize("folder", ["corpus", "hard"])
def test_targets_are_met(folder: str) -> None:
    files = corpus_files(FIXTURES / folder)
    assert files
    result = score(files)
    assert result.invalid_reported_valid == 0, report(result)
    assert not result.errors, report(result)
    for name, target in TARGETS.items():
        assert result.share(name) >= target, report(result)


def test_followup_is_threaded_onto_its_request() -> None:
    result = score([FIXTURES / "corpus" / "027.eml", FIXTURES / "corpus" / "029.eml"])
    assert not result.mismatches, report(result)


# Floors for the blind-written set (tests/fixtures/unseen): the level reached there, less a
# margin of about one message, so that a rule that stops generalising fails here.
UNSEEN_FLOORS = {
    "kind": 0.95,
    "is_request": 0.95,
    "language": 0.94,
    "business_id": 0.95,
    "business_id_valid": 0.94,
    "organization_name": 0.94,
    "justification": 0.94,
    "contact_name": 0.94,
    "contact_email": 0.94,
    "contact_phone": 0.94,
    "missing": 0.94,
}


# Floors for the second blind-written set (tests/fixtures/unseen2, 16 messages of which 12 carry
# data): the level reached there, less a margin of one message.
UNSEEN2_FLOORS = {
    "kind": 0.93,
    "is_request": 0.93,
    "language": 0.91,
    "business_id": 0.91,
    "business_id_valid": 0.91,
    "organization_name": 0.91,
    "justification": 0.91,
    "contact_name": 0.91,
    "contact_email": 0.91,
    "contact_phone": 0.91,
    "missing": 0.91,
}


# The third blind-written set (tests/fixtures/unseen3) was scored once, before any rule was
# tuned to it: kind and Business ID 100 %, organization name 83 %, the rest 92-100 %. Two of
# its misses then led to general rules (a form written without colons and its bare "Nimi" line,
# v306; a name of several words after "på uppdrag av", v302), so those two messages no longer
# measure unseen mail. The floors are the level reached since, less a margin of one message.
UNSEEN3_FLOORS = {
    "kind": 0.93,
    "is_request": 0.93,
    "language": 0.91,
    "business_id": 0.91,
    "business_id_valid": 0.91,
    "organization_name": 0.93,
    "justification": 0.91,
    "contact_name": 0.91,
    "contact_email": 0.91,
    "contact_phone": 0.91,
    "missing": 0.93,
}


# The fourth blind-written set (tests/fixtures/unseen4) scored, before any rule was tuned to it:
# kind 88 %, Business ID 77 %, organization name 62 %, justification 77 %, contact items 85 %,
# missing 69 %. Its misses led to general rules: "Organisationsnummer" names a Business ID
# (v402); a signature's disclaimer asks no removal (v403); Markdown emphasis around a label
# (v405, and v412 which completes it); "on behalf of the X" and a "Parents'" that is no parent
# organization (v408); the items of a form on one line between semicolons and a name completed
# with its legal form (v410). So the set no longer measures unseen mail; the floors are the
# level reached since, less a margin of one message.
UNSEEN4_FLOORS = {
    "kind": 0.93,
    "is_request": 0.93,
    "language": 0.92,
    "business_id": 0.92,
    "business_id_valid": 0.92,
    "organization_name": 0.92,
    "justification": 0.84,
    "contact_name": 0.92,
    "contact_email": 0.92,
    "contact_phone": 0.92,
    "missing": 0.92,
}


def _floors(level: float, **lower: float) -> dict[str, float]:
    """A floor for every scored item: `level`, or lower where named; the kind is scored on
    every message of a set (16), the items on those that carry data (13-14), so one miss
    weighs less there."""
    floors = {name: lower.get(name, level) for name in TARGETS}
    for name in ("kind", "is_request"):
        floors[name] = lower.get(name, 0.93)
    return floors


# The fifth and sixth blind-written sets (tests/fixtures/unseen5: Outlook HTML, replies to
# Kela's instructions, tables and lists; unseen6: short informal mail) scored, before any rule
# was tuned to them: unseen5 kind 75 %, Business ID 92 %, organization name 69 %,
# justification 62 %, contact items 92 %, missing 77 %; unseen6 kind 88 %, Business ID 79 %,
# organization name 57 %, justification and contact name 43 %, missing 57 %. General rules
# came of their misses: a plain version whose table cells ran together gives way to the HTML;
# a quoted message with its header block (Kela's, or a forwarded one); the writer's answers
# between quoted questions, each read as the answer to its question; "ks. liite" as no value;
# honorifics; a closing signed on its own line; "meidän y-tunnus"; the writer who introduces
# themselves as the contact; prose read when no label gives the organization or the reason;
# names in the genitive ("olemme X:n työntekijöitä") and the inessive ("täällä X:ssa"); a
# complete answer to Kela's instructions is a request, a question in the subject without a
# Business ID is not, and a newsletter is spam; a row pasted from a spreadsheet under its row
# of labels; a greeting is no part of a name, and a phone number given in a sentence that runs
# over two lines. Still missed: the reason in a one-line note without capitals or punctuation
# (v601), and where a justification ends. The floors are the level reached, less a margin of one message.
UNSEEN5_FLOORS = _floors(0.92)
UNSEEN6_FLOORS = _floors(0.92, justification=0.78, contact_name=0.85, missing=0.85)

# The seventh and eighth blind-written sets (tests/fixtures/unseen7: which Business ID is the
# applicant's and the shapes numbers take; unseen8: where each item begins and ends) were
# written after the rules above and scored, before any rule was tuned to them: unseen7 kind
# 94 %, Business ID 86 %, organization name and justification 86-93 %, contact items 100 %,
# missing 93 %; unseen8 100 % on every item but the organization name, 86 %. Rules from their
# misses: an ID wrapped over a line break, a cooperation partner's ID is not the applicant's, a
# remark in brackets after the legal form is not part of the name, an application that gives
# its reason under a label is no removal, "the other details are unchanged" is no reason.
# Still missed: an ID given only in the subject (v711) and one message's language (v714).
UNSEEN7_FLOORS = _floors(
    0.92, language=0.85, business_id=0.85, business_id_valid=0.85, missing=0.85
)
UNSEEN8_FLOORS = _floors(0.92)

# The ninth blind-written set (tests/fixtures/unseen9: telling the kinds apart) scored first:
# kind 94 %, Business ID 92 %, organization name and justification 75 %, contact items 92 %,
# missing 92 %. Its misses led to: a removal asked as a polite question ("Kunde ni
# avregistrera oss?"), the organization named before "lopettaa"/"har funnits", and "så snart"
# as a deferral. Still missed: a follow-up threaded only by the reference in its subject
# (v909; the pipeline threads it, the corpus report cannot) and where a justification begins
# in a reply that first explains itself (v916).
UNSEEN9_FLOORS = _floors(0.92, organization_name=0.84, justification=0.75, missing=0.84)

# The tenth blind-written set (tests/fixtures/unseen10: what mail clients do to text) scored
# first: kind 81 %, Business ID 92 %, organization name, justification and contact name 85 %,
# contact phone 62 %, missing 69 %. Its misses led to: invisible characters (zero-width space,
# no-break spaces) inside an ID or a phone number, fields between bars on one line and an
# unlabelled name among them, "Liitteenä X ry:n hakemus" as an application, "our association
# is X ry", "here are our details" and "sent from my phone" as no reason, a read receipt
# (RFC 8098) as an autoreply. Still missed: a phone number in a Word table whose cells became
# paragraphs (v1012).
UNSEEN10_FLOORS = _floors(0.92, contact_phone=0.84)

# The eleventh blind-written set (tests/fixtures/unseen11: Swedish and English mail) scored
# first: kind 88 %, Business ID 100 %, organization name 75 %, justification 83 %, contact
# items 92-100 %, missing 83 %. Its misses led to: sentence adverbs ("Därför") are no names, a
# name with a legal form standing alone on a line of its own, "I am writing from X Oy", and
# three questions or more without a form are questions, not an application. Still missed: a
# unit after its municipality in prose (v1111), a phishing mail without spam words (v1112),
# and a sentence about who advised the writer taken as a reason (v1113).
UNSEEN11_FLOORS = _floors(0.92, organization_name=0.84, justification=0.84, contact_email=0.84)

# The twelfth blind-written set (tests/fixtures/unseen12) follows the corpus's own mix of kinds,
# languages and shapes, as the next 16 messages to arrive might. First score: kind 94 %,
# Business ID 92 %, organization name 92 %, justification 77 %, contact items 92 %, missing
# 85 %. Its misses led to: "Company registration no." is the applicant's, an item announced
# for later ("täydennän ensi viikolla") is not given, and an application below Kela's quoted
# instructions, whose attribution carries a date after "kirjoitti", is a request. Still missed:
# where a prose justification begins and ends, a contact named after the writer (v1202), an
# organization's details only in its signature (v1214), a removal's name in prose (v1215).
UNSEEN12_FLOORS = _floors(0.92, organization_name=0.84, missing=0.84)

# The thirteenth and fourteenth blind-written sets follow the corpus's mix again, unseen13
# leaning to prose letters and unseen14 to labelled forms of every shape. First scores:
# unseen13 kind 75 %, Business ID 77 %, organization name, justification and contact name
# 69 %, missing 85 %; unseen14 kind 94 %, Business ID 100 %, organization name 92 %,
# justification 77 %, contact items 92-100 %, missing 92 %. Their misses led to: asking to
# join in a question ("Saisimmeko pääsyn?", "Kunde vi få tillgång?", "could X be added?") is an
# application, while asking Kela to check something is not; "meillä X ry:ssä"; "minut saa
# kiinni", "ni når mig" and "you can reach us" mark a contact sentence; a heading in capitals
# over an underline; "komma med" as joining; a reply that gives the reason left out of the
# application ("jäivät perustelut pois") is a follow-up. Still missed: a contact named beside a
# colleague (v1309, v1405), and several justifications' first or last sentence.
UNSEEN13_FLOORS = _floors(0.84)
UNSEEN14_FLOORS = _floors(0.84, kind=0.87, is_request=0.87)

# The sixteenth blind-written set (tests/fixtures/unseen16: the corpus's mix, leaning to
# Swedish and English and to justifications of every shape) scored, with no rule drawn from
# it: kind 100 %, Business ID 92 %, organization name 92 %, justification 85 %, contact items
# 92 %, missing 77 %. Reading a prose reason beside a form that labels the rest was tried and
# dropped: it took a removal's reason and a form's name for reasons in earlier sets.
UNSEEN16_FLOORS = _floors(0.84, missing=0.76)

# The fifteenth blind-written set (tests/fixtures/unseen15: the corpus's mix from careless and
# careful writers) scored first: kind 94 %, Business ID 92 %, organization name 85 %,
# justification 69 %, contact items 92-100 %, missing 92 %. One rule came of it: a subject
# about the booking system ("Ansökan om tillgång till FPA:s tidsbokning") marks a letter that
# gives the items as an application. Later rules: the writer introducing themselves ("Jag är
# ordförande för X rf", "työskentelen ...", "esihenkilöni pyysi minua") is no reason but may name
# the organization, and "tapaamisen yhteydessä" is no contact sentence.
UNSEEN15_FLOORS = _floors(0.84, justification=0.76)

# The seventeenth blind-written set (tests/fixtures/unseen17: the corpus's mix from many kinds
# of organization) scored first: kind and Business ID 100 %, organization name 85 %,
# justification and contact name 77 %, missing 77 %. Its misses led to: dot leaders between a
# label and its value, "Olen X ry:n puheenjohtaja" names the organization and is no reason, and
# "neuvottiin ottamaan teihin yhteyttä" is about the message.
UNSEEN17_FLOORS = _floors(0.84, justification=0.76, contact_name=0.69, missing=0.76)

# The eighteenth blind-written set (tests/fixtures/unseen18: the corpus's mix, with care for
# the contact person and details) scored first: kind 94 %, Business ID 100 %, organization name
# 92 %, justification and contact name 77 %, email and phone 100 %, missing 85 %. Its misses
# led to: "frågor besvaras av X" and "asioista vastaa X" name the contact, the person named just
# before how to reach them ("…, jonka tavoittaa", "…, som nås på") is the contact, an item
# "(täydennetään myöhemmin)" is not given, and a name read from prose ends at its legal form
# ("X ry:n hallitus on päättänyt").
UNSEEN18_FLOORS = _floors(0.84, justification=0.76)

# The nineteenth blind-written set (tests/fixtures/unseen19: the corpus's mix, with care for
# where the justification starts and ends) scored first: kind 75 %, Business ID 85 %,
# organization name 69 %, justification and contact name 77 %, email and phone 92 %, missing
# 85 %. Its misses led to: a message the writer says they forward is read though quoted as a
# reply ("välitän alla …" over "X kirjoitti:"); answers below Kela's questions with a blank line
# between, and after the writer's own closing; a question about applying that wraps over lines
# is no application; a yearly "registry fee" is spam; the paragraph that applies and says why
# ("Haemme …, koska …") starts the reason after an introduction; "X ry on … perustettu …" and
# "X ry lopetti …" name the organization; the contact named before ", who will act as the
# contact person".
UNSEEN19_FLOORS = _floors(0.92)

# The twentieth blind-written set (tests/fixtures/unseen20: the organization name, and mail as
# mail programs write it) scored first: kind 88 %, language 92 %, Business ID 85 %, organization
# name 69 %, justification 62 %, contact name and phone 92 %, missing 69 %. Its misses led to:
# a footer set off by a rule below a long signature is part of the signature (its disclaimer
# asks no removal, its parent company's ID is not the applicant's, its language does not make
# the message mixed); the signature delimiter "-- "; an ID written in two groups ("2996 356-4");
# "On behalf of X I would like" ends the name before the writer; a sentence about the
# message's language is no reason; "X r.y. haluaa … rekisteriin" and "pyytää pääsyä" apply;
# "Yhteyshenkilö minä eli X"; "X:n seurakunnan diakoniatyö" names the parish in its base form;
# beside labels that give the other items, a paragraph of reasons is the justification. v2009
# takes the organization from the signature alone, as corpus 017 does; the corpus's 025, 040 and
# 042 leave it missing when the Business ID is not in the signature, and the parser follows them.
UNSEEN20_FLOORS = _floors(0.92, organization_name=0.84, missing=0.84)

# The twenty-first blind-written set (tests/fixtures/unseen21: the kind of message; Swedish and
# English) scored first: kind 75 %, Business ID 92 %, organization name 67 %, justification
# 75 %, contact items 83 %, missing 83 %. Its misses led to: asking whether the organization is
# already registered applies for nothing; a removal asked without a word for removing ("best if
# our organisation no longer appeared there"); a follow-up's own prose does not replace the
# reason an earlier message gave; the successor named in a removal, and "Kontaktperson där",
# are another body's; "frågor … kan ställas till undertecknad"; the signature's organization
# when the text names it too; a partner's newsletter that sells nothing is for a person, a
# price cut or a free demo makes one spam; "our Business ID (Y-tunnus)" and "Föreningen" are no
# names; a labelled name ends at its sentence's full stop. v2112 is threaded to v2104 only by
# an RA reference that a database gives, so the report cannot join them: it stays a miss here.
UNSEEN21_FLOORS = _floors(0.83, kind=0.87, is_request=0.87)

# The twenty-second blind-written set (tests/fixtures/unseen22: the Business ID among other
# numbers, in the corpus's mix of kinds) scored first: kind 94 %, Business ID, organization,
# contact items and missing 100 %, justification 75 %. Its misses led to: a paragraph written
# on one line (as HTML gives it) ends there, and after the reason a paragraph that opens on
# another body's ID is a remark; "meitä neuvottiin lähettämään" is about the message; a reason
# labelled in two languages is one reason; a directory's invoice is spam.
UNSEEN22_FLOORS = _floors(0.91)  # (12 messages with data: one miss is 91.7 %)

# The twenty-third blind-written set (tests/fixtures/unseen23: labels and forms as people fill
# them in) scored first: kind 94 %, Business ID and contact items 100 %, organization name 86 %,
# justification and missing 93 %. Its misses led to: a removal whose paragraph says why, beside
# labels, stays a removal (only a reason under a label makes labels an application); a line of
# prose that mentions "yhdistys" is no name standing alone; two labelled fields on one line
# split at a single semicolon.
UNSEEN23_FLOORS = _floors(0.92)

# The twenty-fourth blind-written set (tests/fixtures/unseen24: the corpus's mix written in
# haste: lower case, run-on paragraphs, colloquial Finnish and Swedish, languages mixed) scored
# first: kind 75 %, Business ID 69 %, organization name 54 %, justification 15 %, contact name
# 46 %, email and phone 62 %, missing 62 %. Its misses led to: a sentence may start in lower
# case (after a full stop that ends no abbreviation); "mä oon X", "soittakaa mulle 040 …",
# "ring mig, X, på …"; "meidän yhdistys X ry", "company X Oy", "X här från Y rf", "det gäller
# X rf med FO-nummer"; "fick rådet att skicka" is about the message; "den här mejladressen";
# "se puuttuva y-tunnus" completes a request; a Business ID in mid-sentence stands apart from
# the words around it; small talk, a lead-in ("X:stä kirjottelen – …") and an item promised
# "perään" are no reason. The justification and the contact name are still the weakest here.
UNSEEN24_FLOORS = _floors(
    0.84,
    kind=0.87,
    is_request=0.87,
    organization_name=0.76,
    justification=0.69,
    contact_name=0.69,
)

# The twenty-fifth blind-written set (tests/fixtures/unseen25: small organizations' volunteers
# and busy staff, tidy and hurried, spoken Finnish and Finland-Swedish) scored first: kind 88 %,
# Business ID 92 %, organization name and contact name 77 %, justification 38 %, email and phone
# 92 %, missing 77 %. Its misses led to: the writer's role ("mä oon sen puheenjohtaja", "ja e
# kassör där", "I am the chairwoman of", "my name is") is no reason; the items given a line
# each without labels, in the order asked; a reply that gives the Business ID its quoted
# application went without is a follow-up; a contact named in the genitive ("kollegani Anu
# Heinosen") in the base form the contact's address gives.
UNSEEN25_FLOORS = _floors(0.92, organization_name=0.76, justification=0.69, missing=0.76)

# The twenty-sixth blind-written set (tests/fixtures/unseen26: professional senders, long
# Outlook signatures, assistants, two contact persons, "ks. liite") scored first: kind 94 %,
# Business ID, justification and contact name 92 %, organization name and contact details
# 100 %, missing 75 %. Its misses led to: "ks. liite (…)" is no value; with the form's
# Business ID left to an attachment, an unlabelled ID elsewhere is another body's; a team
# ("Resident Services") signs, not a person; "Action required" and "will be removed" are signs
# of a register scam.
UNSEEN26_FLOORS = _floors(0.91)  # (12 messages with data: one miss is 91.7 %)

# The twenty-seventh blind-written set (tests/fixtures/unseen27: Swedish-speaking Finland and
# bilingual bodies) scored first: kind, Business ID and contact items 100 %, organization name
# 77 %, justification 85 %, missing 92 %. Its misses led to: bilingual labels joined by a dash
# ("Organisaatio – Organisation: X"); "har sålt", "har hittills funnits"; an apology for the
# message and "ja heiter" are no reason; a reply that gives the correct ID ("väärin päin",
# "oikea tunnus") is a follow-up.
UNSEEN27_FLOORS = _floors(0.92, organization_name=0.84, justification=0.76, missing=0.84)

# The twenty-eighth blind-written set (tests/fixtures/unseen28: no emphasis, the corpus's own
# mix of kinds, languages and shapes with new wording) scored first: every field 100 % but
# organization name and phone, 92 %. Its misses led to: an area code in brackets after a label
# ("Puhelin<TAB>(017) 263 4410") is part of the number, not a remark on the label.
UNSEEN28_FLOORS = _floors(0.91)  # (12 messages with data: one miss is 91.7 %)

# The twenty-ninth blind-written set (tests/fixtures/unseen29: mail typed in a hurry on a
# phone: abbreviations, typos, items run together, names in lower case) scored first: kind 88 %,
# Business ID 85 %, organization name 46 %, justification 31 %, contact name 54 %, email 85 %,
# phone 69 %, missing 31 %. Its misses led to: an abbreviated contact label ("yht.hlö",
# "yhteyshlö", "kontaktp.") starts the contact's part of a run-on line and no sentence ends at
# such an abbreviation; an organization typed in lower case is read when its legal form ends
# it ("korpelan eläkkeensaajat ry" alone on a line, "X ry:n voi poistaa"). The organization
# name and the justification remain this set's weakest fields.
UNSEEN29_FLOORS = _floors(
    0.84,
    kind=0.87,
    is_request=0.87,
    organization_name=0.53,
    justification=0.53,
    contact_name=0.76,
    contact_phone=0.76,
    missing=0.38,
)

# The thirtieth blind-written set (tests/fixtures/unseen30: English and mixed-language mail,
# international bodies, business-letter shapes) scored first: kind, language, contact details
# 100 %, Business ID, organization name, justification and contact name 92 %, missing 85 %.
# Its misses led to: a VAT number written in two groups ("FI 2322 4357"); the labels
# "Reason for access", "Org. name", "POC" and "Point of contact".
UNSEEN30_FLOORS = _floors(0.92)

# The thirty-first blind-written set (tests/fixtures/unseen31: conversations: applications,
# Kela's questions quoted in replies, corrections, thanks, a duplicate, a removal after an
# application) scored first: kind 81 %, language 92 %, Business ID, organization, contact items
# 83 %, justification 67 %, missing 100 %. Its misses led to: "tässä vielä puuttunut tieto"
# and a corrected number ("blev fel", "Rätt nummer är …", "oikea numero") make a reply a
# follow-up, and the corrected number is read as the contact's.
UNSEEN31_FLOORS = _floors(0.84, language=0.83, justification=0.76)

# The thirty-second blind-written set (tests/fixtures/unseen32: no emphasis, the corpus's own
# mix again) scored first: kind, Business ID and email 100 %, organization name, justification,
# contact name, phone and missing 92 %. Its misses led to: "Asiaa hoitaa meillä jatkossa
# sosiaaliohjaaja X" names the contact.
UNSEEN32_FLOORS = _floors(0.91, organization_name=0.83)  # (12 messages with data)

# The thirty-third blind-written set (tests/fixtures/unseen33: the kind, where it is hard to
# tell; 10 messages carry data) scored first: kind 81 %, Business ID, organization, contact
# name and phone 80 %, justification, email and missing 90 %. Its misses led to: a named body
# asking in a question to join ("Kan Föreningen X rf få ansluta sig …?") applies; an away
# notice told only by its subject ("Away until …") is an auto-reply. v3309, a change of name
# ("Vi vill alltså inte bli borttagna ur registret"), is still read as a removal: honouring
# the negation made it a request, which is worse, so it was left.
UNSEEN33_FLOORS = _floors(0.8, kind=0.87)

# Each blind-written set with its number of messages and its floors.
BLIND_SETS = {
    "unseen": (20, UNSEEN_FLOORS),
    "unseen2": (16, UNSEEN2_FLOORS),
    "unseen3": (16, UNSEEN3_FLOORS),
    "unseen4": (16, UNSEEN4_FLOORS),
    "unseen5": (16, UNSEEN5_FLOORS),
    "unseen6": (16, UNSEEN6_FLOORS),
    "unseen7": (16, UNSEEN7_FLOORS),
    "unseen8": (16, UNSEEN8_FLOORS),
    "unseen9": (16, UNSEEN9_FLOORS),
    "unseen10": (16, UNSEEN10_FLOORS),
    "unseen11": (16, UNSEEN11_FLOORS),
    "unseen12": (16, UNSEEN12_FLOORS),
    "unseen13": (16, UNSEEN13_FLOORS),
    "unseen14": (16, UNSEEN14_FLOORS),
    "unseen15": (16, UNSEEN15_FLOORS),
    "unseen16": (16, UNSEEN16_FLOORS),
    "unseen17": (16, UNSEEN17_FLOORS),
    "unseen18": (16, UNSEEN18_FLOORS),
    "unseen19": (16, UNSEEN19_FLOORS),
    "unseen20": (16, UNSEEN20_FLOORS),
    "unseen21": (16, UNSEEN21_FLOORS),
    "unseen22": (16, UNSEEN22_FLOORS),
    "unseen23": (16, UNSEEN23_FLOORS),
    "unseen24": (16, UNSEEN24_FLOORS),
    "unseen25": (16, UNSEEN25_FLOORS),
    "unseen26": (16, UNSEEN26_FLOORS),
    "unseen27": (16, UNSEEN27_FLOORS),
    "unseen28": (16, UNSEEN28_FLOORS),
    "unseen29": (16, UNSEEN29_FLOORS),
    "unseen30": (16, UNSEEN30_FLOORS),
    "unseen31": (16, UNSEEN31_FLOORS),
    "unseen32": (16, UNSEEN32_FLOORS),
    "unseen33": (16, UNSEEN33_FLOORS),
}


@pytest.mark.parametrize("folder", sorted(BLIND_SETS))
def test_blind_written_sets_are_read_well(folder: str) -> None:
    size, floors = BLIND_SETS[folder]
    files = corpus_files(FIXTURES / folder)
    assert len(files) >= size
    result = score(files)
    assert result.invalid_reported_valid == 0, report(result)
    assert not result.errors, report(result)
    assert set(floors) == set(TARGETS)
    for name, floor in floors.items():
        assert result.share(name) >= floor, report(result)
