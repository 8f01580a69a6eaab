"""Staff decisions on registration requests: approve, reject, ask for what is missing, correct.

Each decision is one conditional UPDATE of the request's state (so two reviewers deciding at
once cannot both win), the registry change it causes, the applicant's notification, and a
frozen evidence record in the audit trail, all in the caller's transaction.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry_admin import businessid
from registry_admin.db import utcnow
from registry_admin.errors import Conflict, InvalidInput, NotFound
from registry_admin.intake.applicant import notification_language, reply_address
from registry_admin.intake.models import (
    ITEMS,
    PENDING_REQUEST_STATES,
    MailMessage,
    RegistrationRequest,
)
from registry_admin.notify.outbox import enqueue
from registry_admin.registry import services
from registry_admin.registry.models import Organization

REQUIRED = ("business_id", "organization_name", "justification", "contact_name", "contact_details")
# Staff correct the items the parser reads.
CORRECTABLE = ITEMS
# The notification templates name the Business ID's problem by these words.
_REASON_WORDS = {"checksum": "check_digit", "format": "format", "length": "format"}


def get_request(session: Session, request_id: int) -> RegistrationRequest:
    request = session.get(RegistrationRequest, request_id)
    if request is None:
        raise NotFound(f"no request {request_id}")
    return request


def approve_request(
    session: Session, request_id: int, *, actor: str, remote_addr: str | None = None
) -> Organization:
    """The organization enters the registry (source `application`); the applicant is told."""
    request = get_request(session, request_id)
    _require_pending(request)
    if not (request.business_id and request.business_id_valid):
        raise InvalidInput("a request can be approved only with a valid Business ID")
    if not request.organization_name:
        raise InvalidInput("a request can be approved only with the organization's name")
    _claim(session, request, "approved", actor, None)
    org = services.add_organization(
        session,
        request.business_id,
        request.organization_name,
        source="application",
        actor=actor,
        reason=f"request {request.reference or request.id}",
        remote_addr=remote_addr,
    )
    _notify(session, request, "approved", {})
    _freeze_evidence(session, request, "request.approve", actor, None, remote_addr, org)
    return org


def reject_request(
    session: Session, request_id: int, *, actor: str, reason: str, remote_addr: str | None = None
) -> RegistrationRequest:
    """Refuse the request; the reason is sent to the applicant."""
    reason_text = services.clean_reason(reason, required=True)
    request = get_request(session, request_id)
    _require_pending(request)
    _claim(session, request, "rejected", actor, reason_text)
    _notify(session, request, "rejected", {"reason": reason_text})
    _freeze_evidence(session, request, "request.reject", actor, reason_text, remote_addr, None)
    return request


def mark_not_request(
    session: Session, request_id: int, *, actor: str, remote_addr: str | None = None
) -> RegistrationRequest:
    """Not a registration request after all (an autoreply, spam, a question): no answer is sent."""
    request = get_request(session, request_id)
    _require_pending(request)
    _claim(session, request, "not_request", actor, None)
    _freeze_evidence(session, request, "request.not_request", actor, None, remote_addr, None)
    return request


def ask_for_missing(
    session: Session, request_id: int, *, actor: str, remote_addr: str | None = None
) -> list[dict[str, Any]]:
    """Send the applicant the list of missing or invalid items; the request stays open."""
    request = get_request(session, request_id)
    _require_pending(request)
    entries = missing_entries(request)
    if not entries:
        raise InvalidInput("nothing is missing from this request")
    _notify(
        session, request, "missing", {"entries": entries, "missing": [e["item"] for e in entries]}
    )
    services.record_audit(
        session,
        actor,
        "request.ask_missing",
        business_id=_registry_id(request),
        after={"request_id": request.id, "items": [e["item"] for e in entries]},
        remote_addr=remote_addr,
    )
    return entries


def correct_item(
    session: Session,
    request_id: int,
    item: str,
    value: str,
    *,
    actor: str,
    remote_addr: str | None = None,
) -> RegistrationRequest:
    """A reviewer's correction of one item before deciding; audited with before and after."""
    if item not in CORRECTABLE:
        raise InvalidInput(f"{item} cannot be corrected")
    request = get_request(session, request_id)
    _require_pending(request)
    value = re.sub(r"\s+", " ", value or "").strip()
    if len(value) > 2000:
        raise InvalidInput("the value is longer than 2000 characters")
    before = getattr(request, item)
    if item == "business_id":
        if value:
            checked = businessid.check(value)
            request.business_id = checked.normalized
            request.business_id_valid = checked.valid
            request.business_id_reason = checked.reason
            request.business_id_as_written = value
        else:
            request.business_id = request.business_id_valid = request.business_id_reason = None
    else:
        setattr(request, item, value or None)
    request.missing = [field for field in REQUIRED if not _present(request, field)]
    if request.state in ("new", "incomplete", "ready"):
        request.state = (
            "incomplete" if request.missing or not request.business_id_valid else "ready"
        )
    request.updated_at = utcnow()
    services.record_audit(
        session,
        actor,
        "request.correct",
        business_id=_registry_id(request),
        before={"request_id": request.id, "item": item, "value": before},
        after={"request_id": request.id, "item": item, "value": getattr(request, item)},
        remote_addr=remote_addr,
    )
    session.flush()
    return request


