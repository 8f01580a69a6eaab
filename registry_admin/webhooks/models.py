"""Webhook endpoints (configured in the database) and one delivery row per change per endpoint."""

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
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from registry_admin.db import Base, UtcDateTime, utcnow

# BIGINT on PostgreSQL, INTEGER on SQLite (only INTEGER PRIMARY KEY auto-increments there).
BigId = BigInteger().with_variant(Integer, "sqlite")

# queued -> sending -> delivered; sending -> queued (retried later) or failed (attempts used up).
# A row left in `sending` past its deadline (a crash during the attempt) is sent again.
# failed -> queued when an admin retries it now; failed -> skipped when an admin gives it up,
# which lets the later deliveries of its Business ID go.
STATES = ("queued", "sending", "delivered", "failed", "skipped")
# Deliveries that no longer hold back the later ones of their endpoint and Business ID.
DONE_STATES = ("delivered", "skipped")


class WebhookEndpoint(Base):
    """A receiver of the registry's changes; `cursor` is the last change turned into a delivery."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One registry change to be POSTed to one endpoint, and where its delivery stands."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"state IN {STATES!r}", name="state"),
        UniqueConstraint("endpoint_id", "cursor", name="uq_webhook_deliveries_endpoint_cursor"),
        Index("ix_webhook_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_business_id", "endpoint_id", "business_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    cursor: Mapped[int] = mapped_column(BigInteger)
    business_id: Mapped[str] = mapped_column(String(9))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # For `queued`: when to try next. For `sending`: when the attempt is presumed lost.
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
