"""The email ledger: one row per notification, rendered when queued, with its delivery state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from registry_admin.db import Base, UtcDateTime, utcnow

KINDS = ("receipt", "missing", "approved", "rejected", "removed")
LANGUAGES = ("fi", "sv", "en")
# The parts of each kind's wording, one template file each (templates/email/<kind>/<part>).
PARTS = ("subject.txt", "body.txt", "body.html")
# queued -> sending -> sent; sending -> queued (temporary failure, retried later) or failed.
# A row left in `sending` past its deadline (a crash between the attempt and its record) is
# picked up again: at most one duplicate, with the same Message-ID. sent -> bounced when a
# delivery status notification for it comes back; failed -> queued when an admin retries it.
STATES = ("queued", "sending", "sent", "failed", "bounced")


class Notification(Base):
    """One email to an applicant, stored as it will be sent, and where its delivery stands."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
        CheckConstraint(f"language IN {LANGUAGES!r}", name="language"),
        CheckConstraint(f"state IN {STATES!r}", name="state"),
        Index("ix_notifications_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_notifications_kind_created_at", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The registration request it answers; a foreign key once the requests table exists.
    request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    recipient: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(2))
    reference: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # Unique and always set before the insert: the sentinel that lets SQLite insert a batch
    # of notifications in one statement and still match each row to its new id.
    message_id: Mapped[str] = mapped_column(String(255), unique=True, insert_sentinel=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(255))
    # Space-separated Message-IDs; the column avoids the SQL keyword REFERENCES.
    references: Mapped[str | None] = mapped_column("thread_references", Text)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # For `queued`: when to try next. For `sending`: when the attempt is presumed lost.
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    bounced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def reference_ids(self) -> list[str]:
        return self.references.split() if self.references else []


class WordingOverride(Base):
    """An admin's wording of one part of one kind in one language, used instead of the file."""

    __tablename__ = "notification_wording"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
        CheckConstraint(f"language IN {LANGUAGES!r}", name="language"),
        CheckConstraint(f"part IN {PARTS!r}", name="part"),
        UniqueConstraint("kind", "language", "part", name="uq_notification_wording_part"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    part: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class NotificationBounce(Base):
    """A bounce in the ingest ledger, read once: its report and the notification it names.

    One row per examined bounce, with or without a notification, so that each is read once.
    """

    __tablename__ = "notification_bounces"

    # The ledger row (mail_messages.id) of the bounce.
    mail_message_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("mail_messages.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL"), index=True
    )
    recipient: Mapped[str | None] = mapped_column(String(320))
    action: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(String(32))
    diagnostic: Mapped[str | None] = mapped_column(Text)
    examined_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
