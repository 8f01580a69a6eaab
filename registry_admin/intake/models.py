"""Tables of the intake: the ingest ledger, the review queue, mailbox watermarks and the poll lock.

The ledger (`mail_messages`) keeps one row per distinct message ever received. Its SHA-256 is
the tombstone: the row and its hash stay after the raw bytes and personal data are erased, so a
message seen once is never ingested again, whatever happens to the mailbox.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from registry_admin.db import Base, UtcDateTime, utcnow

# stored -> parsed (a request, follow-up or removal, queued) | quarantined (the parser refused
# it; raw kept for a person to re-process) | ignored (autoreply, bounce, spam, other, or a
# repeat of a message already queued) | oversize (over mailbox.max_message_bytes; headers only).
MESSAGE_STATES = ("stored", "parsed", "quarantined", "ignored", "oversize")
FINAL_MESSAGE_STATES = ("parsed", "quarantined", "ignored", "oversize")
AUTH_VERDICTS = ("pass", "fail", "none")

# The pipeline sets incomplete, ready, already_registered and duplicate (new is the initial
# value only); the review UI sets approved, rejected and not_request.
REQUEST_STATES = (
    "new",
    "incomplete",
    "ready",
    "already_registered",
    "duplicate",
    "approved",
    "rejected",
    "not_request",
)
PENDING_REQUEST_STATES = ("new", "incomplete", "ready")
DECIDED_REQUEST_STATES = ("approved", "rejected", "not_request")
ITEMS = (
    "business_id",
    "organization_name",
    "justification",
    "contact_name",
    "contact_email",
    "contact_phone",
)

# BIGINT on PostgreSQL, but INTEGER on SQLite, where only INTEGER PRIMARY KEY auto-increments.
BigId = BigInteger().with_variant(Integer, "sqlite")


class RegistrationRequest(Base):
    """One organization's application, built from its message and any follow-ups."""

    __tablename__ = "registration_requests"
    __table_args__ = (
        CheckConstraint(f"state IN {REQUEST_STATES!r}", name="state"),
        Index("ix_registration_requests_state_created_at", "state", "created_at"),
        # The duplicate check: the first pending request with a Business ID.
        Index("ix_registration_requests_business_id_state_id", "business_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # RA-2026-000123: given to the applicant, so a follow-up's subject can name its request.
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    state: Mapped[str] = mapped_column(String(24), default="new")
    business_id: Mapped[str | None] = mapped_column(String(64))
    business_id_valid: Mapped[bool | None] = mapped_column(Boolean)
    business_id_reason: Mapped[str | None] = mapped_column(Text)
    business_id_as_written: Mapped[str | None] = mapped_column(Text)
    organization_name: Mapped[str | None] = mapped_column(Text)
    justification: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(Text)
    contact_email: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    missing: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Per item: the message (ledger id) and the span of its text the value was read from.
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # From / Reply-To as received: untrusted text, never used as a header without validation.
    applicant_address: Mapped[str | None] = mapped_column(Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("registration_requests.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def pending(self) -> bool:
        return self.state in PENDING_REQUEST_STATES


class MailMessage(Base):
    """One distinct message received, from the moment its bytes are safely stored."""

    __tablename__ = "mail_messages"
    __table_args__ = (
        CheckConstraint(f"state IN {MESSAGE_STATES!r}", name="state"),
        CheckConstraint(
            "auth_dkim IS NULL OR auth_dkim IN ('pass', 'fail', 'none')", name="auth_dkim"
        ),
        CheckConstraint(
            "auth_spf IS NULL OR auth_spf IN ('pass', 'fail', 'none')", name="auth_spf"
        ),
        CheckConstraint(
            "auth_dmarc IS NULL OR auth_dmarc IN ('pass', 'fail', 'none')", name="auth_dmarc"
        ),
        Index("ix_mail_messages_source_uid", "source", "folder", "uidvalidity", "uid"),
        Index("ix_mail_messages_state_received_at", "state", "received_at"),
        # Repeats and threads: earlier messages by Message-ID (and state).
        Index("ix_mail_messages_message_id_state", "message_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # Where it was read: the source identity (imap://user@host:port, maildir:/path), the folder,
    # and for IMAP the UIDVALIDITY and UID it had then; for a Maildir, its file name key.
    source: Mapped[str] = mapped_column(String(500))
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    source_key: Mapped[str | None] = mapped_column(String(255))
    message_id: Mapped[str | None] = mapped_column(String(500))
    # The tombstone: SHA-256 of the raw bytes (of size and headers for an oversize message).
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    # Deferred: loaded only when read, so listing the ledger never pulls the messages.
    raw: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # The header block alone, kept for an oversize message whose body is not stored.
    raw_headers: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="stored")
    kind: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    # The parser's result (INTERFACES section 3 keys, evidence, threading ids).
    parsed: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    auth_dkim: Mapped[str | None] = mapped_column(String(8))
    auth_spf: Mapped[str | None] = mapped_column(String(8))
    auth_dmarc: Mapped[str | None] = mapped_column(String(8))
    auth_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    request_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("registration_requests.id"), index=True
    )
    # For a follow-up: the items of its request that this message supplied or changed.
    supplied: Mapped[list[str] | None] = mapped_column(JSON)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When it was moved out of the polled folder; null while it may still be there.
    moved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reprocessed_count: Mapped[int] = mapped_column(Integer, default=0)


class MailboxWatermark(Base):
    """The highest UID of a folder below which every message is safely stored and moved."""

    __tablename__ = "mailbox_watermarks"

    source: Mapped[str] = mapped_column(String(500), primary_key=True)
    folder: Mapped[str] = mapped_column(String(255), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class SchedulerLock(Base):
    """A named lock held by one process (SQLite; PostgreSQL uses an advisory lock instead)."""

    __tablename__ = "scheduler_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    # host:pid:token, so a lock left by a killed process on this host can be taken over.
    holder: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
