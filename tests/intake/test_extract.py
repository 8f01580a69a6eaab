"""The five items: label variants and layouts, prose, and the applicant's Business ID."""

from pathlib import Path

from registry_admin.intake.document import read_document
from registry_admin.intake.extract import extract
from registry_admin.intake.labels import match_label
from registry_admin.intake.mime import TextPart


def _extract(text: str, subject: str = ""):
    return extract(read_document([TextPart(text, "body", "text/plain")], subject))


def test_label_variants_and_separators() -> None:
    assert match_label("• Y-tunnus/FO-nummer:\t0201256-6").field == "business_id"
    assert match_label("Organisaation nimi / Organisationens namn: X").field == "organization_name"
    assert match_label("- Reason for using the booking system We help").field == "justification"
    assert match_label("Yhteyshenkilön yhteystiedot").field == "contact_details"
    assert match_label("Taustaorganisaation Y-tunnus 1234567-8").field == "other_business_id"
    assert match_label("Perustelut ovat seuraavat") is None  # prose, not a field


def test_values_on_the_next_line_and_multiline_justification() -> None:
    found = _extract(
        "FO-nummer:\n24690501\n\nOrganisationens namn:\nTestförening rf\n\nMotivering:\n"
        "Vi hjälper\nklienter.\n\nKontaktperson:\nAnna Berg\n"
    )
    assert found.business_id.normalized == "2469050-1"
    assert found.business_id.as_written == "24690501"
    assert found.organization_name.value == "Testförening rf"
    assert found.justification.value == "Vi hjälper klienter."
    assert found.contact_name.value == "Anna Berg"
    assert found.missing() == ["contact_details"]


def test_parent_and_example_ids_are_not_the_applicants() -> None:
    found = _extract(
        "Y-tunnus: 0201256-6\nOrganisaatio: Testi Oy\n\nYhtiömme kuuluu konserniin "
        "(emoyhtiön Y-tunnus 0737546-2).\n\nTerveisin\nMaija Mäkinen\nTesti Oy\n"
        "Toimintaa ylläpitää Emo ry, Y-tunnus 0737546-2\n"
    )
    assert found.business_id.normalized == "0201256-6"
    only_footer = _extract(
        "Hei\n\nTerveisin\nMaija\nToimintaa ylläpitää Emo ry, Y-tunnus 0737546-2\n"
    )
    assert only_footer.business_id is None
    example = _extract("Lähettäkää Y-tunnus muodossa 1234567-8.\n")
    assert example.business_id is None


def test_wrong_check_digit_is_reported_invalid_and_old_ids_are_padded() -> None:
    bad = _extract("Y-tunnus: 0201256-7\n")
    assert (bad.business_id.normalized, bad.business_id.valid) == ("0201256-7", False)
    old = _extract("Y-tunnus: 201256-6\n")
    assert (old.business_id.normalized, old.business_id.valid) == ("0201256-6", True)
    vat = _extract("ALV-nro FI02012566\n")
    assert vat.business_id.normalized == "0201256-6"


def test_prose_request() -> None:
    found = _extract(
        "Hei!\n\nKirjoitan Testikylän Kyläyhdistys ry:n puolesta. Yhdistyksen Y-tunnus on "
        "0201256-6.\n\nVapaaehtoisemme auttavat ikäihmisiä Kelan asioissa. He varaisivat "
        "aikoja kylätalolta.\n\nLisätietoja antaa puheenjohtaja Matti Meikäläinen, "
        "matti@kyla.example.fi.\n\nTerveisin\nLiisa Virtanen\n"
    )
    assert found.organization_name.value == "Testikylän Kyläyhdistys ry"
    assert found.contact_name.value == "Matti Meikäläinen"
    assert found.contact_email.value == "matti@kyla.example.fi"
    assert found.justification.value.startswith("Vapaaehtoisemme auttavat")
    assert "Lisätietoja" not in found.justification.value


def test_evidence_points_into_the_source_text() -> None:
    text = "Hei\n\nY-tunnus: 0201256-6\n"
    found = _extract(text)
    evidence = found.business_id.evidence
    assert text[evidence.start : evidence.end] == "0201256-6"
    assert evidence.label == "Y-tunnus"


def test_labels_outside_the_known_vocabulary_are_read_by_their_words() -> None:
    assert match_label("Yhdistys: Testi ry").field == "organization_name"
    assert match_label("Förening: Test rf").field == "organization_name"
    assert match_label("Reason for access: We help").field == "justification"
    assert match_label("Why we need it: We help").field == "justification"
    assert match_label("Miksi tarvitsemme järjestelmää\tAutamme").field == "justification"
    assert match_label("Puhelin ja sähköposti: 040 123 4567").field == "contact_details"
    assert match_label("Alla Testi ry:n tiedot rekisteriin") is None  # an inflection, no label
    found = _extract("Nimi: Testi ry\nYhteyshenkilö: Maija Mäkinen\n")
    assert found.organization_name.value == "Testi ry"
    assert found.contact_name.value == "Maija Mäkinen"
    person = _extract("Organisaatio: Testi ry\nNimi: Maija Mäkinen\n")
    assert person.contact_name.value == "Maija Mäkinen"


def test_prose_that_names_the_organization_and_the_contact() -> None:
    found = _extract(
        "Hej!\n\nVi vill bli registrerade i tidsbokningssystemet. Vår klubb heter Testby "
        "Idrottsförening rf.\n\nKontaktperson är jag själv, Anna Berg, tfn 050 123 4567.\n\n"
        "Vi skickar motiveringen senare.\n\nTack!\nAnna\n"
    )
    assert found.organization_name.value == "Testby Idrottsförening rf"
    assert found.contact_name.value == "Anna Berg"
    assert found.justification is None  # naming and a promise are no reason
    we_are = _extract("Hello,\n\nWe are Testville Helpers ry, a small charity.\n")
    assert we_are.organization_name.value == "Testville Helpers ry"
    not_an_org = _extract("Hello,\n\nWe are Finnish volunteers, mostly retired.\n")
    assert not_an_org.organization_name is None


def test_contact_named_by_the_writer_and_a_signature_without_closing() -> None:
    other = _extract(
        "Hello,\n\nOur contact person for this matter is Mary Jones, our coordinator. She can "
        "be reached at mary@example.org.\n\nJohn Smith\nChair\nTestville Helpers ry\n"
    )
    assert other.contact_name.value == "Mary Jones"
    signer = _extract(
        "Hei,\n\nYhteyshenkilönä toimii allekirjoittanut.\n\nMaija Mäkinen\nsihteeri\nTesti ry\n"
        "puh. 040 123 4567\n"
    )
    assert signer.contact_name.value == "Maija Mäkinen"
    assert signer.contact_phone.value == "040 123 4567"


def test_this_address_means_the_senders_address() -> None:
    document = read_document(
        [
            TextPart(
                "Yhteyshenkilö: Maija Mäkinen\nYhteystiedot: vastaan tähän osoitteeseen\n",
                "body",
                "text/plain",
            )
        ],
        "",
        "maija@testi.example.fi",
    )
    assert extract(document).contact_email.value == "maija@testi.example.fi"
    no_reply = read_document(
        [TextPart("Reply to this address.\n", "body", "text/plain")], "", "noreply@x.example"
    )
    assert extract(no_reply).contact_email is None


def test_a_numbered_list_of_the_items_without_labels() -> None:
    found = _extract(
        "Hei\n\nTiedot:\n\n1. 0201256-6\n2. Testikylän Seniorit ry\n3. Autamme jäseniä Kelan "
        "asioissa, koska moni ei käytä nettiä.\n4. Maija Mäkinen\n5. puh. 040 123 4567\n"
    )
    assert found.business_id.normalized == "0201256-6"
    assert found.organization_name.value == "Testikylän Seniorit ry"
    assert found.contact_name.value == "Maija Mäkinen"
    assert found.justification.value.startswith("Autamme jäseniä")
    assert found.missing() == []
    reasons = _extract("Syitä:\n- Autamme ikäihmisiä\n- Testi ry auttaa\n- Monet eivät osaa\n")
    assert reasons.organization_name is None  # a list of reasons names no applicant


