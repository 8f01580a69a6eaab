"""Link the bounces in the ingest ledger to the notification they return, and mark it bounced.

The intake stores every bounce (kind `bounce`, raw bytes kept) and goes no further. Here each
one not yet examined is read once: the delivery status report (RFC 3464, a multipart/report
with a message/delivery-status part) gives per recipient the Action, Status and
Diagnostic-Code; the returned message (message/rfc822) or its headers (text/rfc822-headers)
give the Message-ID of what we sent. Many servers send no report or drop the returned message,
so In-Reply-To, References and any Message-ID written in the bounce's text are tried after it.
"""

from __future__ import annotations

import email
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from registry_admin.intake.mime import decode_bytes
from registry_admin.intake.models import MailMessage
from registry_admin.notify.compose import MESSAGE_ID_RE
from registry_admin.notify.models import Notification, NotificationBounce

log = logging.getLogger(__name__)

BATCH = 200
# Report actions that mean the message did not and will not arrive (RFC 3464 section 2.3.3).
FAILED_ACTIONS = ("failed",)
# A notification in one of these states has left us, so a bounce can come back for it.
BOUNCEABLE_STATES = ("sent", "sending")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class RecipientReport:
    recipient: str | None
    action: str | None
    status: str | None
    diagnostic: str | None


@dataclass(frozen=True)
class Bounce:
    """What a bounce says: its recipients' reports and the Message-IDs it may be about."""

    reports: tuple[RecipientReport, ...]
    # Best first: the returned message's own Message-ID, then the bounce's threading headers,
    # then any Message-ID in its text.
    candidate_ids: tuple[str, ...]

    @property
    def report(self) -> RecipientReport | None:
        """The first failed recipient's report, else the first one."""
        for report in self.reports:
            if (report.action or "").lower() in FAILED_ACTIONS:
                return report
        return self.reports[0] if self.reports else None

    @property
    def failed(self) -> bool:
        # Without a report the intake's classification is all there is: a bounce is a failure.
        report = self.report
        return report is None or (report.action or "").lower() in FAILED_ACTIONS


@dataclass
class BounceSummary:
    examined: int = 0
    linked: int = 0
    bounced: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"bounces: {self.examined} examined, {self.linked} linked to a notification, "
            f"{self.bounced} notifications marked bounced"
        )


def _field(block: Message, name: str) -> str | None:
    value = block.get(name)
    if value is None:
        return None
    text = _SPACES.sub(" ", str(value)).strip()
    return text or None


def _address(value: str | None) -> str | None:
    # "rfc822; someone@example.fi": the address type before the semicolon.
    if not value:
        return None
    return value.partition(";")[2].strip() or value.strip()


def _diagnostic(value: str | None) -> str | None:
    if not value:
        return None
    kind, sep, rest = value.partition(";")
    return (
        rest if sep and kind.strip().lower() in ("smtp", "x-unix", "x-postfix") else value
    ).strip()


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    # Some servers encode the report (base64); the standard library then leaves it as text.
    raw = part.get_payload(decode=True)
    text = decode_bytes(raw, part.get_content_charset()) if isinstance(raw, bytes) else str(payload)
    parser = HeaderParser(policy=compat32)
    return [
        parser.parsestr(block.strip() + "\n")
        for block in re.split(r"\n\s*\n", text)
        if block.strip()
    ]


def _reports(message: Message) -> list[RecipientReport]:
    reports = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in _status_blocks(part):
            if block.get("Action") is None and block.get("Final-Recipient") is None:
                continue  # the per-message fields (Reporting-MTA, Arrival-Date)
            reports.append(
                RecipientReport(
                    recipient=_address(
                        _field(block, "Final-Recipient") or _field(block, "Original-Recipient")
                    ),
                    action=(_field(block, "Action") or "").lower() or None,
                    status=_field(block, "Status"),
                    diagnostic=_diagnostic(_field(block, "Diagnostic-Code")),
                )
            )
    return reports


