"""Deliver the notifications that are due, recording each attempt before and after it.

Each row is claimed (`sending`, with a deadline) and committed before the attempt, and marked
`sent`, `queued` for a retry, or `failed` after it. If the process dies between the attempt and
its record, the row stays `sending`; once the deadline has passed it is sent again, with the
same Message-ID, so a receiver or a person can recognise the one possible duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, scoped_session

from registry_admin.notify.compose import message_for
from registry_admin.notify.models import Notification
from registry_admin.notify.outbox import DEFAULT_FROM_ADDRESS, configured_setting
from registry_admin.notify.transports import (
    DeliveryError,
    PermanentFailure,
    TemporaryFailure,
    Transport,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY_DELAY = timedelta(hours=1)
# How long an attempt may take before a row still `sending` is presumed lost in a crash; well
# beyond the SMTP timeout, so that a slow attempt in progress is not repeated.
SENDING_GRACE = timedelta(minutes=10)
BATCH = 200


@dataclass
class DeliverySummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    waiting: int = 0
    unreachable: str | None = None
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = (
            f"outbox: {self.sent} sent, {self.retrying} to retry, {self.failed} failed, "
            f"{self.waiting} waiting"
        )
        if self.unreachable:
            text += f"; stopped: {self.unreachable}"
        return text


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes after the 1st, 2nd, 3rd ... failed attempt, at most an hour."""
    delay = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(delay, MAX_RETRY_DELAY)


def deliver_due(
    sessions: Session | scoped_session[Session] | Callable[[], Session],
    transport: Transport,
    now: datetime,
    *,
    from_address: str | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    sending_grace: timedelta = SENDING_GRACE,
    batch: int = BATCH,
) -> DeliverySummary:
    """Send what is due at `now` through `transport`; stop early when it is unreachable."""
    # A scoped session (Flask-SQLAlchemy's db.session) proxies every method of its session.
    own_session = not isinstance(sessions, Session | scoped_session)
    session: Session = sessions() if own_session else sessions  # type: ignore[operator,assignment]
    sender = from_address or configured_setting("from_address", DEFAULT_FROM_ADDRESS)
    summary = DeliverySummary()
    try:
        due = session.scalars(
            select(Notification.id)
            .where(
                Notification.state.in_(("queued", "sending")),
                Notification.next_attempt_at <= now,
            )
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(batch)
        ).all()
        session.rollback()  # end the read; each row gets its own transactions below
        for index, row_id in enumerate(due):
            if summary.unreachable:
                summary.waiting = len(due) - index
                break
            _deliver_one(
                session, transport, row_id, now, sender, max_attempts, sending_grace, summary
            )
    finally:
        transport.close()
        if own_session:
            session.close()
    return summary


def _claim(session: Session, row_id: int, now: datetime, grace: timedelta) -> bool:
    """Mark the row `sending` and commit, unless another deliverer got there first."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.id == row_id,
            Notification.state.in_(("queued", "sending")),
            Notification.next_attempt_at <= now,
        )
        .values(
            state="sending",
            attempts=Notification.attempts + 1,
            last_attempt_at=now,
            next_attempt_at=now + grace,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


def _deliver_one(
    session: Session,
    transport: Transport,
    row_id: int,
    now: datetime,
    from_address: str,
    max_attempts: int,
    grace: timedelta,
    summary: DeliverySummary,
) -> None:
    if not _claim(session, row_id, now, grace):
        return
    row = session.get(Notification, row_id, populate_existing=True)
    if row is None:  # pragma: no cover - deleted in between
        return
    try:
        try:
            message = message_for(row, from_address, now)
        except (ValueError, TypeError) as exc:
            raise PermanentFailure(f"cannot be built: {exc}") from exc
        transport.send(message, sender=from_address, recipient=row.recipient)
    except DeliveryError as exc:
        _record_failure(row, exc, now, max_attempts, summary)
    except Exception as exc:
        # One row's unexpected failure must not stop the others; it is retried like a 4xx.
        log.exception("notification %s: unexpected error while sending", row_id)
        failure = TemporaryFailure(f"{type(exc).__name__}: {exc}")
        _record_failure(row, failure, now, max_attempts, summary)
    else:
        row.state, row.sent_at, row.last_error = "sent", now, None
        summary.sent += 1
        log.info("notification %s (%s) sent, attempt %s", row.id, row.kind, row.attempts)
    session.commit()


def _record_failure(
    row: Notification,
    exc: DeliveryError,
    now: datetime,
    max_attempts: int,
    summary: DeliverySummary,
) -> None:
    row.last_error = str(exc)[:2000]
    if isinstance(exc, TemporaryFailure) and exc.unreachable:
        summary.unreachable = str(exc)
    if isinstance(exc, PermanentFailure) or row.attempts >= max_attempts:
        row.state = "failed"
        summary.failed += 1
        summary.errors.append(f"notification {row.id}: {exc}")
        # The reason may quote the address: it stays on the row, out of the log.
        log.warning("notification %s (%s) failed: %s", row.id, row.kind, type(exc).__name__)
        return
    row.state = "queued"
    row.next_attempt_at = now + retry_delay(row.attempts)
    summary.retrying += 1
    log.info(
        "notification %s (%s) will be retried at %s",
        row.id,
        row.kind,
        row.next_attempt_at.isoformat(timespec="seconds"),
    )