def test_headings_on_their_own_line_and_a_contact_named_before_the_role() -> None:
    found = _extract(
        "Organisation: Testville Helpers ry\n\nWhy we need it\nOur volunteers help elderly "
        "people with Kela matters.\n\nKontakt: Anna Berg, 050 123 4567\n"
    )
    assert found.justification.value == "Our volunteers help elderly people with Kela matters."
    assert found.contact_name.value == "Anna Berg"
    assert found.contact_phone.value == "050 123 4567"
    assert match_label("Bergbyns Hembygdsförening rf") is None  # a value, not a heading
    role = _extract(
        "Hei,\n\nTestikylän Seniorit ry hakee pääsyä rekisteriin.\n\nMaija Mäkinen toimii "
        "yhteyshenkilönä, puh. 040 123 4567.\n\nTerveisin\nPekka Salo\n"
    )
    assert role.contact_name.value == "Maija Mäkinen"
    assert role.contact_phone.value == "040 123 4567"


def test_dash_equals_and_bar_separate_a_label_from_its_value() -> None:
    assert match_label("Y-tunnus – 0201256-6").field == "business_id"
    assert match_label("Organisaation nimi = Testi ry").field == "organization_name"
    assert match_label("Kontaktperson | Anna Berg").field == "contact_name"
    assert match_label("Yhdistyksemme Y-tunnus – 0201256-6").field == "business_id"
    assert match_label("Emoyhtiön Y-tunnus – 0201256-6").field == "other_business_id"


def test_an_inflected_legal_form_name_in_a_joining_sentence_is_the_applicant() -> None:
    found = _extract(
        "Hei\n\nHaluaisimme Testikylän seniorit ry:n mukaan ajanvarausjärjestelmän "
        "rekisteriin. Yhteyshenkilönä toimin minä, Maija Mäkinen, p. 040 123 4567.\n"
    )
    assert found.organization_name.value == "Testikylän seniorit ry"
    assert found.contact_name.value == "Maija Mäkinen"
    assert found.justification is None
    swedish = _extract(
        "Vi på Testföreningen rf vill gärna ansluta oss till tidsbokningssystemet.\n"
    )
    assert swedish.organization_name.value == "Testföreningen rf"


def test_spaced_hyphens_arrows_and_table_bars_separate_labels_and_titles_are_dropped() -> None:
    found = _extract(
        "Y-tunnus - 0201256-6\nOrganisaation nimi -> Testi ry |\n"
        "Yhteyshenkilö | Toiminnanjohtaja Maija Mäkinen |\nPuhelin - 040 123 4567\n"
    )
    assert found.business_id.normalized == "0201256-6"
    assert found.organization_name.value == "Testi ry"
    assert found.contact_name.value == "Maija Mäkinen"
    english = _extract("Contact person: Project coordinator Jane Smith\nEmail: jane@x.example.fi\n")
    assert english.contact_name.value == "Jane Smith"


def test_a_numbered_answer_may_put_a_job_title_before_the_name() -> None:
    found = _extract(
        "1. 0201256-6\n2. Testikylän Seniorit ry\n3. Autamme ikäihmisiä heidän Kelan asioissaan.\n"
        "4. toiminnanjohtaja Maija Mäkinen\n5. 040 123 4567\n"
    )
    assert found.contact_name.value == "Maija Mäkinen"
    assert found.missing() == []


def test_a_body_named_in_base_form_or_with_a_genitive_in_a_joining_sentence() -> None:
    parish = _extract("Vi vill att Testby församling läggs till i FPA:s tidsbokningssystem.\n")
    assert parish.organization_name.value == "Testby församling"
    genitive = _extract("Vi vill ansluta Testföreningen rf:s rådgivning till tidsbokningen.\n")
    assert genitive.organization_name.value == "Testföreningen rf"


def test_a_capitalised_title_with_a_possessive_ending_is_not_part_of_the_name() -> None:
    found = _extract(
        "Y-tunnus: 0201256-6\nToiminnanjohtajamme Maija Mäkinen toimii yhteyshenkilönä.\n"
    )
    assert found.contact_name.value == "Maija Mäkinen"


def test_each_reading_of_the_applicant_in_prose_passes_its_cheap_test() -> None:
    from registry_admin.intake.prose import ORG_IN_PROSE, ORG_IN_PROSE_NEEDS

    examples = [
        "Olemme Setlementti Pellavan työntekijöitä ja neuvomme asiakkaita",
        "täällä Hyvinvointisäätiö Toivossa on pohdittu asiaa",
        "Testikylän Seniorit ry haluaa liittyä rekisteriin",
        "Vi är Bergbyns Hembygdsförening rf och vi vill ansluta oss",
        "I write on behalf of Testville Helpers to apply",
        "Kirjoitan Testikylän Seniorit ry:n puolesta",
        "Testikylän Seniorit ry (Y-tunnus 0201256-6) hakee pääsyä",
        "Jag skriver på uppdrag av Bergbyns Hembygdsförening rf, som vill ansluta sig",
        "Yhdistyksemme nimi on Testikylän Seniorit ry.",
        "We are Testville Helpers ry, a small charity.",
        "Our association is Kaislaranta Women’s Club ry, Business ID 3103173-1.",
        "Jag är ordförande för Sandholms Seniorhjälp rf, en liten frivilligförening.",
        "Aurinkorinteen Eläkeläiset ry, y-tunnus 2487605-8",
        "Karhulan Kohtaamispaikka ry on vuonna 1986 perustettu yhdistys",
        "testilammen kyläyhdistys ry haluaisi rekisteriin",
        "Göran här från Testbygdens pensionärsförening rf, hoppas ni mår bra",
        "eli meidän yhdistys Pursilan Eläkkeensaajat ry haluis päästä rekisteriin",
    ]
    for number, (rx, needs, sentence) in enumerate(
        zip(ORG_IN_PROSE, ORG_IN_PROSE_NEEDS, examples, strict=True)
    ):
        assert rx.search(sentence), number
        assert needs(sentence), number
    corpus = Path(__file__).parent.parent / "fixtures" / "corpus"
    for path in sorted(corpus.glob("*.eml")):
        for line in path.read_bytes().decode("utf-8", "replace").splitlines():
            for rx, needs in zip(ORG_IN_PROSE, ORG_IN_PROSE_NEEDS, strict=True):
                assert not rx.search(line) or needs(line), line


def test_a_name_of_several_words_after_on_behalf_of_is_read_whole() -> None:
    from registry_admin.intake.prose import org_from_prose

    for sentence, name in [
        (
            "Jag skriver på uppdrag av Stiftelsen Gröna Gläntan sr, vars FO-nummer är",
            "Stiftelsen Gröna Gläntan sr",
        ),
        (
            "Jag skriver på uppdrag av Bergbyns Hembygdsförening rf som vill ansluta sig",
            "Bergbyns Hembygdsförening rf",
        ),
        ("I write on behalf of Testville Senior Helpers, a charity.", "Testville Senior Helpers"),
    ]:
        assert org_from_prose(sentence) == name, sentence


def test_a_bare_name_line_names_the_organization_when_the_contact_has_a_label() -> None:
    form = (
        "Y-tunnus 3104581-8\n"
        "Nimi {name}\n"
        "Perustelu Autamme asiakkaita Kela-asioissa joka viikko.\n"
        "{contact}"
        "Puhelin 040 551 2290\n"
    )
    labelled = _extract(form.format(name="Pohjoisen Apu", contact="Yhteyshenkilö Maija Mäki\n"))
    assert labelled.organization_name.value == "Pohjoisen Apu"
    assert labelled.contact_name.value == "Maija Mäki"
    # Without a contact person's label of its own, a name that reads as a person's is one.
    alone = _extract(form.format(name="Maija Mäki", contact=""))
    assert alone.contact_name.value == "Maija Mäki"
    assert alone.organization_name is None


