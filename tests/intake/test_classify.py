"""The kind of a message: forms sent out to be filled in are not requests."""

from registry_admin.intake.parse import parse_message


def _mail(
    body: str, subject: str = "Rekisteritiedot", sender: str = "info@dir.example.com"
) -> bytes:
    return (
        f"From: {sender}\r\nTo: tekninentuki@kela.fi\r\nSubject: {subject}\r\n"
        "Message-ID: <x1@dir.example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    ).encode()


def test_a_directory_form_with_blank_fields_is_spam() -> None:
    message = parse_message(
        _mail(
            "Hyvä asiakas,\n\nTarkistakaa yrityksenne tiedot hakemistossamme.\n\n"
            "Y-tunnus: ..........\nYrityksen nimi: ..........\nPuhelin: ..........\n\n"
            "Hinta 490 € / vuosi. Palauttamalla lomakkeen hyväksyt ehdot.\n"
        )
    )
    assert message.kind == "spam"
    assert message.business_id is None and message.missing == ()


def test_a_request_that_lists_its_fields_is_not_spam() -> None:
    message = parse_message(
        _mail(
            "Hei,\n\nHaemme pääsyä ajanvarausjärjestelmään.\n\nY-tunnus: 0201256-6\n"
            "Yhdistys: Testikylän Seniorit ry\nSyy käyttöön: Autamme jäseniä Kelan asioissa.\n"
            "Yhteyshenkilö: Maija Mäkinen\nPuhelin: 040 123 4567\n",
            subject="Kelan ajanvarausjärjestelmän rekisteri",
            sender="maija@seniorit.example.fi",
        )
    )
    assert message.kind == "request"
    assert message.organization_name == "Testikylän Seniorit ry"
    assert message.missing == ()


def test_bulk_mail_offering_a_paid_listing_is_spam_not_an_autoreply() -> None:
    raw = _mail(
        "Yrityksenne tiedot on lisätty hakemistoon.\n\nY-tunnus: 0201256-6\n"
        "Yrityksen nimi: Testi Oy\n\nVuosimaksu 590 € + alv.\n"
    ).replace(b"Content-Type:", b"Precedence: bulk\r\nContent-Type:")
    assert parse_message(raw).kind == "spam"


def test_a_short_note_under_a_registry_subject_naming_applicant_and_contact_is_a_request() -> None:
    message = parse_message(
        _mail(
            "Moi\n\nHaluaisimme Testikylän seniorit ry:n mukaan rekisteriin. "
            "Yhteyshenkilönä toimin minä, Maija Mäkinen, p. 040 123 4567.\n\nMaija\n",
            subject="ajanvarausjärjestelmän rekisteri",
            sender="maija@seniorit.example.fi",
        )
    )
    assert message.kind == "request"
    assert message.missing == ("business_id", "justification")


def test_a_reply_completing_a_request_with_a_contact_in_prose_is_a_followup() -> None:
    raw = _mail(
        "Hei vielä,\n\nedellisestä viestistä puuttui yhteyshenkilö. Yhteyshenkilönä toimii "
        "Maija Mäkinen, puh. 040 123 4567.\n\nMaija\n\n> Haluaisimme Testikylän seniorit ry:n "
        "mukaan rekisteriin.\n> Y-tunnus 0201256-6\n",
        subject="Re: ajanvarausjärjestelmän rekisteri",
        sender="maija@seniorit.example.fi",
    )
    message = parse_message(raw)
    assert message.kind == "followup"
    assert message.contact_name == "Maija Mäkinen"
    assert message.business_id == "0201256-6"


def test_a_disclaimer_that_says_delete_this_mail_asks_no_removal() -> None:
    body = (
        "Hello,\n\nPlease find our details below.\n\nBusiness ID: 3104581-8\n"
        "Name of organisation: Riverside Care Oy\nWhy we need access: Our nurses help "
        "clients with Kela matters.\nContact person: Ann Lee\nPhone: 040 551 2290\n\n"
        "Kind regards,\nAnn Lee\n{tail}"
    )
    disclaimer = (
        "This e-mail may contain confidential information. If you are not the intended "
        "recipient, please delete it.\n"
    )
    subject = "Registration to the booking registry"
    assert parse_message(_mail(body.format(tail=disclaimer), subject)).kind == "request"
    # The same words in the sender's own text still ask for a removal; not in an application
    # that gives its reason under a label ("the old club was removed from the registry").
    leaving = (
        "Hello,\n\nWe are closing down: please remove us from the registry.\n\n"
        "Business ID: 3104581-8\nName of organisation: Riverside Care Oy\n\nKind regards,\n"
        "Ann Lee\n"
    )
    assert parse_message(_mail(leaving, subject)).kind == "removal"
    applying = body.replace(
        "Please find our details below.", "Our old club was removed from the registry."
    )
    assert parse_message(_mail(applying.format(tail=""), subject)).kind == "request"


def test_a_complete_answer_to_kelas_instructions_is_a_request_and_a_newsletter_spam() -> None:
    answer = (
        "From: kari@paja.example.fi\r\nTo: tekninentuki@kela.fi\r\n"
        "Subject: Re: Kelan ajanvarausjärjestelmän rekisteri\r\n"
        "In-Reply-To: <instructions@kela.fi>\r\nMessage-ID: <a1@paja.example.fi>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Hei,\n\ntässä pyytämänne tiedot:\n\nY-tunnus: 3104581-8\nOrganisaatio: Paja ry\n"
        "Perustelu: Valmentajamme hoitavat asiakkaiden kanssa Kela-asioita viikoittain.\n"
        "Yhteyshenkilö: Kari Hyvönen\nPuhelin: 045 230 8816\n"
    ).encode()
    assert parse_message(answer).kind == "request"
    newsletter = (
        "From: uutiset@markkinointi.example.com\r\nTo: tekninentuki@kela.fi\r\n"
        "Subject: Syksyn uutiskirje\r\nPrecedence: bulk\r\n"
        "List-Unsubscribe: <https://markkinointi.example.com/unsub>\r\n"
        "Message-ID: <n1@markkinointi.example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "\r\nHyvä asiakas, tutustu syksyn tarjouksiimme.\n"
    ).encode()
    assert parse_message(newsletter).kind == "spam"


def test_a_question_in_the_subject_without_a_business_id_is_no_application() -> None:
    message = parse_message(
        _mail(
            "Hei,\n\nolemme Routasalmen kunnassa pohtineet, pitääkö meidän hakea erikseen "
            "pääsyä Kelan ajanvarausjärjestelmän rekisteriin. Ohjaajamme varaisivat "
            "mielellään asiakkaille puhelinaikoja.\n\nYstävällisin terveisin\n\nMarko Peltonen\n"
            "Routasalmen kunta\npuh. 040 163 8820\n",
            subject="Kysymys: tarvitseeko kunnan hakea ajanvarausjärjestelmän rekisteriin?",
            sender="marko@routasalmi.example.fi",
        )
    )
    assert message.kind == "other"


def test_a_removal_asked_as_a_polite_question_names_its_organization() -> None:
    message = parse_message(
        _mail(
            "Hej,\n\nNorrviks Pensionärsförening rf har funnits i registret sedan 2024. Vi "
            "behöver inte tjänsten längre.\n\nKunde ni avregistrera oss från registret?\n\n"
            "FO-nummer: 3090716-4\n\nTack på förhand!\n\nGunilla Holmqvist\nsekreterare\n",
            subject="Kelan ajanvarausjärjestelmän rekisteri",
            sender="gunilla@norrvikspf.example.fi",
        )
    )
    assert message.kind == "removal"
    assert message.organization_name == "Norrviks Pensionärsförening rf"
    asking = parse_message(
        _mail(
            "Hei,\n\nMiten rekisteristä poistetaan vanha yhteyshenkilö?\n",
            subject="Kysymys rekisteristä",
        )
    )
    assert asking.kind != "removal"


def test_an_application_in_an_attachment_and_a_read_receipt() -> None:
    attached = parse_message(
        _mail(
            "Hei,\n\nLiitteenä Myllykankaan Setlementti ry:n hakemus Kelan "
            "ajanvarausjärjestelmän rekisteriin.\n\nYstävällisin terveisin\n\nAnu Karvonen\n"
            "sosiaaliohjaaja\nMyllykankaan Setlementti ry\npuh. 044 517 6628\n",
            subject="Hakemus: Kelan ajanvarausjärjestelmän rekisteri",
            sender="anu@setlementti.example.fi",
        )
    )
    assert attached.kind == "request"
    assert attached.organization_name == "Myllykankaan Setlementti ry"
    receipt = (
        b"From: a@example.fi\r\nTo: tekninentuki@kela.fi\r\nSubject: Luettu: Rekisteri\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/report; "
        b'report-type=disposition-notification; boundary="r"\r\n\r\n--r\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nViesti luettiin.\r\n--r\r\n"
        b"Content-Type: message/disposition-notification\r\n\r\n"
        b"Final-Recipient: rfc822; a@example.fi\r\nDisposition: manual-action/MDN-sent-manually;"
        b" displayed\r\n--r--\r\n"
    )
    assert parse_message(receipt).kind == "autoreply"


def test_questions_before_applying_are_no_application() -> None:
    message = parse_message(
        _mail(
            "Hej,\n\nvår förening (Björnås Hälsoförening rf, FO-nummer 3779951-4) funderar på "
            "att ansöka om tillgång till FPA:s tidsbokningssystem.\n\nKan vi boka tider bara "
            "till telefonservicen? Måste klienten vara närvarande? Behöver varje frivillig ett "
            "eget användarnamn?\n\nElin Westerlund\ntfn 040 833 1925\n",
            subject="Fråga om tidsbokningen",
            sender="elin@bjornas.example.fi",
        )
    )
    assert message.kind == "other"


def test_an_application_below_kelas_instructions_quoted_with_a_dated_attribution() -> None:
    message = parse_message(
        (
            "From: veikko@ensiaskel.example.org\r\nTo: tekninentuki@kela.fi\r\n"
            "Subject: Re: Kelan ajanvarausjärjestelmän rekisteri\r\n"
            "In-Reply-To: <instructions@kela.fi>\r\nMessage-ID: <e1@ensiaskel.example.org>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "Hei!\n\nTässä pyytämänne tiedot:\n\nY-tunnus – ei vielä\n"
            "Yhdistyksen nimi – Korppilan Ensiaskel ry\nPerustelut – Tuemme vankilasta "
            "vapautuvia ihmisiä.\nYhteyshenkilö – Veikko Rautiainen\n"
            "Yhteystiedot – veikko@ensiaskel.example.org / 044 207 5519\n\n"
            "Kelan tekninen tuki kirjoitti 2025-06-27 11:20:\n> Hei,\n> pyydämme seuraavat "
            "tiedot:\n> 1) organisaation Y-tunnus, esim. 1234567-8\n> 2) organisaation nimi\n"
        ).encode()
    )
    assert message.kind == "request"
    assert message.organization_name == "Korppilan Ensiaskel ry"


def test_asking_to_join_in_a_question_is_an_application_and_asking_kela_to_check_is_not() -> None:
    for body, subject in [
        (
            "Hei vaan,\n\nmeillä Routasalmen Eläkeläiset ry:ssä moni jäsen tarvitsee apua Kelan "
            "asioissa. Saisimmeko siis pääsyn tähän teidän ajanvarausjärjestelmään? Y-tunnus "
            "on 3395448-4.\n\nMinut saa parhaiten kiinni puhelimella, 040 718 2295.\n\n"
            "Ystävällisesti\nRaili Kemppainen\nsihteeri\n",
            "Ajanvarausjärjestelmä",
        ),
        (
            "Hej!\n\nKunde vi få tillgång till FPA:s tidsbokningssystem? Vår diakonimottagning "
            "hjälper många med FPA-ärenden.\n\nNi når mig på 040 662 9017.\n\nHälsningar\n"
            "Hanna Nyholm\n",
            "Tidsbokning via FPA",
        ),
    ]:
        message = parse_message(_mail(body, subject))
        assert message.kind == "request", subject
        assert message.contact_phone is not None, subject
    checking = parse_message(
        _mail(
            "Hello,\n\nCould you check whether we are already registered? A former employee may "
            "have applied in 2023.\n\nGrace Mensah\n",
            "Registry question",
        )
    )
    assert checking.kind == "other"


def test_a_reply_that_gives_the_reason_left_out_of_the_application_is_a_followup() -> None:
    message = parse_message(
        (
            "From: sari@keskivaskimaa.example.fi\r\nTo: tekninentuki@kela.fi\r\n"
            "Subject: VS: Kelan ajanvarausjärjestelmän rekisteri\r\n"
            "In-Reply-To: <first@keskivaskimaa.example.fi>\r\n"
            "Message-ID: <second@keskivaskimaa.example.fi>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            "Hei vielä,\n\nedellisestä viestistäni jäivät perustelut pois, pahoittelut siitä. "
            "Aikuissosiaalityössä tapaamme päivittäin asiakkaita, joiden asumistukiasia on "
            "jumissa.\n\nSari Honkanen\n\n________________________________\n"
            "From: Honkanen Sari <sari@keskivaskimaa.example.fi>\nSent: Monday, August 18, 2025\n"
            "To: tekninentuki@kela.fi\nSubject: Kelan ajanvarausjärjestelmän rekisteri\n\n"
            "Y-tunnus\n3514660-8\nOrganisaatio\nKeski-Vaskimaan hyvinvointialue\n"
            "Yhteyshenkilö\nSari Honkanen\n"
        ).encode()
    )
    assert message.kind == "followup"


def test_a_letter_under_a_subject_about_the_booking_system_is_an_application() -> None:
    message = parse_message(
        _mail(
            "Bästa mottagare,\n\nJag är ordförande för Sandholms Seniorhjälp rf. Vårt "
            "FO-nummer är 30726195.\n\nMånga av dem vi besöker klarar inte av att nå FPA per "
            "telefon.\n\nKontaktperson är undertecknad, tfn 0457 318 2240.\n\n"
            "Vänliga hälsningar\nBo Lindholm\nordförande\n",
            subject="Ansökan om tillgång till FPA:s tidsbokning",
        )
    )
    assert message.kind == "request"


def test_a_question_about_applying_that_wraps_over_lines_is_no_application() -> None:
    body = (
        "Hei,\n\nyhdistyksemme Testin Perhekeskus ry (Y-tunnus 2714386-1) on jo rekisterissä.\n\n"
        "Meille tuli uusi työntekijä, eikä hän näe organisaatiotamme. Pitääkö hänelle hakea "
        "käyttöoikeutta\nerikseen, vai riittääkö ryhmään lisääminen?\n\nKiitos!\n\nMinna\n"
    )
    assert parse_message(_mail(body, subject="Uuden työntekijän käyttöoikeus")).kind == "other"
    # The same words as a statement, wrapped the same way, apply.
    statement = body.replace("Pitääkö hänelle hakea", "Haemme hänelle").replace(
        "erikseen, vai riittääkö ryhmään lisääminen?", "ajanvarausjärjestelmään."
    )
    assert parse_message(_mail(statement, subject="Käyttöoikeus")).kind == "request"


def test_a_renewal_notice_asking_a_registry_fee_is_spam() -> None:
    body = (
        "Dear Sir/Madam, your organisation's entry in the Public Services Booking Registry "
        "expires in 48 hours. Confirm your Business ID and contact person and pay the annual "
        "registry fee of EUR 349.00.\n\nTo unsubscribe reply STOP.\n"
    )
    assert parse_message(_mail(body, subject="Your booking registry listing")).kind == "spam"
    # Without the fee it is no more than a vague notice.
    unpaid = body.replace(" and pay the annual registry fee of EUR 349.00", "")
    assert parse_message(_mail(unpaid, subject="Your booking registry listing")).kind != "spam"


def test_a_one_line_application_from_a_phone() -> None:
    message = parse_message(
        _mail(
            "Moi\n\nTestilän Nuorisoseura r.y. haluaa kelan ajanvarausjärjestelmän rekisteriin. "
            "Y-tunnus 2548351-7. Yhteyshenkilö minä eli Jari Testinen 0400 682 145\n\n"
            "Lähetetty iPhonesta\n",
            subject="Ajanvaraus rekisteri",
        )
    )
    assert message.kind == "request"
    assert (message.business_id, message.business_id_valid) == ("2548351-7", False)
    assert message.organization_name == "Testilän Nuorisoseura r.y."
    assert (message.contact_name, message.contact_phone) == ("Jari Testinen", "0400 682 145")
    assert message.missing == ("justification",)


def test_a_footer_below_a_rule_after_the_signature_is_no_part_of_the_message() -> None:
    footer = (
        "\n" + "_" * 60 + "\nTestin Palvelut Oy Ab on osa Testivirta-konsernia.\n"
        "Testivirta Group Oyj | Y-tunnus / Business ID 1086125-0\n\n"
        "LUOTTAMUKSELLINEN: Jos olet saanut viestin erehdyksessä, ilmoita siitä lähettäjälle ja "
        "poista viesti.\n\nCONFIDENTIAL: If you have received it in error, please notify the "
        "sender and delete it.\n" + "\n".join(f"Line {n} of the footer." for n in range(12))
    )
    message = parse_message(
        _mail(
            "Hello,\n\nWe'd like to register for Kela's appointment booking system.\n\n"
            "Our family workers support about 60 families a month, many of whom have moved to "
            "Finland only recently. With access we could book a Kela appointment during a home "
            "visit.\n\nBusiness ID: 2996 356-4\nContact person: Daniel Testford\n"
            "Email: daniel@testin.example.com\n\nBest regards,\n\nDaniel Testford\n"
            "Service Manager\nTestin Palvelut Oy Ab\n" + footer,
            subject="Kela appointment booking system - registry application",
        )
    )
    assert message.kind == "request"
    assert message.business_id == "2996356-4"
    assert message.language == "en"


def test_asking_whether_the_organization_is_registered_applies_for_nothing() -> None:
    body = (
        "Hi,\n\nCould you check whether we are already on the list? Our details:\n\n"
        "Business ID: 3120945-6\nOrganisation: Testin Help Desk ry\n\nKind regards,\nPriya\n"
    )
    assert parse_message(_mail(body, subject="Are we registered already?")).kind == "other"
    # With its reason under a label it is an application, whatever it asks besides.
    applying = body.replace(
        "Organisation:", "Reason: We book Kela appointments for our clients.\nOrganisation:"
    ).replace("Kind regards", "Contact person: Priya Testinen\nPhone: 044 907 3315\n\nKind regards")
    assert parse_message(_mail(applying, subject="Are we registered already?")).kind == "request"


def test_a_removal_asked_without_a_word_for_removing() -> None:
    message = parse_message(
        _mail(
            "Dear colleagues,\n\nThe family advice project of Testin Perhetalo ry came to an end "
            "in December. It would be best if our organisation no longer appeared there. Our "
            "Business ID (Y-tunnus) is 1846205-1.\n\nWarm regards,\nDaniel Testinen\n"
            "Executive Director\nTestin Perhetalo ry\n",
            subject="Our listing in the appointment booking registry",
        )
    )
    assert message.kind == "removal"
    assert message.organization_name == "Testin Perhetalo ry"  # named in the text and signature


def test_the_successor_named_in_a_removal_is_not_the_one_leaving() -> None:
    message = parse_message(
        _mail(
            "Hej,\n\nTestföreningen Fyrbåken rf upplöses den 31 mars. Vi ber därför att "
            "föreningen stryks ur registret.\n\nVårt FO-nummer är 0716283-8.\n\n"
            "Rådgivningen fortsätter i Stiftelsen Testhuset sr (FO-nummer 2971604-5), som "
            "skickar en egen ansökan. Kontaktperson där är Patrik Testling, "
            "patrik@testhuset.example.org.\n\nFrågor om avregistreringen kan ställas till "
            "undertecknad, tfn 0400 615 228.\n\nMed vänlig hälsning\nGunnel Testström\nkassör\n",
            subject="Avregistrering",
        )
    )
    assert message.kind == "removal"
    assert message.business_id == "0716283-8"
    assert message.organization_name == "Testföreningen Fyrbåken rf"
    assert (message.contact_name, message.contact_phone) == ("Gunnel Testström", "0400 615 228")
    assert message.contact_email is None


def test_a_partners_newsletter_is_for_a_person_and_a_sales_newsletter_is_spam() -> None:
    def newsletter(subject: str, body: str) -> bytes:
        return (
            "From: uutiset@verkosto.example.org\r\nTo: tekninentuki@kela.fi\r\n"
            f"Subject: {subject}\r\nPrecedence: bulk\r\n"
            "List-Unsubscribe: <https://verkosto.example.org/peru>\r\n"
            "Message-ID: <n2@verkosto.example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"\r\n{body}\nPeru tilaus: https://verkosto.example.org/peru\n"
        ).encode()

    partner = newsletter(
        "Uutiskirje 1/2026",
        "Järjestö hakee pääsyä Kelan ajanvarausjärjestelmän rekisteriin lähettämällä Kelalle "
        "Y-tunnuksen, nimen, perustelut ja yhteyshenkilön tiedot.",
    )
    assert parse_message(partner).kind == "other"
    sales = newsletter(
        "Ajanvaraus helpommin – huhtikuun tarjous -30 %",
        "Nyt AjanvarausTesti tuo kaikki varauksenne yhteen näkymään. Varaa maksuton esittely!",
    )
    assert parse_message(sales).kind == "spam"


def test_a_directory_invoice_with_a_removal_address_is_spam() -> None:
    message = parse_message(
        _mail(
            "Hyvä yrittäjä,\n\nyrityksenne tiedot on merkitty Testin Yrityshakemisto 2025 "
            "-palveluun. Pyydämme tarkistamaan ja vahvistamaan tiedot 14 päivän kuluessa.\n\n"
            "Vahvista tiedot: http://hakemisto.example.net/vahvista\n\nLasku nro: 2025-44817\n"
            "Eräpäivä: 30.9.2025\nSumma: 489,00 €\n\nAsiakaspalvelu 0600 3 1122 (4,90 €/min)\n\n"
            "Testin Yrityshakemisto Oy\nY-tunnus 3377150-6\n"
            "Markkinointirekisterin poisto: poisto@hakemisto.example.net\n",
            subject="Vahvistakaa yrityksenne tiedot – lasku 2025-44817",
        )
    )
    assert message.kind == "spam"


def test_a_labelled_removal_whose_paragraph_explains_why_is_a_removal() -> None:
    message = parse_message(
        _mail(
            "Hej,\n\nPensionärsrådgivningen i Testby rf avslutar sin verksamhet den 31 december "
            "2025. Vi ber er därför att ta bort föreningen ur registret över organisationer som "
            "använder FPA:s tidsbokningssystem.\n\nFO-nummer: 1978492-5\n"
            "Förening: Pensionärsrådgivningen i Testby rf\nKontaktperson: Gunilla Testström\n"
            "Tfn: 050 441 7392\n",
            subject="Avregistrering från FPA:s tidsbokningssystem",
        )
    )
    assert message.kind == "removal"
    assert message.justification is None


def test_a_reply_to_kela_giving_the_missing_id_is_a_followup() -> None:
    message = parse_message(
        _mail(
            "moi sori kesti, tässä vielä se puuttuva y-tunnus: 3298765-5\n\nterkuin Jonna\n\n"
            "ti 17.6.2025 klo 10.12 Kelan tekninen tuki <tekninentuki@kela.fi> kirjoitti:\n"
            "> Viestistä puuttuu organisaation Y-tunnus (muodossa 1234567-8).\n",
            subject="Re: Kelan ajanvarausjärjestelmän rekisteri",
        ).replace(b"Message-ID:", b"In-Reply-To: <x0@kela.fi>\r\nMessage-ID:")
    )
    assert message.kind == "followup"
    assert message.business_id == "3298765-5"


def test_a_reply_giving_the_id_its_quoted_application_went_without_is_a_followup() -> None:
    message = parse_message(
        _mail(
            "Hei taas,\n\nlöytyi! Ystävätuvan Y-tunnus on 3391047-3.\n\nLeena\n\n"
            "ti 19.8.2025 klo 10.14 Leena Testinen <leena@tupa.example.fi> kirjoitti:\n"
            "> Testiniemen Ystävätupa ry hakee pääsyä Kelan ajanvarausjärjestelmään. Moni "
            "kävijöistämme tarvitsee apua Kelan asioissa joka viikko.\n>\n"
            "> Yhteyshenkilönä toimin minä, Leena Testinen, puh. 050 381 7706.\n",
            subject="Re: Kelan ajanvarausjärjestelmän rekisteri",
        )
    )
    assert message.kind == "followup"
    assert message.business_id == "3391047-3"
    assert message.organization_name == "Testiniemen Ystävätupa ry"


def test_a_register_confirmation_scam_is_spam() -> None:
    message = parse_message(
        _mail(
            "Dear Sir/Madam, the entry for your organisation in the EU Register of Testing has "
            "not been confirmed. Unconfirmed entries will be removed from the register. The "
            "annual listing fee of EUR 1 195 + VAT is invoiced after confirmation.\n",
            subject="Action required: confirm your organisation's register entry",
        )
    )
    assert message.kind == "spam"


def test_a_reply_correcting_the_business_id_is_a_followup() -> None:
    message = parse_message(
        _mail(
            "Hei,\n\npahoittelut, Y-tunnukseen oli tullut kaksi numeroa väärin päin. Oikea "
            "tunnus on 2794316-4.\n\nTerveisin\nRiikka Testinen\n\n"
            "Kelan tekninen tuki kirjoitti 14.1.2026 9.02:\n> Hakemuksenne on vastaanotettu.\n",
            subject="Vs: RA-2026-000431 Kelan ajanvarausjärjestelmän rekisteri",
        )
    )
    assert message.kind == "followup"
    assert message.business_id == "2794316-4"
    assert message.justification is None


def test_replies_that_give_the_missing_item_or_a_corrected_number_are_followups() -> None:
    supplied = parse_message(
        _mail(
            "Hei,\n\ntässä vielä puuttunut tieto: yhdistyksemme Y-tunnus on 3187424-5.\n\n"
            "Terveisin\nHeidi\n\nke 5.3.2025 klo 10.21 Kelan tekninen tuki "
            "<tekninentuki@kela.fi> kirjoitti:\n> Hakemuksestanne puuttuu Y-tunnus.\n",
            subject="Re: VS: Kelan ajanvarausjärjestelmän rekisteri",
        )
    )
    assert (supplied.kind, supplied.business_id) == ("followup", "3187424-5")
    corrected = parse_message(
        _mail(
            "Hej igen,\n\ntelefonnumret i min ansökan blev fel. Rätt nummer är 06 318 4420.\n\n"
            "Margareta Testholm\n\n________________________________\n"
            "Från: Margareta Testholm <m@sjoboda.example.fi>\nSkickat: den 4 mars 2025 14:37\n"
            "Till: tekninentuki@kela.fi\nÄmne: Ansökan\n\nFO-nummer: 0964318-4\n"
            "Förening: Stiftelsen Testboda sr\nTelefon: 06 318 4402\n",
            subject="SV: Ansökan till registret",
        )
    )
    assert (corrected.kind, corrected.contact_phone) == ("followup", "06 318 4420")


def test_a_named_body_asking_to_join_and_an_away_notice_without_headers() -> None:
    asking = parse_message(
        _mail(
            "Hej!\n\nKan Föreningen Testgårdens Hälsa rf (FO-nummer 0214563-3) få ansluta sig "
            "till FPA:s tidsbokningssystem?\nVåra stödpersoner träffar medlemmar varje vecka.\n\n"
            "Kontaktperson är jag själv, Ulrika Testström, 0400 682 113.\n",
            subject="Fråga: kan vi ansluta oss till tidsbokningssystemet?",
        )
    )
    assert asking.kind == "request"
    away = parse_message(
        _mail(
            "Thank you for your message.\n\nI am away from the office until Monday. For "
            "anything related to our registration, please contact office@example.com.\n\n"
            "Testbay Learning Oy, Business ID 2614961-2\n",
            subject="Away until 29 September - RE: Kelan ajanvarausjärjestelmän rekisteri",
        )
    )
    assert away.kind == "autoreply"
