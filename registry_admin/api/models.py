"""API clients (tokens stored hashed) and the log of every disclosure made through the API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry_admin.db import Base, UtcDateTime, utcnow
from registry_admin.registry.models import BigId


class ApiClient(Base):
    """A program allowed to use the lookup API, known by the SHA-256 of its bearer token."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_hint: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Disclosure(Base):
    """One answer the API gave: which client asked about which Business ID, and when."""

    __tablename__ = "disclosures"
    __table_args__ = (Index("ix_disclosures_business_id_at", "business_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    business_id: Mapped[str] = mapped_column(String(64))
    registered: Mapped[bool | None] = mapped_column(Boolean)


class DisclosureBatch(Base):
    """Disclosures as the API workers write them: one row per batch, no index to keep up.

    `entries` holds one line per disclosure, `at_ns,client_id,registered,business_id` (at in ns
    since the epoch, registered 1, 0 or empty). The scheduler's compaction moves them into
    `disclosures` and deletes the batch in one transaction.
    """

    __tablename__ = "disclosure_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entries: Mapped[str] = mapped_column(Text)
