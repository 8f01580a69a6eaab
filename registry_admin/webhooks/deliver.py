"""POST the deliveries that are due, signed, in cursor order per endpoint and Business ID.

Each row is claimed (`sending`, with a deadline) and committed before the attempt, and marked
`delivered`, `queued` for a retry with exponential backoff, or `failed` after it. A row is only
claimed while no earlier delivery to the same endpoint for the same Business ID is undelivered,
so the receiver sees each organization's changes in order. A crash between the POST and its
record leaves the row `sending`; after the deadline it is POSTed again (same cursor, so the
receiver can recognise the duplicate).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session, aliased

from registry_admin.webhooks.models import DONE_STATES, WebhookDelivery, WebhookEndpoint
from registry_admin.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
MAX_ATTEMPTS = 20
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(hours=1)
# Well beyond the timeout, so that a slow attempt in progress is not repeated.
SENDING_GRACE = timedelta(minutes=5)
BATCH = 500
USER_AGENT = "registry-admin-webhooks/1"


class WebhookError(Exception):
    """A delivery attempt that did not get a 2xx answer."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


@dataclass
class WebhookSummary:
    queued: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    waiting: int = 0
    unreachable: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = (
            f"webhooks: {self.queued} queued, {self.delivered} delivered, "
            f"{self.retrying} to retry, {self.failed} failed, {self.waiting} waiting"
        )
        if self.unreachable:
            text += "; unreachable: " + ", ".join(self.unreachable)
        return text


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... after the 1st, 2nd, 3rd ... failed attempt, at most an hour."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)


def encode_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not a delivery: urllib would repeat a POST as a GET without its body."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


def post(url: str, secret: str, body: bytes, *, timeout: float = TIMEOUT_SECONDS) -> int:
    """POST one signed body; returns the 2xx status or raises WebhookError."""
    if not url.lower().startswith(("http://", "https://")):
        raise WebhookError(f"not an http(s) URL: {url[:80]}")
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - only http(s), checked above
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        },
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status = int(response.status)
            response.read(65536)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise WebhookError(f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebhookError(f"{type(exc).__name__}: {reason}", unreachable=True) from None
    if not 200 <= status < 300:
        raise WebhookError(f"HTTP {status}")
    return status


def _earlier_undelivered() -> Any:
    earlier = aliased(WebhookDelivery)
    return exists().where(
        and_(
            earlier.endpoint_id == WebhookDelivery.endpoint_id,
            earlier.business_id == WebhookDelivery.business_id,
            earlier.cursor < WebhookDelivery.cursor,
            earlier.state.not_in(DONE_STATES),
        )
    )


def deliver_due(
    session: Session,
    now: datetime,
    *,
    timeout: float = TIMEOUT_SECONDS,
    max_attempts: int = MAX_ATTEMPTS,
    sending_grace: timedelta = SENDING_GRACE,
    batch: int = BATCH,
    summary: WebhookSummary | None = None,
) -> WebhookSummary:
    """POST what is due at `now`; an unreachable endpoint is not tried again in this round."""
    summary = summary or WebhookSummary()
    due = session.execute(
        select(WebhookDelivery.id, WebhookDelivery.endpoint_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookEndpoint.active.is_(True),
            WebhookDelivery.state.in_(("queued", "sending")),
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.endpoint_id, WebhookDelivery.cursor)
        .limit(batch)
    ).all()
    session.rollback()  # end the read; each row gets its own transactions below
    down: set[int] = set()
    for row_id, endpoint_id in due:
        if endpoint_id in down:
            summary.waiting += 1
            continue
        outcome = _deliver_one(session, row_id, now, timeout, max_attempts, sending_grace, summary)
        if outcome == "unreachable":
            down.add(endpoint_id)
    return summary


def _claim(session: Session, row_id: int, now: datetime, grace: timedelta) -> bool:
    result = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == row_id,
            WebhookDelivery.state.in_(("queued", "sending")),
            WebhookDelivery.next_attempt_at <= now,
            ~_earlier_undelivered(),
        )
        .values(
            state="sending",
            attempts=WebhookDelivery.attempts + 1,
            last_attempt_at=now,
            next_attempt_at=now + grace,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


def _deliver_one(
    session: Session,
    row_id: int,
    now: datetime,
    timeout: float,
    max_attempts: int,
    grace: timedelta,
    summary: WebhookSummary,
) -> str:
    if not _claim(session, row_id, now, grace):
        summary.waiting += 1
        return "waiting"
    row = session.get(WebhookDelivery, row_id, populate_existing=True)
    endpoint = session.get(WebhookEndpoint, row.endpoint_id) if row is not None else None
    if row is None or endpoint is None:  # pragma: no cover - removed in between
        session.rollback()
        return "gone"
    url, secret, body = endpoint.url, endpoint.secret, encode_body(row.payload)
    session.commit()  # no transaction stays open across the network call
    outcome = "delivered"
    try:
        post(url, secret, body, timeout=timeout)
    except WebhookError as exc:
        outcome = "unreachable" if exc.unreachable else "refused"
        error: str | None = str(exc)[:2000]
    except Exception as exc:  # one row's surprise must not stop the others
        log.exception("webhook delivery %s: unexpected error", row_id)
        outcome, error = "refused", f"{type(exc).__name__}: {exc}"[:2000]
    else:
        error = None
    row = session.get(WebhookDelivery, row_id, populate_existing=True)
    if row is None:  # pragma: no cover - endpoint removed during the attempt
        session.rollback()
        return outcome
    if error is None:
        row.state, row.delivered_at, row.last_error = "delivered", now, None
        summary.delivered += 1
    elif row.attempts >= max_attempts:
        row.state, row.last_error = "failed", error
        summary.failed += 1
        log.warning("webhook delivery %s to endpoint %s failed: %s", row.id, row.endpoint_id, error)
    else:
        row.state, row.last_error = "queued", error
        row.next_attempt_at = now + retry_delay(row.attempts)
        summary.retrying += 1
        if outcome == "unreachable":
            summary.unreachable.append(f"endpoint {row.endpoint_id}: {error}")
    session.commit()
    return outcome
