"""When each scheduled job last ran and how it went, for /readyz and the logs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry_admin.db import Base, UtcDateTime, utcnow


class JobStatus(Base):
    """The last outcome of one job (`mailbox_poll`, `municipality_sync`, ...)."""

    __tablename__ = "job_status"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_result: Mapped[str | None] = mapped_column(Text)
    last_ok: Mapped[bool | None] = mapped_column()
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)


def record_job_result(
    session: Session, name: str, *, ok: bool, result: str, started_at: datetime
) -> JobStatus:
    """Store one run's outcome; the caller commits."""
    status = session.get(JobStatus, name) or JobStatus(name=name, consecutive_failures=0)
    session.add(status)
    now = utcnow()
    status.last_started_at = started_at
    status.last_finished_at = now
    status.last_result = result[:2000]
    status.last_ok = ok
    if ok:
        status.last_success_at = now
        status.consecutive_failures = 0
    else:
        status.consecutive_failures = (status.consecutive_failures or 0) + 1
    return status
