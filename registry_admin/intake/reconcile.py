"""Compare the mailbox folder with the ingest ledger: every message without a final state."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_admin.intake.models import FINAL_MESSAGE_STATES, MailMessage
from registry_admin.intake.queueing import unfinished_messages
from registry_admin.intake.sources import Envelope, MailSource

FETCH_BATCH = 50


@dataclass(frozen=True)
class Unfinished:
    """One message that has not reached a final state, and where it stands."""

    where: str  # "mailbox" (still in the polled folder) or "ledger"
    key: str  # UID or Maildir key in the folder, or the ledger id
    ledger_id: int | None
    state: str | None
    reason: str

    def line(self) -> str:
        ledger = (
            f"ledger #{self.ledger_id} ({self.state})" if self.ledger_id else "not in the ledger"
        )
        return f"{self.where} {self.key}: {ledger}: {self.reason}"


def _hash(envelope: Envelope, raw: bytes | None) -> str:
    if raw is None:
        return hashlib.sha256(b"oversize\0%d\0" % envelope.size + envelope.headers).hexdigest()
    return hashlib.sha256(raw).hexdigest()


def reconcile(session: Session, source: MailSource, *, max_message_bytes: int) -> list[Unfinished]:
    """Every message in the folder (none should stay there after a poll) and every ledger row
    left `stored`. The folder's messages are matched to the ledger by their SHA-256."""
    found: list[Unfinished] = []
    source.open()
    try:
        envelopes = source.list_all()
        for start in range(0, len(envelopes), FETCH_BATCH):
            batch = envelopes[start : start + FETCH_BATCH]
            raw = source.fetch([e for e in batch if e.size <= max_message_bytes])
            for envelope in batch:
                sha = _hash(envelope, raw.get(envelope.key))
                row = session.execute(
                    select(MailMessage.id, MailMessage.state).where(MailMessage.sha256 == sha)
                ).first()
                if row is None:
                    found.append(
                        Unfinished("mailbox", envelope.key, None, None, "not yet stored by a poll")
                    )
                elif row.state not in FINAL_MESSAGE_STATES:
                    found.append(
                        Unfinished("mailbox", envelope.key, row.id, row.state, "stored, not parsed")
                    )
                else:
                    found.append(
                        Unfinished(
                            "mailbox", envelope.key, row.id, row.state, "done but not yet moved"
                        )
                    )
    finally:
        source.close()
    in_mailbox = {u.ledger_id for u in found if u.ledger_id is not None}
    for message in unfinished_messages(session):
        if message.id not in in_mailbox:
            found.append(
                Unfinished(
                    "ledger", str(message.id), message.id, message.state, "stored, not parsed"
                )
            )
    return found
