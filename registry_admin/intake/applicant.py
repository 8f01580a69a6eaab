"""Where and in which language the applicant of a request is answered."""

from __future__ import annotations

from email.utils import parseaddr
from typing import TYPE_CHECKING

from registry_admin.intake.headers import HeaderBlock, header_text

if TYPE_CHECKING:
    from registry_admin.intake.models import RegistrationRequest

_APPLICANT_HEADERS = frozenset({"from", "reply-to"})


def applicant_address(raw: bytes) -> str | None:
    """The message's From and Reply-To, decoded, one "Name: value" line each: what
    reply_address reads when the application names no contact email."""
    headers = HeaderBlock(raw, _APPLICANT_HEADERS)
    parts = []
    for name in ("From", "Reply-To"):
        value = header_text(headers, name)
        if value:
            parts.append(f"{name}: {value[:500]}")
    return "\n".join(parts) or None


def reply_address(request: RegistrationRequest) -> str | None:
    """The contact's email if the application gave one, else Reply-To, else From."""
    if request.contact_email and "@" in request.contact_email:
        return request.contact_email.strip()
    headers: dict[str, str] = {}
    for line in (request.applicant_address or "").splitlines():
        name, sep, value = line.partition(": ")
        if sep:
            headers[name.strip().lower()] = value
    for name in ("reply-to", "from"):
        address = parseaddr(headers.get(name, ""))[1]
        if "@" in address:
            return address
    address = parseaddr(request.applicant_address or "")[1]
    return address if "@" in address else None


def notification_language(request: RegistrationRequest) -> str:
    """The request's language; a mixed or unknown one gets Finnish."""
    return request.language if request.language in ("fi", "sv", "en") else "fi"
