"""Tables of the registry: organizations, the ordered change feed, the append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry_admin.db import Base, UtcDateTime, utcnow

SOURCES = ("municipality", "application", "manual")
STATUSES = ("active", "removed")
CHANGES = ("added", "removed", "renamed")

# BIGINT on PostgreSQL, but INTEGER on SQLite, where only INTEGER PRIMARY KEY auto-increments.
BigId = BigInteger().with_variant(Integer, "sqlite")


class Organization(Base):
    """One organization that may (status active) or may no longer (removed) use the booking."""

    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint(f"source IN {SOURCES!r}", name="source"),
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    registered_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    removed_by: Mapped[str | None] = mapped_column(String(120))
    removal_reason: Mapped[str | None] = mapped_column(Text)

    def as_record(self) -> dict[str, Any]:
        """The registry facts (no personal data) as audit before/after values."""
        return {
            "business_id": self.business_id,
            "name": self.name,
            "source": self.source,
            "status": self.status,
        }


class RegistryChange(Base):
    """The change feed: one row per registry change, its cursor increasing in commit order."""

    __tablename__ = "registry_changes"
    __table_args__ = (CheckConstraint(f"change IN {CHANGES!r}", name="change"),)

    cursor: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    business_id: Mapped[str] = mapped_column(String(9), index=True)
    change: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AuditEvent(Base):
    """Who did what to which record, when and why; rows are never updated or deleted."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_business_id_at", "business_id", "at"),
        Index("ix_audit_events_actor_at", "actor", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    business_id: Mapped[str | None] = mapped_column(String(9))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