def test_organisationsnummer_and_registration_number_label_a_business_id() -> None:
    for label in ("Organisationsnummer", "Org.nr", "Organization number", "Registration number"):
        found = _extract(f"{label}: 3104581-8\nOrganisationens namn: Hälsoringen rf\n")
        assert found.business_id.normalized == "3104581-8", label
        assert found.organization_name.value == "Hälsoringen rf", label


def test_markdown_emphasis_around_a_label_is_read_through() -> None:
    text = (
        "**Y-tunnus:** 3104581-8\n**Organisaatio:** Kipinä ry\n__Yhteyshenkilö__: Jukka Pelto\n"
        "*Puhelin:* 044 519 7730\n"
    )
    found = _extract(text)
    assert found.labelled_fields == 4
    assert found.business_id.normalized == "3104581-8"
    assert found.organization_name.value == "Kipinä ry"
    assert found.contact_name.value == "Jukka Pelto"
    start = found.organization_name.evidence.start
    assert text[start : found.organization_name.evidence.end] == "Kipinä ry"


def test_the_items_of_a_form_written_on_one_line_between_semicolons() -> None:
    text = (
        "Hei\n\nTiedot: Y-tunnus 3104581-8; Kylän Apu ry; perustelu: neuvomme jäseniä "
        "Kela-asioissa; yhteyshenkilö Pekka Aalto (pj); toimisto@kylanapu.example.fi, "
        "045-231 7789\n"
    )
    found = _extract(text)
    assert found.business_id.normalized == "3104581-8"
    assert found.justification.value == "neuvomme jäseniä Kela-asioissa"
    assert found.contact_name.value == "Pekka Aalto"
    assert found.contact_email.value == "toimisto@kylanapu.example.fi"
    assert found.contact_phone.value == "045-231 7789"
    # A justification whose sentences are joined by semicolons stays whole.
    one = _extract("Perustelu: neuvomme jäseniä; autamme hakemuksissa; soitamme Kelaan\n")
    assert one.justification.value == "neuvomme jäseniä; autamme hakemuksissa; soitamme Kelaan"


def test_a_name_read_without_its_legal_form_takes_it_from_where_it_is_written_whole() -> None:
    found = _extract(
        "Hei\n\nVaaramäen työttömät haluaa päästä Kelan ajanvarausrekisteriin. Y-tunnus on "
        "3104581-8.\n\nt. Pekka Aaltonen\nVaaramäen Työttömät ry – puheenjohtaja\n"
    )
    assert found.organization_name.value == "Vaaramäen Työttömät ry"


def test_on_behalf_of_the_named_body_and_its_business_id_in_brackets() -> None:
    found = _extract(
        "I am writing on behalf of the International Parents' Network Finland ry "
        "(Business ID 3104581-8). We would like to join the registry.\n"
    )
    assert found.organization_name.value == "International Parents' Network Finland ry"
    assert found.business_id.normalized == "3104581-8"


def test_small_shapes_of_informal_mail() -> None:
    # "ks. liite" points to an attachment: no value; an honorific is not part of the name.
    found = _extract(
        "Y-tunnus: 3104581-8\nOrganisaatio: Kylän Apu ry\nPerustelut: ks. liite\n"
        "Yhteyshenkilö: Ms Sarah Lind\nPuhelin: 040 551 2290\n"
    )
    assert found.justification is None
    assert found.contact_name.value == "Sarah Lind"
    # "Meidän y-tunnus" is the applicant's; "Yritys- ja yhteisötunnus" is a Business ID label.
    assert _extract("Meidän y-tunnus: 3104581-8\n").business_id.normalized == "3104581-8"
    assert _extract("Yritys- ja yhteisötunnus: 3104581-8\n").business_id.normalized == "3104581-8"


def test_the_writer_as_contact_person() -> None:
    # A closing with the name on the same line signs the message.
    signed = _extract(
        "Moi,\n\nKylän Apu ry hakee pääsyä ajanvarausjärjestelmään. Autamme ikäihmisiä "
        "Kela-asioissa joka viikko.\n\nY-tunnus: 3104581-8\nPuhelin 040 551 2290\n\n"
        "terv. Heli Räty\nKylän Apu ry\n"
    )
    assert signed.contact_name.value == "Heli Räty"
    assert "Heli" not in signed.justification.value
    # The writer introduces themselves and says they are the contact; the signature is short.
    introduced = _extract(
        "Hei\n\nOlen Pekka Nieminen ja minut tavoittaa numerosta 050 234 8816. Autamme "
        "maahanmuuttajia Kela-asioissa neuvontapisteessämme.\n\nToimin itse "
        "yhteyshenkilönä.\n\nPekka\n"
    )
    assert introduced.contact_name.value == "Pekka Nieminen"
    # "Yhteyshenkilöksi laitetaan minut (Name, title, phone)".
    bracketed = _extract(
        "Y-tunnus 3104581-8\n\nYhteyshenkilöksi laitetaan minut (Mervi Salo, sosiaaliohjaaja, "
        "044 718 2290). Jos en ole tavoitettavissa, asioita hoitaa Jari Lehto.\n"
    )
    assert bracketed.contact_name.value == "Mervi Salo"


def test_a_letter_with_only_its_contact_details_labelled_is_read_as_prose() -> None:
    found = _extract(
        "Hej!\n\nSundby församling vill ansluta sig till registret. Vårt FO-nummer är "
        "3582583-8.\n\nFörsamlingens diakoniarbete möter varje vecka äldre som behöver hjälp "
        "med sina FPA-ärenden, och därför vill vi kunna boka telefontider åt dem.\n\n"
        "Kontaktuppgifter:\nE-post: diakoni@sundby.example.fi\nTelefon: 019 552 3710\n"
    )
    assert found.justification.value.startswith("Församlingens diakoniarbete")
    assert found.contact_email.value == "diakoni@sundby.example.fi"


def test_a_forwarded_message_quoted_whole_is_read_as_forwarded() -> None:
    from registry_admin.intake.document import FORWARD, HEADER

    text = (
        "Hej, Eino bad mig skicka vidare det här.\n/Camilla\n\nVidarebefordrat brev:\n\n"
        "> Från: Eino Mattila <eino@example.fi>\n> Datum: 9 oktober 2025\n"
        "> Till: Camilla <camilla@example.fi>\n> Ämne: Rekisteri\n>\n> Hei,\n>\n"
        "> Y-tunnus: 3176205-9\n> Yhteyshenkilö: Eino Mattila\n"
    )
    document = read_document([TextPart(text, "body", "text/plain")], "VB: Rekisteri")
    zones = {line.text: line.zone for line in document.lines if line.text.strip()}
    assert zones["Från: Eino Mattila <eino@example.fi>"] == HEADER
    assert zones["Y-tunnus: 3176205-9"] == FORWARD
    found = extract(document)
    assert found.business_id.normalized == "3176205-9"
    assert found.contact_name.value == "Eino Mattila"


def test_the_applicant_named_in_finnish_cases_and_beside_its_business_id() -> None:
    from registry_admin.intake.prose import org_from_prose

    for sentence, name in [
        (
            "Olemme Setlementti Pellavan työntekijöitä ja pyöritämme neuvontapistettä.",
            "Setlementti Pellava",
        ),
        ("täällä Hyvinvointisäätiö Toivossa on pohdittu asiaa.", "Hyvinvointisäätiö Toivo"),
        (
            "I am writing on behalf of our company Sysiranta HomeCare Oy, we want access.",
            "Sysiranta HomeCare Oy",
        ),
        ("Aurinkorinteen Eläkeläiset ry, y-tunnus 2487605-8", "Aurinkorinteen Eläkeläiset ry"),
    ]:
        assert org_from_prose(sentence) == name, sentence


