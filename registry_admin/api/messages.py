"""What the API tells an organization that is not in the registry, in Finnish, Swedish, English."""

from __future__ import annotations

SUBJECT = "Kelan ajanvarausjärjestelmän rekisteri"


def not_registered_message(support_address: str) -> dict[str, str]:
    """How to apply: secure email to the support address, the subject, the five items."""
    return {
        "fi": (
            "Organisaatio ei ole Kelan ajanvarausjärjestelmän rekisterissä, joten se ei voi "
            "käyttää ajanvarausjärjestelmää. Rekisteriin haetaan lähettämällä turvasähköposti "
            f'osoitteeseen {support_address} otsikolla "{SUBJECT}". Kerro viestissä '
            "organisaation Y-tunnus, organisaation nimi, perustelu ajanvarausjärjestelmän "
            "käytölle, yhteyshenkilön nimi ja yhteystiedot."
        ),
        "sv": (
            "Organisationen finns inte i registret för FPA:s tidsbokningssystem och kan därför "
            "inte använda tidsbokningssystemet. Ansök om registrering genom att skicka skyddad "
            f'e-post till {support_address} med ämnesraden "{SUBJECT}". Ange organisationens '
            "FO-nummer, organisationens namn, motivering till att använda tidsbokningssystemet, "
            "kontaktpersonens namn och kontaktuppgifter."
        ),
        "en": (
            "The organization is not in the registry of Kela's appointment booking system and "
            "therefore may not use the booking system. To apply, send a secure email to "
            f'{support_address} with the subject "{SUBJECT}", giving the organization\'s '
            "Business ID, the organization's name, the justification for using the booking "
            "system, and the contact person's name and contact details."
        ),
    }
