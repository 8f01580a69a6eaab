"""Staff accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from registry_admin.db import Base, UtcDateTime, utcnow

ROLES = ("viewer", "reviewer", "admin")
LANGUAGES = ("fi", "sv", "en")


class StaffUser(Base):
    """A member of the registry staff; the role decides what they may see and do."""

    __tablename__ = "staff_users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="role"),
        CheckConstraint(f"language IN {LANGUAGES!r}", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2), default="fi")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The OpenID Connect provider's `sub` for this person, set at their first sign-in there.
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