def test_answers_written_between_the_quoted_questions_of_kelas_message() -> None:
    from registry_admin.intake.document import KELA, OWN

    text = (
        "Hei,\n\nvastaukset alla kysymysten väliin.\n\nEero Laine\n\n"
        "> Lähettäjä: Kelan tekninen tuki <tekninentuki@kela.fi>\n"
        "> Lähetetty: maanantai 24. maaliskuuta 2025 14.03\n"
        "> Aihe: RE: Kelan ajanvarausjärjestelmän rekisteri\n>\n"
        "> 1. Y-tunnus (muodossa 1234567-8)\n2970097-5\n"
        "> 2. Organisaation nimi\nKuohuniemen Työttömät ry\n"
        "> 3. Perustelut\nYlläpidämme työttömien kohtaamispaikkaa.\nAutamme Kela-asioissa.\n"
        "> 4. Yhteyshenkilön nimi\nEero Laine, puheenjohtaja\n"
        "> 5. Yhteystiedot\neero.laine@example.org\n>\n> Ystävällisin terveisin\n"
        "> Kelan tekninen tuki\n"
    )
    document = read_document([TextPart(text, "body", "text/plain")], "VS: RE: Rekisteri")
    zones = {line.text: line.zone for line in document.lines if line.text.strip()}
    assert zones["2. Organisaation nimi"] == KELA
    assert zones["Kuohuniemen Työttömät ry"] == OWN
    found = extract(document)
    assert found.business_id.normalized == "2970097-5"
    assert found.organization_name.value == "Kuohuniemen Työttömät ry"
    assert found.justification.value == (
        "Ylläpidämme työttömien kohtaamispaikkaa. Autamme Kela-asioissa."
    )
    assert found.contact_name.value == "Eero Laine"
    assert found.contact_email.value == "eero.laine@example.org"


def test_a_row_pasted_from_a_spreadsheet_under_its_row_of_labels() -> None:
    text = (
        "Hei,\n\nkopioin tiedot alle taulukosta.\n\n"
        "Y-tunnus\tOrganisaatio\tPerustelut\tYhteyshenkilö\tSähköposti\tPuhelin\n"
        "2252964-2\tHaukilammen Omaishoitajat ry\tOhjaaja varaisi omaishoitajalle ajan.\t"
        "Hanna Kivelä\thanna@example.org\t041 627 9904\n"
    )
    found = _extract(text)
    assert found.business_id.normalized == "2252964-2"
    assert found.organization_name.value == "Haukilammen Omaishoitajat ry"
    assert found.justification.value == "Ohjaaja varaisi omaishoitajalle ajan."
    assert found.contact_name.value == "Hanna Kivelä"
    assert found.contact_phone.value == "041 627 9904"
    start = found.organization_name.evidence.start
    assert text[start : found.organization_name.evidence.end] == "Haukilammen Omaishoitajat ry"


def test_a_note_from_a_phone_names_no_organization_and_gives_its_number() -> None:
    found = _extract(
        "Moi! meidän yhdistys (ytunnus 3187452-8) haluis päästä teidän "
        "ajanvarausjärjestelmään. autetaan vanhuksia kela asioissa\n"
        "mun numero 0405538217 / Laura\n"
    )
    assert found.business_id.normalized == "3187452-8"
    assert found.organization_name is None  # "meidän yhdistys" names nobody
    assert found.contact_phone.value == "0405538217"


def test_business_ids_wrapped_over_a_line_or_of_a_partner_and_names_with_a_remark() -> None:
    wrapped = _extract("Y-tunnus: 3335295-\n0\nOrganisaatio: Kiviharjun hyvinvointialue\n")
    assert wrapped.business_id.normalized == "3335295-0"
    assert wrapped.business_id.as_written == "3335295-0"
    partner = _extract(
        "Haemme Ruoholan Nuorisoverstas ry:lle oikeutta käyttää ajanvarausjärjestelmää.\n\n"
        "Teemme yhteistyötä Ruoholan Mielenterveysseura ry:n (Y-tunnus 2226085-8) kanssa.\n"
    )
    assert partner.business_id is None  # the partner's ID is not the applicant's
    remark = _extract("Yritys: Kotihoito Tuulia Oy (kotipalvelut ja omaishoidon tuki)\n")
    assert remark.organization_name.value == "Kotihoito Tuulia Oy"
    unit = _extract("Organisaatio: Routasalmen Setlementti ry, nuorisotyö\n")
    assert unit.organization_name.value == "Routasalmen Setlementti ry, nuorisotyö"


def test_what_mail_clients_leave_in_the_text() -> None:
    # A zero-width space in the ID, no-break spaces in the phone, fields between bars.
    bars = _extract(
        "Moi! Tässä tiedot: Y-tunnus 3969390\u200b-8 | Tervaniemen Työttömät ry | Perustelu: "
        "autamme jäseniä Kela-asioissa | Yhteyshenkilö Arto Nyman, arto@example.org | puh +358\u200b\u00a040"
        "\u00a0627\u00a01195\n\nLähetetty Samsung Galaxy -älypuhelimesta.\n"
    )
    assert bars.business_id.normalized == "3969390-8" and bars.business_id.valid
    assert bars.organization_name.value == "Tervaniemen Työttömät ry"
    assert bars.justification.value == "autamme jäseniä Kela-asioissa"
    assert bars.contact_phone.value.startswith("+358")
    # "Our association is X ry"; "Here are our details." and "Sent from my iPhone" give no reason.
    prose = _extract(
        "Hi,\n\nHere are our details.\n\nOur association is Kaislaranta Women’s Club ry, "
        "Business ID 3103173-1. We run a weekly advice desk for immigrant women who need help "
        "with Kela.\n\nSent from my iPhone\n"
    )
    assert prose.organization_name.value == "Kaislaranta Women’s Club ry"
    assert prose.justification.value.startswith("We run a weekly advice desk")


def test_a_name_standing_alone_and_a_company_written_from() -> None:
    alone = _extract(
        "Moi\n\nHaluttais päästä kelan ajanvarausjärjestelmän rekisteriin.\n\n"
        "Salmenkylän Nuorisoseura ry\nytunnus 20062516\npuh 040 518 7734\n"
    )
    assert alone.organization_name.value == "Salmenkylän Nuorisoseura ry"
    written = _extract(
        "Hello,\n\nI am writing from Talousapu Pohjola Oy. We do debt advice.\n\n"
        "Our Y-tunnus is 3844267-2.\n"
    )
    assert written.organization_name.value == "Talousapu Pohjola Oy"
    adverb = _extract(
        "Därför ansöker vi nu för Norrnäs kommun. Våra socialarbetare hjälper klienter.\n"
    )
    assert adverb.organization_name is None or adverb.organization_name.value != "Därför"


def test_an_item_announced_for_later_and_a_company_registration_number() -> None:
    later = _extract(
        "Y-tunnus: 3104581-8\nPerustelut: täydennän tämän kohdan ensi viikolla, kun olen "
        "käynyt asian läpi johtoryhmän kanssa\n"
    )
    assert later.justification is None
    company = _extract("Company registration no. (Y-tunnus): 3427952 – 1\n")
    assert company.business_id.normalized == "3427952-1"


def test_a_heading_in_capitals_and_joining_said_in_swedish() -> None:
    headed = _extract(
        "Hyvää päivää,\n\nORGANISAATIO\n------------\nNimi: Muistiyhdistys ry\n"
        "Y-tunnus: 2129945-1\n\nMIKSI HAEMME\n------------\nMuistineuvojamme tapaavat "
        "viikoittain muistisairaita. Voisimme varata ajan yhdessä perheen kanssa.\n\n"
        "YHTEYSHENKILÖ\n-------------\nNimi: Riitta Pölönen\nPuhelin: 044 905 3318\n"
    )
    assert headed.justification.value.startswith("Muistineuvojamme tapaavat")
    joining = _extract(
        "Hej,\n\nvi skulle gärna vilja komma med i registret för FPA:s tidsbokning. Vi hjälper "
        "äldre i skärgården med pappersarbete och ärenden.\n\nFO-nummer: 3104581-8\n"
    )
    assert joining.justification.value.startswith("Vi hjälper äldre")