def missing_entries(request: RegistrationRequest) -> list[dict[str, Any]]:
    """What the applicant must still send: absent items, and a Business ID that is not valid."""
    entries: list[dict[str, Any]] = []
    for item in REQUIRED:
        if item == "business_id" and request.business_id and not request.business_id_valid:
            entries.append(
                {
                    "item": "business_id",
                    "reason": _REASON_WORDS.get(request.business_id_reason or "", "format"),
                    "as_written": request.business_id_as_written or request.business_id,
                    "detail": None,
                }
            )
        elif not _present(request, item):
            entries.append({"item": item, "reason": "missing", "as_written": None, "detail": None})
    return entries


def _present(request: RegistrationRequest, item: str) -> bool:
    if item == "contact_details":
        return bool(request.contact_email or request.contact_phone)
    return bool(getattr(request, item))


def _require_pending(request: RegistrationRequest) -> None:
    if request.state not in PENDING_REQUEST_STATES:
        raise Conflict(f"request {request.reference or request.id} is already {request.state}")


def _claim(
    session: Session, request: RegistrationRequest, state: str, actor: str, reason: str | None
) -> None:
    # The state moves only if nobody else moved it first: one decision per request, ever.
    now = utcnow()
    result = session.execute(
        update(RegistrationRequest)
        .where(
            RegistrationRequest.id == request.id,
            RegistrationRequest.state.in_(PENDING_REQUEST_STATES),
        )
        .values(
            state=state, decided_at=now, decided_by=actor, decided_reason=reason, updated_at=now
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            f"request {request.reference or request.id} was decided by someone else just now"
        )
    session.refresh(request)


def _messages(session: Session, request: RegistrationRequest) -> list[MailMessage]:
    return list(
        session.scalars(
            select(MailMessage)
            .where(MailMessage.request_id == request.id)
            .order_by(MailMessage.received_at, MailMessage.id)
        )
    )


def _notify(
    session: Session, request: RegistrationRequest, kind: str, extra: dict[str, Any]
) -> None:
    to = reply_address(request)
    if to is None:
        return
    ids = [m.message_id for m in _messages(session, request) if m.message_id]
    context = {
        "organization_name": request.organization_name,
        "business_id": request.business_id,
        **extra,
    }
    enqueue(
        session,
        kind,
        to=to,
        language=notification_language(request),
        context=context,
        request_id=request.id,
        reference=request.reference,
        in_reply_to=ids[-1] if ids else None,
        references=ids,
    )


def _registry_id(request: RegistrationRequest) -> str | None:
    return request.business_id if request.business_id_valid else None


def _freeze_evidence(
    session: Session,
    request: RegistrationRequest,
    action: str,
    actor: str,
    reason: str | None,
    remote_addr: str | None,
    org: Organization | None,
) -> None:
    """What the decision was based on, as it was: kept in the append-only audit trail."""
    messages = _messages(session, request)
    evidence = {
        "request_id": request.id,
        "reference": request.reference,
        "decision": request.state,
        "messages": [
            {
                "sha256": m.sha256,
                "message_id": m.message_id,
                "authentication": {
                    "dkim": m.auth_dkim,
                    "spf": m.auth_spf,
                    "dmarc": m.auth_dmarc,
                    "failed": m.auth_failed,
                },
            }
            for m in messages
        ],
        "fields": {
            field: getattr(request, field)
            for field in (
                "business_id",
                "business_id_valid",
                "organization_name",
                "justification",
                "contact_name",
                "contact_email",
                "contact_phone",
            )
        },
        "registry": org.as_record() if org is not None else None,
    }
    services.record_audit(
        session,
        actor,
        action,
        business_id=_registry_id(request),
        after=evidence,
        reason=reason,
        remote_addr=remote_addr,
    )
    session.flush()