def _returned_ids(message: Message) -> Iterator[str]:
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message) and inner.get("Message-ID"):
                yield str(inner.get("Message-ID"))
        elif content_type == "text/rfc822-headers":
            raw = part.get_payload(decode=True)
            text = decode_bytes(raw, part.get_content_charset()) if isinstance(raw, bytes) else ""
            headers = HeaderParser(policy=compat32).parsestr(text)
            if headers.get("Message-ID"):
                yield str(headers.get("Message-ID"))


def _text(message: Message) -> str:
    texts = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() not in ("text", "message"):
            continue
        raw = part.get_payload(decode=True)
        if isinstance(raw, bytes):
            texts.append(decode_bytes(raw, part.get_content_charset()))
    return "\n".join(texts)


def read_bounce(raw: bytes) -> Bounce:
    """The reports and candidate Message-IDs of a bounce; never raises on a malformed one."""
    message = email.message_from_bytes(raw, policy=compat32)
    candidates: list[str] = []
    threading = " ".join(str(message.get(h) or "") for h in ("In-Reply-To", "References"))
    for source in (" ".join(_returned_ids(message)), threading, _text(message)):
        for found in MESSAGE_ID_RE.findall(source):
            if found not in candidates:
                candidates.append(found)
    return Bounce(tuple(_reports(message)), tuple(candidates))


def unexamined_bounces(session: Session, limit: int = BATCH) -> list[int]:
    examined = exists().where(NotificationBounce.mail_message_id == MailMessage.id)
    return list(
        session.scalars(
            select(MailMessage.id)
            .where(MailMessage.kind == "bounce", MailMessage.raw.is_not(None), ~examined)
            .order_by(MailMessage.id)
            .limit(limit)
        )
    )


def link_bounce(
    session: Session, mail_message_id: int, now: datetime
) -> tuple[NotificationBounce, bool]:
    """Read one stored bounce, record it, link and mark its notification (the caller commits).

    Returns the record and whether the notification was marked bounced by it.
    """
    message = session.get(MailMessage, mail_message_id)
    assert message is not None and message.raw is not None
    bounce = read_bounce(message.raw)
    notification = None
    if bounce.candidate_ids:
        found = {
            row.message_id: row
            for row in session.scalars(
                select(Notification).where(Notification.message_id.in_(bounce.candidate_ids))
            )
        }
        notification = next((found[c] for c in bounce.candidate_ids if c in found), None)
    report = bounce.report
    row = NotificationBounce(
        mail_message_id=message.id,
        notification_id=notification.id if notification else None,
        recipient=(report.recipient or "")[:320] or None if report else None,
        action=(report.action or "")[:32] or None if report else None,
        status=(report.status or "")[:32] or None if report else None,
        diagnostic=report.diagnostic[:2000] if report and report.diagnostic else None,
        examined_at=now,
    )
    session.add(row)
    marked = notification is not None and bounce.failed and notification.state in BOUNCEABLE_STATES
    if notification is not None and marked:
        notification.state = "bounced"
        notification.bounced_at = now
        detail = " ".join(x for x in (row.status, row.diagnostic) if x) or "no delivery report"
        notification.last_error = f"bounced: {detail}"[:2000]
        log.info("notification %s bounced (ledger message %s)", notification.id, message.id)
    session.flush()
    return row, marked


def link_bounces(session: Session, now: datetime, *, batch: int = BATCH) -> BounceSummary:
    """Examine every bounce not yet examined, one transaction each."""
    summary = BounceSummary()
    ids = unexamined_bounces(session, batch)
    session.rollback()
    for mail_message_id in ids:
        try:
            row, bounced = link_bounce(session, mail_message_id, now)
            session.commit()
        except Exception as exc:
            # One malformed bounce must not stop the others; it is tried again next round.
            session.rollback()
            log.exception("bounce in ledger message %s could not be examined", mail_message_id)
            summary.errors.append(f"message {mail_message_id}: {type(exc).__name__}")
            continue
        summary.examined += 1
        if row.notification_id is not None:
            summary.linked += 1
            summary.bounced += int(bounced)
    return summary