def test_where_a_prose_justification_begins() -> None:
    # Asking to join and giving the reason in one sentence: the sentence is a reason.
    because = _extract(
        "Hej,\n\nVi behöver tillgång till tidsbokningen eftersom våra familjerådgivare varje "
        "vecka träffar familjer med frågor om barnbidrag. Många föräldrar hinner inte ringa FPA "
        "under arbetstid.\n\nFO-nummer: 3104581-8\n"
    )
    assert because.justification.value.startswith("Vi behöver tillgång")
    # "Toimitan säätiömme puolesta hakemuksen": about the message, no reason; "heti kun asia
    # tulee esiin" is a reason, not an item announced for later.
    sent = _extract(
        "Hei,\n\ntoimitan säätiömme puolesta hakemuksen ajanvarausjärjestelmän käyttöön. "
        "Nuoret, joita tuemme, hakevat usein ensimmäistä kertaa asumistukea. Ohjaajamme "
        "voisivat varata heille ajan heti kun asia tulee esiin.\n\nY-tunnus: 3104581-8\n"
    )
    assert sent.justification.value.startswith("Nuoret, joita tuemme")
    assert sent.justification.value.endswith("heti kun asia tulee esiin.")


def test_the_writer_introducing_themselves_is_no_reason_and_may_name_the_organization() -> None:
    found = _extract(
        "Bästa mottagare,\n\nJag är ordförande för Sandholms Seniorhjälp rf, en liten "
        "frivilligförening. Många av dem vi besöker klarar inte av att nå FPA per telefon, "
        "och våra frivilliga kunde boka en telefontid åt dem.\n\nFO-nummer: 3104581-8\n"
    )
    assert found.organization_name.value == "Sandholms Seniorhjälp rf"
    assert found.justification.value.startswith("Många av dem vi besöker")
    meeting = _extract(
        "Hei,\n\nNuoret hakevat usein asumistukea. Ohjaajamme haluaisivat varata nuorelle "
        "ajan tapaamisen yhteydessä, jotta hakemukset saadaan kuntoon.\n\nY-tunnus: 3104581-8\n"
    )
    assert meeting.justification.value.endswith("jotta hakemukset saadaan kuntoon.")


def test_the_contact_named_just_before_how_to_reach_them() -> None:
    for text, name in [
        (
            "Den som sköter ärendet hos oss är vår kassör Bertil Lönnqvist, som nås på "
            "040 772 1906.\n\nHälsningar\nGunilla Rosenqvist\nordförande\n",
            "Bertil Lönnqvist",
        ),
        (
            "Käytännön asioissa teitä palvelee vastaava ohjaaja Marketta Ollila, jonka tavoittaa "
            "arkisin numerosta 020 734 5561.\n\nYstävällisesti\nHelena Aaltonen\n",
            "Marketta Ollila",
        ),
    ]:
        found = _extract("Y-tunnus: 3104581-8\n\n" + text)
        assert found.contact_name.value == name


def test_who_answers_questions_an_item_to_come_and_a_name_before_its_verb() -> None:
    answered = _extract(
        "FO-nummer: 3104581-8\n\nFrågor om ansökan besvaras av vår diakon Ulrika Strand, "
        "ulrika.strand@example.fi.\n\nMed vänlig hälsning\nMats Lindroos\nkyrkoherde\n"
    )
    assert answered.contact_name.value == "Ulrika Strand"
    later = _extract("Y-tunnus: 3104581-8\nPerustelut: (täydennetään myöhemmin)\n")
    assert later.justification is None
    removal = _extract(
        "Hei,\n\nPajuniemen Ruoka-apu ry:n hallitus on päättänyt lopettaa toiminnan. "
        "Y-tunnus 3104581-8.\n"
    )
    assert removal.organization_name.value == "Pajuniemen Ruoka-apu ry"


def test_dot_leaders_and_a_chair_naming_the_association() -> None:
    leaders = _extract("Yrityksen nimi ...... Työpolku Valmennus Oy\nY-tunnus.........2672483-5\n")
    assert leaders.organization_name.value == "Työpolku Valmennus Oy"
    assert leaders.business_id.as_written == "2672483-5"
    chair = _extract(
        "Hei,\n\nKunnan sosiaalitoimistosta neuvottiin ottamaan teihin yhteyttä. Olen "
        "Kuohunlahden Kyläyhdistys ry:n puheenjohtaja ja haen yhdistyksellemme pääsyä "
        "ajanvarausjärjestelmään. Autamme ikäihmisiä kylällämme Kela-asioissa.\n"
    )
    assert chair.organization_name.value == "Kuohunlahden Kyläyhdistys ry"
    assert chair.justification.value.startswith("Autamme ikäihmisiä")


def test_a_message_the_writer_says_they_forward_is_read_though_quoted_as_a_reply() -> None:
    form = (
        "> Y-tunnus: 2280964-4\n> Nimi: Testilähetys ry\n"
        "> Perustelut: Asiakkaamme kysyvät Kelan ajoista.\n> Yhteyshenkilö: Mervi Testinen\n"
    )
    forwarded = "Hei,\n\nvälitän alla hakemuksen.\n\nJouko\n\n"
    attributed = forwarded + "ma 3.3.2025 klo 14.08 Mervi Testinen <m@example.fi> kirjoitti:\n"
    for text in (attributed + form, forwarded + form):
        found = _extract(text)
        assert found.business_id.normalized == "2280964-4"
        assert found.contact_name.value == "Mervi Testinen"
    # Without the writer saying so, a quoted message is an earlier one, not the application.
    assert _extract("Hei,\n\nkiitos viestistä.\n\n" + form).business_id is None


def test_answers_below_kelas_questions_after_the_writers_own_closing_and_a_blank_line() -> None:
    text = (
        "Hi,\n\nplease find my answers below each question.\n\nBr,\nJon\n\n"
        "On Mon, 17 Mar 2025 at 11:20, Kela technical support <tekninentuki@kela.fi> wrote:\n"
        "> We need the following information:\n>\n"
        "> 1. Business ID (in the format 1234567-8)\n\n3352107-2\n\n"
        "> 2. Name of the organisation\n\nTest Rehab Oy\n\n"
        "> 3. Justification for using the appointment booking system\n\n"
        "We coach clients in rehabilitation.\n\n"
        "> 4. Name of the contact person\n\nJon Tester, manager\n\n"
        "> Best regards\n> Kela technical support\n"
    )
    found = _extract(text, "Re: Kela appointment booking system register")
    assert found.business_id.normalized == "3352107-2"
    assert found.organization_name.value == "Test Rehab Oy"
    assert found.justification.value == "We coach clients in rehabilitation."
    assert found.contact_name.value == "Jon Tester"


def test_an_introduction_before_the_paragraph_that_applies_and_says_why_is_no_reason() -> None:
    text = (
        "Hyvä tekninen tuki,\n\n"
        "Testilahden Mielenterveysyhdistys Majakka ry on vuonna 1986 perustettu yhdistys, "
        "jossa on noin 260 jäsentä. Toimintaamme rahoitetaan jäsenmaksuilla.\n\n"
        "Haemme käyttöoikeutta ajanvarausjärjestelmään, koska kävijämme tarvitsevat apua Kelan "
        "etuuksissa. Ohjaajamme varaisivat heille ajan.\n\nY-tunnus: 1876523-9\n"
    )
    found = _extract(text)
    assert found.organization_name.value == "Testilahden Mielenterveysyhdistys Majakka ry"
    assert found.justification.value.startswith("Haemme käyttöoikeutta")
    assert found.justification.value.endswith("Ohjaajamme varaisivat heille ajan.")
    # With no paragraph that applies and says why, the description is the reason given.
    described = _extract(
        text.replace("Haemme käyttöoikeutta ajanvarausjärjestelmään, koska k", "K")
    )
    assert described.justification.value.startswith("Testilahden Mielenterveysyhdistys")


