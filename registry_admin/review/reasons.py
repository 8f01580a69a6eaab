"""Rejection reasons that admins keep as templates in Finnish, Swedish and English."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry_admin.db import Base, UtcDateTime, utcnow
from registry_admin.errors import InvalidInput, NotFound
from registry_admin.registry import services

LANGUAGES = ("fi", "sv", "en")
FIELDS = tuple(f"{part}_{lang}" for part in ("title", "text") for lang in LANGUAGES)
TITLE_CHARS = 120
TEXT_CHARS = 2000


class RejectionReason(Base):
    """One reason a reviewer can pick when rejecting; its text goes to the applicant."""

    __tablename__ = "rejection_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    title_fi: Mapped[str] = mapped_column(String(TITLE_CHARS))
    title_sv: Mapped[str] = mapped_column(String(TITLE_CHARS))
    title_en: Mapped[str] = mapped_column(String(TITLE_CHARS))
    text_fi: Mapped[str] = mapped_column(Text)
    text_sv: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(120))

    def title(self, language: str) -> str:
        return str(getattr(self, f"title_{language if language in LANGUAGES else 'fi'}"))

    def text(self, language: str) -> str:
        return str(getattr(self, f"text_{language if language in LANGUAGES else 'fi'}"))

    def as_record(self) -> dict[str, Any]:
        """Its content as audit before/after values."""
        return {"position": self.position, "active": self.active} | {
            f: getattr(self, f) for f in FIELDS
        }


def list_reasons(session: Session, *, active_only: bool = False) -> list[RejectionReason]:
    query = select(RejectionReason)
    if active_only:
        query = query.where(RejectionReason.active.is_(True))
    return list(session.scalars(query.order_by(RejectionReason.position, RejectionReason.id)))


def get_reason(session: Session, reason_id: int) -> RejectionReason:
    found = session.get(RejectionReason, reason_id)
    if found is None:
        raise NotFound(f"no rejection reason {reason_id}")
    return found


def _cleaned(values: dict[str, Any]) -> dict[str, str]:
    cleaned = {}
    for field in FIELDS:
        value = (
            " ".join(str(values.get(field) or "").split())
            if field.startswith("title")
            else (str(values.get(field) or "").strip())
        )
        if not value:
            raise InvalidInput(f"{field} is required")
        limit = TITLE_CHARS if field.startswith("title") else TEXT_CHARS
        if len(value) > limit:
            raise InvalidInput(f"{field} is longer than {limit} characters")
        cleaned[field] = value
    return cleaned


def save_reason(
    session: Session,
    reason_id: int | None,
    values: dict[str, Any],
    *,
    active: bool,
    actor: str,
    remote_addr: str | None = None,
) -> RejectionReason:
    """Create (reason_id None, placed last) or change a reason; audited with before and after."""
    cleaned = _cleaned(values)
    if reason_id is None:
        last = session.scalar(select(func.max(RejectionReason.position))) or 0
        reason = RejectionReason(position=last + 1, updated_by=actor)
        session.add(reason)
        before = None
    else:
        reason = get_reason(session, reason_id)
        before = reason.as_record()
    for field, value in cleaned.items():
        setattr(reason, field, value)
    reason.active = active
    reason.updated_by = actor
    session.flush()
    services.record_audit(
        session,
        actor,
        "reason.create" if before is None else "reason.update",
        before=before and {"reason_id": reason.id, **before},
        after={"reason_id": reason.id, **reason.as_record()},
        remote_addr=remote_addr,
    )
    return reason


def move_reason(
    session: Session, reason_id: int, step: int, *, actor: str, remote_addr: str | None = None
) -> None:
    """Move a reason one place up (step -1) or down (+1) in the list; audited."""
    ordered = list_reasons(session)
    index = next((i for i, r in enumerate(ordered) if r.id == reason_id), None)
    if index is None:
        raise NotFound(f"no rejection reason {reason_id}")
    other = index + (1 if step > 0 else -1)
    if not 0 <= other < len(ordered):
        return
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, reason in enumerate(ordered, start=1):
        reason.position = position
    services.record_audit(
        session,
        actor,
        "reason.move",
        after={"reason_id": reason_id, "order": [r.id for r in ordered]},
        remote_addr=remote_addr,
    )
    session.flush()


def reason_text(session: Session, reason_id: int, language: str) -> str:
    """An active reason's text in the language, for a rejection chosen without script."""
    reason = get_reason(session, reason_id)
    if not reason.active:
        raise InvalidInput("that rejection reason is no longer in use")
    return reason.text(language)
