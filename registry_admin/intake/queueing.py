"""Queueing: each parsed message becomes a request, a follow-up of one, or is set aside.

A batch's messages are queued in one transaction, with what they look up read for the whole
batch at once (_Lookups); each message is still queued as it would have been alone. Staff's
re-processing of a quarantined message goes through the same path.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry_admin import businessid
from registry_admin.db import DATABASE_DOWN, reserve_ids, utcnow
from registry_admin.errors import Conflict, NotFound
from registry_admin.intake.applicant import notification_language, reply_address
from registry_admin.intake.models import (
    DECIDED_REQUEST_STATES,
    FINAL_MESSAGE_STATES,
    ITEMS,
    PENDING_REQUEST_STATES,
    MailMessage,
    RegistrationRequest,
)
from registry_admin.intake.parsepool import parse_one
from registry_admin.intake.report import PollReport
from registry_admin.notify.compose import UnsafeHeaderValue, check_address
from registry_admin.notify.outbox import enqueue
from registry_admin.notify.wording import overrides_for
from registry_admin.registry.models import Organization

log = logging.getLogger(__name__)

REFERENCE = re.compile(r"\bRA-(\d{4})-(\d{6})\b")


def process_message(
    session: Session,
    message: MailMessage,
    report: PollReport | None = None,
    *,
    raw: bytes | None = None,
) -> None:
    """Parse a stored message (in this process) and queue it; on any parser failure, quarantine
    it.

    Flushes but does not commit. A database failure propagates (nothing is quarantined for a
    fault that is not the message's).
    """
    from registry_admin.intake.parse import IntakeError

    raw = raw if raw is not None else message.raw
    result = IntakeError("the raw bytes are no longer stored") if raw is None else parse_one(raw)
    _process_parsed(session, message, result, report if report is not None else PollReport(), raw)


def _process_parsed(
    session: Session, message: MailMessage, result: Any, report: PollReport, raw: bytes | None
) -> None:
    """Queue one message from its parse result, or quarantine it: for the parser's refusal, or
    for any failure of its own while queueing (rolled back first). Flushes, does not commit."""
    message_pk = message.id
    try:
        if isinstance(result, BaseException):
            raise result
        _queue(session, message, result, report, raw or b"")
        session.flush()
    except DATABASE_DOWN:
        raise
    except Exception as exc:
        session.rollback()
        message = session.get(MailMessage, message_pk)  # type: ignore[assignment]
        if message is None:
            raise
        _quarantine(message, exc, report)
        session.flush()


def _quarantine(message: MailMessage, exc: BaseException, report: PollReport) -> None:
    from registry_admin.intake.parse import IntakeError

    if isinstance(exc, IntakeError):
        log.warning("message %s quarantined: %s", message.id, exc)
    else:
        log.error("message %s quarantined after an unexpected error", message.id, exc_info=exc)
    message.state = "quarantined"
    message.error = f"{type(exc).__name__}: {exc}"[:2000]
    message.processed_at = utcnow()
    report.quarantined += 1


def queue_batch(
    session: Session, to_parse: list[tuple[int, bytes]], results: list[Any], report: PollReport
) -> None:
    """Queue a batch's parsed messages in one transaction and commit. If that fails for a reason
    of its own (not a database that is down), roll it back and queue the messages one per
    transaction, so that a message that fails alone is quarantined and the rest are queued."""
    attempt = PollReport()
    try:
        ids = [ledger_id for ledger_id, _raw in to_parse]
        messages = {
            m.id: m for m in session.scalars(select(MailMessage).where(MailMessage.id.in_(ids)))
        }
        lookups = _Lookups(session, [messages[ledger_id] for ledger_id in ids], results)
        for (ledger_id, raw), result in zip(to_parse, results, strict=True):
            message = messages[ledger_id]
            if isinstance(result, BaseException):
                _quarantine(message, result, attempt)
            else:
                _queue(session, message, result, attempt, raw, lookups)
                lookups.note(message)
        lookups.materialize(session)
        session.flush()
        session.commit()
    except DATABASE_DOWN:
        session.rollback()
        raise
    except Exception:
        session.rollback()
        log.warning("queueing a batch failed: queueing its messages one by one", exc_info=True)
        attempt = PollReport()
        for (ledger_id, raw), result in zip(to_parse, results, strict=True):
            message = session.get(MailMessage, ledger_id)
            if message is None:
                raise
            _process_parsed(session, message, result, attempt, raw)
            session.commit()
    report.add(attempt)


def _queue(
    session: Session,
    message: MailMessage,
    parsed: Any,
    report: PollReport,
    raw: bytes,
    lookups: _Lookups | None = None,
) -> None:
    from registry_admin.intake.classify import FOLLOWUP, OTHER, REMOVAL, REQUEST

    message.kind = parsed.kind
    message.parsed = parsed.stored
    message.processed_at = utcnow()
    message.error = None
    if parsed.kind not in (REQUEST, FOLLOWUP, REMOVAL, OTHER):
        message.state = "ignored"
        report.ignored += 1
        return
    if parsed.kind == REMOVAL:
        # Staff handle a removal from the ledger; it is not an application.
        message.state = "parsed"
        return
    repeat = _repeat_of(session, message, lookups)
    if repeat is not None:
        repeat_id, repeat_request_id = repeat
        message.state = "ignored"
        message.request_id = repeat_request_id
        message.error = f"a repeat of message {repeat_id} (same Message-ID and content)"
        report.ignored += 1
        return
    earlier = _thread(session, message, parsed, lookups)
    own_items = 5 - len(parsed.own.missing())
    continues = own_items >= 1 and (parsed.kind != OTHER or parsed.own.labelled_fields >= 1)
    if earlier is not None and continues:
        if lookups is not None:
            # Requests created earlier in the batch are settled before one of them changes.
            lookups.materialize(session)
        message.kind = FOLLOWUP
        message.request_id = earlier.id
        message.supplied = _apply_followup(earlier, message, parsed)
        message.state = "parsed"
        _evaluate(session, earlier, lookups)
        report.followups += 1
        return
    if parsed.kind == OTHER:
        message.state = "ignored"
        report.ignored += 1
        return
    request = _new_request(session, message, parsed, raw, lookups)
    message.request_id = request.id
    message.state = "parsed"
    report.requests += 1


_COMPARED = ("kind", *ITEMS)


def _repeat_of(
    session: Session, message: MailMessage, lookups: _Lookups | None = None
) -> tuple[int, int | None] | None:
    """(id, request id) of an earlier message with the same Message-ID whose content parsed the
    same: the same mail delivered again with other transport headers."""
    if not message.message_id or not message.parsed:
        return None
    if lookups is not None:
        candidates = lookups.repeat_candidates(message.message_id)
    else:
        candidates = [
            (m.id, m.request_id, m.parsed)
            for m in session.scalars(
                select(MailMessage)
                .where(
                    MailMessage.message_id == message.message_id,
                    MailMessage.state.in_(("parsed", "ignored")),
                )
                .order_by(MailMessage.id)
            )
        ]
    for candidate_id, request_id, before in candidates:
        if candidate_id == message.id:
            continue
        before = before or {}
        if all(before.get(k) == message.parsed.get(k) for k in _COMPARED):
            if lookups is not None:
                request_id = lookups.request_id_of(session, request_id)
            return candidate_id, request_id
    return None


def _thread(
    session: Session, message: MailMessage, parsed: Any, lookups: _Lookups | None = None
) -> RegistrationRequest | None:
    """The request this message answers: by In-Reply-To/References, else by the reference in
    the subject."""
    ids = [i for i in (parsed.in_reply_to, *reversed(parsed.references)) if i]
    for ref in ids:
        if lookups is not None:
            request_id = lookups.request_id_of(
                session, lookups.thread_request_id(ref[:500], message.id)
            )
        else:
            request_id = session.scalar(
                select(MailMessage.request_id)
                .where(
                    MailMessage.message_id == ref[:500],
                    MailMessage.request_id.is_not(None),
                    MailMessage.id != message.id,
                )
                .order_by(MailMessage.id)
                .limit(1)
            )
        if request_id is not None:
            return session.get(RegistrationRequest, request_id)
    found = REFERENCE.search(parsed.subject or "")
    if found is None:
        return None
    if lookups is not None:
        known = lookups.by_reference(session, found)
        if known is not _ASK_THE_DATABASE:
            return known
    return session.scalar(
        select(RegistrationRequest).where(RegistrationRequest.reference == found.group(0))
    )


_ASK_THE_DATABASE = object()


class _Lookups:
    """What the queueing of one batch looks up, read for the whole batch in a few queries and
    kept up to date as the batch's messages are queued in order, so that each message sees what
    it would have seen queued alone: earlier messages by Message-ID (repeats and threads), the
    registered Business IDs, and the receipts each address has had today."""

    def __init__(
        self,
        session: Session,
        messages: list[MailMessage],
        results: list[Any],
    ) -> None:
        parsed = [r for r in results if not isinstance(r, BaseException)]
        # The address each message's receipt would go to.
        self._receipt_keys: set[str] = set()
        for result in parsed:
            to = reply_address(
                SimpleNamespace(  # type: ignore[arg-type]
                    contact_email=result.contact_email, applicant_address=result.applicant_address
                )
            )
            key = _receipt_key(to)
            if key is not None:
                self._receipt_keys.add(key)
        message_ids = {m.message_id for m in messages if m.message_id}
        refs = {ref[:500] for p in parsed for ref in (p.in_reply_to, *p.references) if ref}
        self._repeats: dict[str, list[tuple[int, int | None, Any]]] = {}
        if message_ids:
            for row in session.execute(
                select(
                    MailMessage.message_id,
                    MailMessage.id,
                    MailMessage.request_id,
                    MailMessage.parsed,
                )
                .where(
                    MailMessage.message_id.in_(message_ids),
                    MailMessage.state.in_(("parsed", "ignored")),
                )
                .order_by(MailMessage.id)
            ):
                self._repeats.setdefault(row[0], []).append((row[1], row[2], row[3]))
        self._threads: dict[str, list[tuple[int, int]]] = {}
        if refs:
            for row in session.execute(
                select(MailMessage.message_id, MailMessage.id, MailMessage.request_id)
                .where(MailMessage.message_id.in_(refs), MailMessage.request_id.is_not(None))
                .order_by(MailMessage.id)
            ):
                self._threads.setdefault(row[0], []).append((row[1], row[2]))
        business_ids = {p.business_id for p in parsed if p.business_id} | {
            p.own.business_id.normalized for p in parsed if p.own.business_id is not None
        }
        self._registered: set[str] = set()
        if business_ids:
            self._registered = set(
                session.scalars(
                    select(Organization.business_id).where(
                        Organization.business_id.in_(business_ids),
                        Organization.status == "active",
                    )
                )
            )
        # Pending requests by Business ID: which one a new request duplicates. Of those already
        # stored only the first counts, so only the first is read; should it stop pending
        # during the batch, its Business ID is no longer covered and the database answers.
        self._pending: dict[str, set[int]] = {}
        self._pending_key: dict[int, str] = {}
        self._covered = set(business_ids)
        self._first_stored: set[int] = set()
        if business_ids:
            for business_id, request_id in session.execute(
                select(RegistrationRequest.business_id, func.min(RegistrationRequest.id))
                .where(
                    RegistrationRequest.business_id.in_(business_ids),
                    RegistrationRequest.state.in_(PENDING_REQUEST_STATES),
                )
                .group_by(RegistrationRequest.business_id)
            ):
                self._pending[business_id] = {request_id}
                self._pending_key[request_id] = business_id
                self._first_stored.add(request_id)
        # Requests named by a reference in a subject: those stored before the batch are read
        # now; a larger number can only be one of the batch's own new requests.
        subjects = (REFERENCE.search(p.subject or "") for p in parsed)
        references = {found.group(0) for found in subjects if found}
        self._by_reference: dict[str, int] = {}
        self._stored_up_to = 0
        if references:
            self._by_reference = {
                reference: request_id
                for reference, request_id in session.execute(
                    select(RegistrationRequest.reference, RegistrationRequest.id).where(
                        RegistrationRequest.reference.in_(references)
                    )
                )
            }
            self._stored_up_to = session.scalar(select(func.max(RegistrationRequest.id))) or 0
        self._receipts: dict[str, int] | None = None
        self._wording: dict[str, dict[str, str]] = {}
        self._receipt_window = utcnow() - timedelta(days=1)
        self._fresh: list[tuple[RegistrationRequest, MailMessage]] = []
        self._fresh_messages: set[int] = set()

    def repeat_candidates(self, message_id: str) -> list[tuple[int, int | None, Any]]:
        return self._repeats.get(message_id, [])

    def thread_request_id(self, ref: str, own_id: int) -> Any:
        """The request id (or the message of this batch) the first message with this
        Message-ID other than `own_id` is filed under."""
        for message_id, request_id in self._threads.get(ref, []):
            if message_id != own_id:
                return request_id
        return None

    def by_reference(self, session: Session, found: re.Match[str]) -> Any:
        """The request a subject's reference names, or _ASK_THE_DATABASE when the batch's own
        new requests must be settled and the database asked."""
        request_id = self._by_reference.get(found.group(0))
        if request_id is not None:
            return session.get(RegistrationRequest, request_id)
        if int(found.group(2)) <= self._stored_up_to:
            return None  # no stored request has it, and the batch's new ones are numbered above
        self.materialize(session)  # the batch's new requests get their references
        return _ASK_THE_DATABASE

    def registered(self, business_id: str) -> bool:
        return business_id in self._registered

    def covers(self, business_id: str) -> bool:
        """Whether the batch read the requests with this Business ID (else ask the database)."""
        return business_id in self._covered

    def earliest_pending(self, business_id: str, below: int) -> int | None:
        """The first pending request with this Business ID and an id below `below`."""
        earlier = [i for i in self._pending.get(business_id, ()) if i < below]
        return min(earlier) if earlier else None

    def note_request(self, request: RegistrationRequest) -> None:
        """`request` was (re)evaluated: file it under its Business ID while pending."""
        old = self._pending_key.pop(request.id, None)
        if old is not None:
            self._pending[old].discard(request.id)
            if request.id in self._first_stored:
                self._first_stored.discard(request.id)
                self._covered.discard(old)
        if request.business_id and request.state in PENDING_REQUEST_STATES:
            self._pending.setdefault(request.business_id, set()).add(request.id)
            self._pending_key[request.id] = request.business_id

    def note(self, message: MailMessage) -> None:
        """`message` is queued: later messages of the batch may repeat it or answer it."""
        if not message.message_id:
            return
        # The request id is read when needed: a request new in this batch has none yet.
        if message.state in ("parsed", "ignored"):
            _insert_sorted(
                self._repeats.setdefault(message.message_id, []),
                (message.id, message, message.parsed),
            )
        if message.request_id is not None or message.id in self._fresh_messages:
            _insert_sorted(
                self._threads.setdefault(message.message_id, []),
                (message.id, message),
            )

    def request_id_of(self, session: Session, found: Any) -> int | None:
        """The request id of a looked-up entry: an id, or a message of this batch (whose new
        request is settled first, if it has one)."""
        if not isinstance(found, MailMessage):
            return found
        if found.id in self._fresh_messages:
            self.materialize(session)
        return found.request_id

    def add_fresh(self, request: RegistrationRequest, message: MailMessage) -> None:
        """A new request, not yet in the session (see materialize)."""
        self._fresh.append((request, message))
        self._fresh_messages.add(message.id)

    def materialize(self, session: Session) -> None:
        """Settle the batch's new requests, in the order they were made: each gets its id and
        reference, then its state, and its receipt is queued, as each would have been on the
        spot. Done before anything reads or changes a request.

        The ids are reserved after the batch's other changes are flushed (see reserve_ids), so
        that the requests go in with their references and states, in one statement; where
        they cannot be reserved, a flush has the database number them."""
        if not self._fresh:
            return
        fresh, self._fresh = self._fresh, []
        self._fresh_messages.clear()
        session.flush()
        requests = [request for request, _message in fresh]
        ids = reserve_ids(session, RegistrationRequest.__table__, len(requests))
        if ids is None:
            session.add_all(requests)
            session.flush()
        else:
            now = utcnow()
            for request, request_id in zip(requests, ids, strict=True):
                request.id = request_id
                request.created_at = request.updated_at = now
        for request in requests:
            request.reference = f"RA-{request.created_at.year}-{request.id:06d}"
            session.add(request)  # before its state: a query for it sees the earlier ones
            _evaluate(session, request, self)
        # The requests are in the database before a message names one.
        session.flush()
        for request, message in fresh:
            message.request_id = request.id
            _send_receipt(session, request, message, self)

    def receipts_today(self, session: Session, to: str) -> int | None:
        """The receipts `to` has had in the last 24 hours, this batch's included, as enqueue
        would count them; None when this batch did not count them (then enqueue does)."""
        key = _receipt_key(to)
        if key is None or key not in self._receipt_keys:
            return None
        if self._receipts is None:
            from registry_admin.notify.models import Notification

            counts: dict[str, int] = {}
            recipient = func.lower(Notification.recipient)
            for address, count in session.execute(
                select(recipient, func.count(Notification.id))
                .where(
                    Notification.kind == "receipt",
                    recipient.in_(sorted(self._receipt_keys)),
                    Notification.created_at > self._receipt_window,
                )
                .group_by(recipient)
            ):
                counts[address] = count
            self._receipts = counts
        return self._receipts.get(key, 0)

    def receipt_wording(self, session: Session, language: str) -> dict[str, str]:
        """The admins' wording of the receipt in `language`, read once per batch."""
        if language not in self._wording:
            with session.no_autoflush:
                self._wording[language] = overrides_for(session, "receipt", language)
        return self._wording[language]

    def note_receipt(self, to: str) -> None:
        key = _receipt_key(to)
        if key is not None and self._receipts is not None:
            self._receipts[key] = self._receipts.get(key, 0) + 1


def _receipt_key(to: str | None) -> str | None:
    """The address as enqueue counts its receipts, lower case; None if it is not usable."""
    if to is None:
        return None
    try:
        return check_address(to, "recipient").lower()
    except UnsafeHeaderValue:
        return None


def _insert_sorted(items: list[Any], item: Any) -> None:
    position = len(items)
    while position > 0 and items[position - 1][0] > item[0]:
        position -= 1
    items.insert(position, item)


def _evidence(message: MailMessage, evidence: Any) -> dict[str, Any]:
    return {
        "message": message.id,
        "source": evidence.source,
        "start": evidence.start,
        "end": evidence.end,
        "label": evidence.label,
    }


def _new_request(
    session: Session,
    message: MailMessage,
    parsed: Any,
    raw: bytes,
    lookups: _Lookups | None = None,
) -> RegistrationRequest:
    request = RegistrationRequest(
        state="new",
        business_id=parsed.business_id,
        business_id_valid=parsed.business_id_valid,
        business_id_as_written=parsed.business_id_as_written,
        business_id_reason=_business_id_reason(
            parsed.business_id_as_written, parsed.business_id_valid
        ),
        organization_name=parsed.organization_name,
        justification=parsed.justification,
        contact_name=parsed.contact_name,
        contact_email=parsed.contact_email,
        contact_phone=parsed.contact_phone,
        language=parsed.language,
        missing=list(parsed.missing),
        evidence={name: _evidence(message, ev) for name, ev in parsed.evidence.items()},
        applicant_address=parsed.applicant_address,
    )
    if lookups is not None:
        lookups.add_fresh(request, message)  # added and settled with the batch's others
        return request
    session.add(request)
    session.flush()
    request.reference = f"RA-{request.created_at.year}-{request.id:06d}"
    _evaluate(session, request)
    _send_receipt(session, request, message)
    return request


def _send_receipt(
    session: Session,
    request: RegistrationRequest,
    message: MailMessage,
    lookups: _Lookups | None = None,
) -> None:
    """Tell the applicant the request arrived, with its reference (in this transaction)."""
    to = reply_address(request)
    if to is None:
        return
    language = notification_language(request)
    row = enqueue(
        session,
        "receipt",
        to=to,
        language=language,
        context={
            "organization_name": request.organization_name,
            "business_id": request.business_id,
            "missing": list(request.missing or []),
        },
        request_id=request.id,
        reference=request.reference,
        in_reply_to=message.message_id,
        references=[message.message_id] if message.message_id else None,
        receipts_today_count=lookups.receipts_today(session, to) if lookups is not None else None,
        flush=lookups is None,
        wording=lookups.receipt_wording(session, language) if lookups is not None else None,
    )
    if lookups is not None and row is not None:
        lookups.note_receipt(to)


def _apply_followup(request: RegistrationRequest, message: MailMessage, parsed: Any) -> list[str]:
    """Put this message's own items on its request; the names of those it supplied or changed."""
    if request.state in DECIDED_REQUEST_STATES:
        log.info(
            "message %s answers request %s, already decided: left unchanged", message.id, request.id
        )
        return []
    own = parsed.own
    supplied: list[str] = []
    evidence = dict(request.evidence or {})
    bid = own.business_id
    if bid is not None and (bid.normalized, bid.valid) != (
        request.business_id,
        request.business_id_valid,
    ):
        request.business_id = bid.normalized
        request.business_id_valid = bid.valid
        request.business_id_as_written = bid.as_written
        request.business_id_reason = _business_id_reason(bid.as_written, bid.valid)
        evidence["business_id"] = _evidence(message, bid.evidence)
        supplied.append("business_id")
    for name in (
        "organization_name",
        "justification",
        "contact_name",
        "contact_email",
        "contact_phone",
    ):
        item = getattr(own, name)
        if name == "justification" and own.prose_reason_over(bool(request.justification)):
            continue
        if item is not None and item.value != getattr(request, name):
            setattr(request, name, item.value)
            evidence[name] = _evidence(message, item.evidence)
            supplied.append(name)
    request.evidence = evidence
    request.missing = _missing(request)
    request.updated_at = utcnow()
    return supplied


def _missing(request: RegistrationRequest) -> list[str]:
    absent = [
        name
        for name in ("business_id", "organization_name", "justification", "contact_name")
        if not getattr(request, name)
    ]
    if not (request.contact_email or request.contact_phone):
        absent.append("contact_details")
    return absent


def _business_id_reason(as_written: str | None, valid: bool | None) -> str | None:
    if valid is not False or not as_written:
        return None
    reason = businessid.check(as_written).reason or "format"
    return businessid.InvalidBusinessId.REASONS.get(reason, reason)


def _evaluate(
    session: Session, request: RegistrationRequest, lookups: _Lookups | None = None
) -> None:
    """Set the state of a request the pipeline may still change (not one staff decided)."""
    _set_state(session, request, lookups)
    if lookups is not None:
        lookups.note_request(request)


def _set_state(
    session: Session, request: RegistrationRequest, lookups: _Lookups | None = None
) -> None:
    if request.state in DECIDED_REQUEST_STATES:
        return
    request.duplicate_of_id = None
    if request.business_id and request.business_id_valid:
        if lookups is not None and lookups.covers(request.business_id):
            registered = True if lookups.registered(request.business_id) else None
        else:
            registered = session.scalar(
                select(Organization.id).where(
                    Organization.business_id == request.business_id,
                    Organization.status == "active",
                )
            )
        if registered is not None:
            request.state = "already_registered"
            return
        if lookups is not None and lookups.covers(request.business_id):
            earlier = lookups.earliest_pending(request.business_id, request.id)
        else:
            earlier = session.scalar(
                select(RegistrationRequest.id)
                .where(
                    RegistrationRequest.business_id == request.business_id,
                    RegistrationRequest.state.in_(PENDING_REQUEST_STATES),
                    RegistrationRequest.id != request.id,
                    RegistrationRequest.id < request.id,
                )
                .order_by(RegistrationRequest.id)
                .limit(1)
            )
        if earlier is not None:
            request.state = "duplicate"
            request.duplicate_of_id = earlier
            return
    request.state = "incomplete" if request.missing or not request.business_id_valid else "ready"


# --- staff actions -------------------------------------------------------------------------------


def reprocess_message(session: Session, message_id: int) -> MailMessage:
    """Run a quarantined (or stuck `stored`) message through the parser again; the caller commits."""
    message = session.get(MailMessage, message_id)
    if message is None:
        raise NotFound(f"no message {message_id} in the ledger")
    if message.state not in ("quarantined", "stored"):
        raise Conflict(
            f"message {message_id} is {message.state}; only a quarantined message is re-processed"
        )
    if message.raw is None:
        raise Conflict(f"message {message_id} has no stored raw bytes")
    message.state = "stored"
    message.reprocessed_count = (message.reprocessed_count or 0) + 1
    session.flush()
    process_message(session, message)
    return message


def unfinished_messages(session: Session) -> list[MailMessage]:
    """Ledger rows without a final state (stored but never parsed)."""
    return list(
        session.scalars(
            select(MailMessage)
            .where(MailMessage.state.not_in(FINAL_MESSAGE_STATES))
            .order_by(MailMessage.id)
        )
    )