def test_the_contact_named_before_a_relative_clause_that_gives_the_role() -> None:
    for sentence, name in (
        (
            "This work is led by our coordinator Amira Testi, who will also act as the contact "
            "person (amira@example.org).",
            "Amira Testi",
        ),
        (
            "Työtä johtaa ohjaaja Liisa Testinen, joka toimii myös yhteyshenkilönä "
            "(liisa@example.org).",
            "Liisa Testinen",
        ),
    ):
        found = _extract(f"Hello,\n\n{sentence}\n\nKind regards,\nDaniel Writer\n")
        assert found.contact_name.value == name


def test_an_organization_that_closed_names_itself_in_the_past_tense() -> None:
    for sentence in (
        "Testilahden Työttömien Yhdistys ry lopetti neuvontapisteensä 28.2.2025.",
        "Testilahden Työttömien Yhdistys ry has closed its advice point.",
    ):
        found = _extract(f"Hei,\n\n{sentence} Pyydämme poistamaan meidät.\n\nY-tunnus 0896413-8\n")
        assert found.organization_name.value == "Testilahden Työttömien Yhdistys ry"


def test_a_business_id_written_in_two_groups_and_an_org_before_the_writer() -> None:
    found = _extract(
        "Hello,\n\nOn behalf of Osuuskunta Testin Tulkit I would like to apply for access to "
        "the booking system.\n\nBusiness ID: 2996 356-4\n"
    )
    assert found.business_id.normalized == "2996356-4" and found.business_id.valid
    assert found.organization_name.value == "Osuuskunta Testin Tulkit"


def test_a_sentence_about_the_language_of_the_message_is_no_reason() -> None:
    found = _extract(
        "Hi,\n\nI wrote it in English, I hope that is fine. We are a cooperative of interpreters "
        "who help clients with Kela matters every week.\n\nBusiness ID: 2614961-2\n"
    )
    assert found.justification.value.startswith("We are a cooperative")


def test_the_signature_delimiter_starts_the_signature() -> None:
    found = _extract(
        "Moi\n\nMeidät voisi lisätä rekisteriin.\n\nY-tunnus: 2476931-6\n"
        "Yritys: Testin Työvalmennus Oy\n\nt. Risto\n\n--\nRisto Testinen\nyrittäjä\n"
        "0400 612 738\n"
    )
    assert found.contact_name.value == "Risto Testinen"
    assert found.contact_phone.value == "0400 612 738"
    assert found.justification is None


def test_a_unit_of_a_parish_asking_for_access_names_the_parish() -> None:
    found = _extract(
        "Hei!\n\nTestiniemen seurakunnan diakoniatyö pyytää pääsyä Kelan "
        "ajanvarausjärjestelmään.\n\nDiakoniatyöntekijät auttavat viikoittain ihmisiä, joilla "
        "on vaikeuksia hakea Kelan etuuksia.\n\nY-tunnuksemme on 20667750.\n"
    )
    assert found.organization_name.value == "Testiniemen seurakunta"
    assert found.justification.value.startswith("Diakoniatyöntekijät auttavat")


def test_a_paragraph_of_reasons_beside_labels_that_give_the_other_items() -> None:
    labels = (
        "Yhdistys: Testin Omaishoitajat ry\nYhteyshenkilö: Helena Testinen\nPuhelin: 044 530 7761\n"
    )
    reason = (
        "Yhdistyksessämme on noin 120 jäsentä, ja moni heistä hoitaa kotona puolisoaan. "
        "Omaishoitajilla ei ole aikaa jonottaa puhelimessa, joten vertaisohjaajamme voisivat "
        "varata heille ajan Kelaan omaishoidon tukea koskevissa asioissa.\n\n"
    )
    found = _extract("Hei,\n\n" + reason + labels)
    assert found.justification.value.startswith("Yhdistyksessämme on noin 120 jäsentä")
    # A line of chatter beside the labels is no reason.
    chatter = _extract("Hei,\n\nHör gärna av er om något saknas i uppgifterna.\n\n" + labels)
    assert chatter.justification is None


def test_a_business_id_given_only_in_the_subject() -> None:
    body = (
        "Hei!\n\nHaemme Testin Nuorisoverstas ry:lle oikeutta käyttää ajanvarausjärjestelmää.\n\n"
        "Teemme yhteistyötä Testin Mielenterveysseura ry:n (Y-tunnus 2226085-8) kanssa.\n"
    )
    subject = (
        "Kelan ajanvarausjärjestelmän rekisteri – Testin Nuorisoverstas ry, Y-tunnus 3477169-8"
    )
    found = _extract(body, subject)
    assert found.business_id.normalized == "3477169-8"
    assert found.business_id.evidence.source == "subject"
    # An ID in the text is the one read; an invalid one in the subject is not taken.
    assert _extract("Y-tunnus: 0201256-6\n", subject).business_id.normalized == "0201256-6"
    assert _extract(body, "Rekisteri, Y-tunnus 3477169-9").business_id is None


def test_the_name_of_an_id_or_of_a_kind_of_body_is_no_organization_name() -> None:
    from registry_admin.intake.prose import org_from_prose

    assert org_from_prose("For reference, our Business ID (Y-tunnus) is 1846205-1.") is None
    assert org_from_prose("Föreningen upplöses vid årsmötet i augusti.") is None
    assert org_from_prose("Testföreningen Fyrbåken rf upplöses den 31 mars.") == (
        "Testföreningen Fyrbåken rf"
    )


def test_a_followups_own_prose_does_not_replace_an_earlier_reason() -> None:
    earlier = _extract("Y-tunnus: 0201256-6\nPerustelut: Autamme asiakkaita Kela-asioissa.\n")
    said = _extract("Hei,\n\naiemmassa tiedossa kaksi numeroa oli väärin päin, nyt oikein.\n")
    labelled = _extract("Perustelut: Ohjaamme nuoria Kelan palveluihin viikoittain.\n")
    assert said.justification is not None and said.justification.evidence.label is None
    assert said.merged_over(earlier).justification == earlier.justification
    assert labelled.merged_over(earlier).justification == labelled.justification


def test_a_labelled_name_ends_at_the_full_stop_of_its_sentence() -> None:
    found = _extract("Contact person: Mikael Testinen. He reads this mailbox.\n")
    assert found.contact_name.value == "Mikael Testinen"
    # (an initial is no sentence end)
    assert _extract("Yhteyshenkilö: Anna K. Testinen\n").contact_name.value.endswith("Testinen")


def test_a_paragraph_on_a_line_of_its_own_that_opens_on_another_bodys_id_is_no_reason() -> None:
    reason = (
        "Asukastuvalla käy paljon perheitä ja ikäihmisiä, jotka tarvitsevat apua Kela-asioinnissa "
        "ja joita ohjaajamme neuvovat joka viikko."
    )
    remark = (
        "Asukastupa toimii Testin Vuokrakodit Oy:n (Y-tunnus 2417093-6) tiloissa osoitteessa "
        "Pihlajatie 9. Vuokranantaja ei ole hakemuksessa mukana."
    )
    # As HTML gives it: each paragraph a line, no blank line between them.
    text = f"Hei,\nhaemme pääsyä rekisteriin. Y-tunnuksemme on 3154872-2.\n{reason}\n{remark}\n"
    assert _extract(text).justification.value == reason


def test_being_advised_to_send_the_details_is_about_the_message() -> None:
    found = _extract(
        "Hei,\n\nAsia tuli esille tapaamisessa, jossa meitä neuvottiin lähettämään tiedot tähän "
        "osoitteeseen. Asiakkaamme ovat usein ylivelkaantuneita kotitalouksia, joita "
        "neuvomme.\n\nY-tunnus: 2874197-8\n"
    )
    assert found.justification.value.startswith("Asiakkaamme ovat")


def test_a_reason_labelled_in_two_languages_is_one_reason() -> None:
    found = _extract(
        "Y-tunnus: 3287705-0\nPerustelu: Tuemme nuoria Kela-asioissa.\n"
        "Motivering: Vi stöder unga i FPA-ärenden.\nYhteyshenkilö: Elias Testinen\n"
    )
    assert found.justification.value == (
        "Tuemme nuoria Kela-asioissa. Vi stöder unga i FPA-ärenden."
    )


def test_two_labelled_fields_on_one_line_and_a_sentence_about_the_association() -> None:
    found = _extract(
        "Moi,\n\nyhdistys on nyt merkitty yhdistysrekisteriin, ja saimme Y-tunnuksen:\n\n"
        "Business ID: 1962607-0; Organization name: Testin Työpaja ry\n"
    )
    assert found.business_id.normalized == "1962607-0"
    assert found.organization_name.value == "Testin Työpaja ry"
    # A semicolon inside a sentence splits nothing.
    assert _extract("Y-tunnus on 1962607-0; nimi muuttui keväällä.\n").organization_name is None


def test_hurried_writing_in_lower_case_is_read_sentence_by_sentence() -> None:
    from registry_admin.intake.prose import sentences

    said = [s for _at, s in sentences("me pidetään kahvilaa. sinne tulee esim. vanhuksia.")]
    assert said == ["me pidetään kahvilaa.", "sinne tulee esim. vanhuksia."]
    found = _extract(
        "moi\n\neli meidän yhdistys Testimäen eläkkeensaajat ry haluis päästä siihen teidän "
        "ajanvaraus rekisteriin, ytunnus on 3120 448-7 jos oikein katoin. me pidetään joka "
        "tiistai kahvilaa ja sinne tulee paljon vanhuksia jotka ei osaa käyttää nettiä. mä oon "
        "Raili Testinen yhdistyksen sihteeri, soittakaa mulle 040 718 2236 niin jutellaan\n\n"
        "Raili\n"
    )
    assert found.business_id.normalized == "3120448-7"
    assert found.organization_name.value == "Testimäen eläkkeensaajat ry"
    assert found.justification.value.startswith("me pidetään joka tiistai kahvilaa")
    assert (found.contact_name.value, found.contact_phone.value) == (
        "Raili Testinen",
        "040 718 2236",
    )


def test_informal_swedish_names_the_body_and_the_contact() -> None:
    found = _extract(
        "hej!\n\nvi har lagt ner föreningen, så ni kan ta bort oss ur registret. det gäller "
        "Gemenskapsgården i Testby rf med FO-nummer 1987654-7. om ni undrar något så ring mig, "
        "Henrik Testqvist, på 0400 218 554.\n\nHenrik\n"
    )
    assert found.organization_name.value == "Gemenskapsgården i Testby rf"
    assert found.contact_name.value == "Henrik Testqvist"
    email = _extract(
        "Hej hej, Göran här från Testbygdens pensionärsförening rf! Kontaktperson blir jag, "
        "Göran Testlund, och svara gärna till den här mejladressen.\n"
    )
    assert email.organization_name.value == "Testbygdens pensionärsförening rf"


def test_being_told_on_the_phone_to_write_is_about_the_message() -> None:
    found = _extract(
        "Hej,\n\nJag ringde er förra veckan och fick rådet att skicka e-post hit.\n\n"
        "FO-nummer: 0215690-6\nFörening: Testby rf\n"
    )
    assert found.justification is None


def test_a_business_id_in_a_run_on_sentence_stands_apart_from_the_reason() -> None:
    found = _extract(
        "hej och tack för senast! vi på Testbackens byaförening r.f. vill gärna komma med i "
        "registret. det kommer mycket äldre till våra träffar som inte klarar av att boka tider "
        "på nätet själva så det vore smidigt att kunna boka direkt åt dem FO nummer 27654311 "
        "kontaktperson är jag Birgitta Testholm ring mig på 050 466 1207\n\nmvh Birgitta\n"
    )
    assert found.business_id.normalized == "2765431-1"
    assert found.justification.value.startswith("det kommer mycket äldre")
    assert found.justification.value.endswith("boka direkt åt dem")
    assert found.contact_name.value == "Birgitta Testholm"
    # An ID after the name it belongs to stays with it.
    named = _extract("Hello,\n\nWe write for the Testers Network ry (Business ID 3066591-9).\n")
    assert named.organization_name.value == "Testers Network ry"


def test_small_talk_a_lead_in_and_an_item_promised_for_later_are_no_reason() -> None:
    found = _extract(
        "Hei\n\nTestiharjun Nuorisoseura ry:stä kirjottelen – meillä on nuorisotila auki neljänä "
        "iltana viikossa ja nuoret kysyvät usein apua kelan asioissa.\n\ny-tunnusta en nyt löydä "
        "mistään, puheenjohtaja on lomalla, laitan sen perään kun saan.\n"
    )
    assert found.justification.value == (
        "meillä on nuorisotila auki neljänä iltana viikossa ja nuoret kysyvät usein apua kelan "
        "asioissa."
    )
    chat = _extract(
        "Hej hej, Göran här, hoppas ni har en fin sommar där på FPA! Många av våra medlemmar är "
        "över 80 och har varken dator eller bankkoder.\n\nFO-nummer 1066835-4\n"
    )
    assert chat.justification.value.startswith("Många av våra medlemmar")


def test_the_writers_role_is_no_reason() -> None:
    for intro in (
        "meil on pieni kyläyhdistys, ja mä oon sen puheenjohtaja nyt toista vuotta.",
        "Ja skriver för Testbacka pensionärsförening rf, ja e kassör där sen många år.",
        "My name is Fatuma Testi and I am the chairwoman of Testi Women Association ry.",
    ):
        found = _extract(
            f"Hei,\n\n{intro} Monet jäsenistämme tarvitsevat apua Kelan asioissa joka viikko."
            "\n\nY-tunnus: 0201256-6\n"
        )
        assert found.justification.value.startswith("Monet jäsenistämme"), intro


def test_the_items_given_a_line_each_without_labels() -> None:
    found = _extract(
        "Hei\npyytämänne tiedot alla, kirjotan kiireellä\n\n2940573-0\nTestimäen Työttömät ry\n"
        "Ruokajaon yhteydessä autamme jäseniä Kela-asioissa ja haluaisimme varata heille aikoja.\n"
        "Sirpa Testinen\nsirpa@testimaki.example.net, 044 615 2078\n\nt. Sirpa\n"
    )
    assert found.business_id.normalized == "2940573-0"
    assert found.organization_name.value == "Testimäen Työttömät ry"
    assert found.justification.value.startswith("Ruokajaon yhteydessä")
    assert found.contact_name.value == "Sirpa Testinen"
    assert found.missing() == []


def test_a_contact_named_in_the_genitive_in_the_base_form_the_address_gives() -> None:
    found = _extract(
        "Yhteyshenkilöksi merkitsisin kollegani Anu Testisen, koska hän hoitaa hallinnon: "
        "anu.testinen@example.fi, puh. 040 556 0913.\n"
    )
    assert found.contact_name.value == "Anu Testinen"
    # A name that ends so in its base form stays as written.
    kept = _extract("Contact person: Lars Hansen, lars.hansen@example.dk\n")
    assert kept.contact_name.value == "Lars Hansen"


def test_an_id_left_to_an_attachment_is_missing_and_a_team_is_no_contact() -> None:
    found = _extract(
        "1. Y-tunnus: ks. liite (YTJ-tuloste)\n2. Organisaation nimi: Testin seurakunta\n"
        "3. Perustelut: ks. liite (ote palvelusopimuksesta)\n\nYstävällisin terveisin\n\n"
        "Resident Services\nTestin seurakunta\n\n"
        "Talouspalvelut: Testin seurakuntayhtymä, Y-tunnus 0203784-3\n"
    )
    assert found.business_id is None
    assert found.justification is None
    assert found.contact_name is None


def test_a_forwarders_note_on_where_answers_go_and_the_applicant_as_contact() -> None:
    found = _extract(
        "Hei,\n\nvälitän alla asiakkaamme viestin. Vastaukset suoraan Owenille, en itse tiedä "
        "asiasta enempää.\n\nKirsi\n\n---------- Forwarded message ---------\n"
        "From: Owen Testher <owen@celtic.example.net>\nDate: Thu, 10 Jul 2025 at 22:03\n"
        "Subject: kela thing\nTo: Kirsi <kirsi@example.fi>\n\n"
        "our association is Testranta Culture Club ry, business id 3013264-5. we do a weekly "
        "language cafe and lots of our members get lost with kela letters so it would be great "
        "if the volunteers could book them a time.\n\ncontact person me Owen Testher, "
        "owen@celtic.example.net, mobile 041 730 6655\n"
    )
    assert found.justification.value.startswith("we do a weekly language cafe")
    assert found.contact_name.value == "Owen Testher"
    assert found.business_id.normalized == "3013264-5"


def test_a_request_to_reply_here_and_a_closing_with_a_wish_are_no_reason() -> None:
    found = _extract(
        "Hej,\n\nVåra ungdomsledare vill kunna boka en tid hos FPA tillsammans med den unga.\n\n"
        "Kansliet är bemannat bara tisdagar, men svara gärna till den här adressen.\n\n"
        "Tack på förhand och ha en fin höst!\n\nKansliet\nTestholms ungdomsförening rf\n\n"
        "FO-nummer: 2107936-0\n"
    )
    assert found.justification.value == (
        "Våra ungdomsledare vill kunna boka en tid hos FPA tillsammans med den unga."
    )


def test_a_body_named_in_apposition_after_its_kind() -> None:
    from registry_admin.intake.prose import org_from_prose

    assert org_from_prose(
        "meil on täällä semmonen pieni kyläyhdistys, Testisalmen Kyläseura ry, ja mä oon sen "
        "puheenjohtaja"
    ) == ("Testisalmen Kyläseura ry")


def test_bilingual_labels_joined_by_a_dash_and_a_business_that_was_sold() -> None:
    found = _extract(
        "Organisaatio – Organisation: Rannikon testialue – Kustlandets testområde\n"
        "Y-tunnus – FO-nummer: 2436791–5\n"
    )
    assert found.organization_name.value == "Rannikon testialue – Kustlandets testområde"
    sold = _extract(
        "Hej,\n\nSeniorboendet Testet Ab har sålt sin verksamhet den 30 september. Var vänliga "
        "och avlägsna oss ur registret.\n\nFO-nummer: 1256862 -1\n"
    )
    assert sold.organization_name.value == "Seniorboendet Testet Ab"


def test_an_apology_for_the_message_is_no_reason() -> None:
    found = _extract(
        "Hei,\n\nPahoittelut, että viesti tulee minun kauttani. Ohjaamme monikielisiä perheitä "
        "Kelan asioissa joka viikko ja tarvitsemme ajanvarausta.\n\nY-tunnus: 0201256-6\n"
    )
    assert found.justification.value.startswith("Ohjaamme monikielisiä perheitä")


def test_an_area_code_in_brackets_is_part_of_the_number_not_of_its_label() -> None:
    from registry_admin.intake.labels import match_label

    assert match_label("Puhelin\t(017) 263 4410").value_start == len("Puhelin\t")
    assert match_label("Y-tunnus (pakollinen): 1").label == "Y-tunnus (pakollinen)"
    found = _extract("Yhteyshenkilö\tTuula Testinen\nPuhelin\t(017) 263 4410\n")
    assert found.contact_phone.value == "(017) 263 4410"
    assert found.contact_phone.evidence.label == "Puhelin"
    left = _extract("Hej,\n\nTestviks Ungdomsförening rf har hittills funnits i registret.\n")
    assert left.organization_name.value == "Testviks Ungdomsförening rf"


def test_hurried_abbreviations_start_the_contacts_part_of_a_run_on_line() -> None:
    found = _extract(
        "hej\n\nvi hjälper äldre i byarna med fpa-ärenden och vill kunna boka tider åt dem "
        "kontaktp. Agneta Testqvist tfn 0457 38 21 904\n\nFO-nr 2107936-0\n"
    )
    assert found.justification.value == (
        "vi hjälper äldre i byarna med fpa-ärenden och vill kunna boka tider åt dem"
    )
    assert found.contact_name.value == "Agneta Testqvist"
    assert found.contact_phone.value == "0457 38 21 904"
    # The full word inside a sentence splits nothing.
    said = _extract(
        "Hei,\n\nToiminnanjohtajamme kirjoitti hakemuksen ja hän toimii itse yhteyshenkilönä "
        "tässä asiassa.\n\nY-tunnus: 0201256-6\n"
    )
    assert said.justification is None or "toimii itse" not in said.justification.value


def test_a_vat_number_written_in_two_groups() -> None:
    assert _extract("VAT: FI 2322 4357\n").business_id.normalized == "2322435-7"


def test_english_label_variants_reason_for_access_and_org_name() -> None:
    found = _extract(
        "- Business ID (Y-tunnus): 2293514-0\n- Org. name: Testiniemen Perheet ry\n"
        "- Reason for access: Autamme perheitä asioimaan palveluissa.\n"
    )
    assert found.organization_name.value == "Testiniemen Perheet ry"
    assert found.justification.value == "Autamme perheitä asioimaan palveluissa."


def test_a_point_of_contact_is_the_contact_person() -> None:
    found = _extract(
        "Company ID: FI26776069\nPurpose: We relocate specialists to Finland.\n"
        "POC: Tomás Testqvist, Head of Relocation\nPOC e-mail: tomas@example.com\n\n"
        "Yours faithfully,\n\nSiân Testchard\nOffice Manager\n"
    )
    assert found.contact_name.value == "Tomás Testqvist"
    assert found.contact_email.value == "tomas@example.com"
    assert found.justification.value == "We relocate specialists to Finland."


def test_an_organization_typed_in_lower_case_with_its_legal_form() -> None:
    alone = _extract("moi\n\nytunnus 2750332-9\ntestilan eläkkeensaajat ry\nperustelu: autamme\n")
    assert alone.organization_name.value == "testilan eläkkeensaajat ry"
    leaving = _extract("hei\n\ntestirannan nuorisoseura ry:n voi poistaa rekisteristä.\n")
    assert leaving.organization_name.value == "testirannan nuorisoseura ry"
    # Without a legal form a lower-case phrase is no name.
    assert _extract("hei\n\nmeidän yhdistys haluaisi rekisteriin.\n").organization_name is None


def test_the_person_who_will_handle_the_matter_is_the_contact() -> None:
    found = _extract(
        "Hei!\n\nYlläpidämme olohuonetta, jossa käy päivittäin kymmeniä ihmisiä.\n\n"
        "Asiaa hoitaa meillä jatkossa sosiaaliohjaaja Riikka Testi, puh. 041 306 5582.\n\n"
        "Ystävällisesti\nAnneli Kirjoittaja\ntoiminnanjohtaja\n"
    )
    assert found.contact_name.value == "Riikka Testi"
    assert found.contact_phone.value == "041 306 5582"
    assert found.justification.value.startswith("Ylläpidämme olohuonetta")
    assert "Asiaa hoitaa" not in found.justification.value
