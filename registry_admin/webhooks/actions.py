"""An admin's way out of a failed delivery: retry it now, or skip it so that the later ones go.

Deliveries to an endpoint arrive in order per Business ID, so a delivery that failed for good
holds back every later one of its organization. Both actions are audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from registry_admin.db import utcnow
from registry_admin.errors import Conflict, NotFound
from registry_admin.registry.services import record_audit
from registry_admin.webhooks.models import DONE_STATES, WebhookDelivery


@dataclass(frozen=True)
class Blocked:
    """A failed delivery and how many later ones of its endpoint and Business ID it holds back."""

    delivery: WebhookDelivery
    held_back: int


def _failed(session: Session, delivery_id: int) -> WebhookDelivery:
    row = session.get(WebhookDelivery, delivery_id)
    if row is None:
        raise NotFound(f"no webhook delivery {delivery_id}")
    if row.state != "failed":
        raise Conflict(f"webhook delivery {delivery_id} is {row.state}, not failed")
    return row


def _before(row: WebhookDelivery) -> dict[str, object]:
    return {
        "delivery_id": row.id,
        "endpoint_id": row.endpoint_id,
        "cursor": row.cursor,
        "state": row.state,
        "attempts": row.attempts,
        "last_error": row.last_error,
    }


def retry_delivery(
    session: Session, delivery_id: int, *, actor: str, remote_addr: str | None = None
) -> WebhookDelivery:
    """Queue a failed delivery again, due now, its attempts counted from zero."""
    row = _failed(session, delivery_id)
    before = _before(row)
    row.state, row.attempts, row.next_attempt_at = "queued", 0, utcnow()
    return _audited(session, row, "webhook.retry", before, actor, remote_addr)


def skip_delivery(
    session: Session, delivery_id: int, *, actor: str, remote_addr: str | None = None
) -> WebhookDelivery:
    """Give up a failed delivery: it is never sent, and the later ones of its organization go."""
    row = _failed(session, delivery_id)
    before = _before(row)
    row.state = "skipped"
    return _audited(session, row, "webhook.skip", before, actor, remote_addr)


def _audited(
    session: Session,
    row: WebhookDelivery,
    action: str,
    before: dict[str, object],
    actor: str,
    remote_addr: str | None,
) -> WebhookDelivery:
    record_audit(
        session,
        actor,
        action,
        business_id=row.business_id,
        before=before,
        after={"delivery_id": row.id, "state": row.state},
        remote_addr=remote_addr,
    )
    session.flush()
    return row


def blocked_deliveries(session: Session, limit: int = 200) -> list[Blocked]:
    """Failed deliveries, oldest first, with how many later deliveries each holds back."""
    later = aliased(WebhookDelivery)
    held = (
        select(func.count(later.id))
        .where(
            and_(
                later.endpoint_id == WebhookDelivery.endpoint_id,
                later.business_id == WebhookDelivery.business_id,
                later.cursor > WebhookDelivery.cursor,
                later.state.not_in(DONE_STATES),
            )
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(WebhookDelivery, held)
        .where(WebhookDelivery.state == "failed")
        .order_by(WebhookDelivery.endpoint_id, WebhookDelivery.cursor)
        .limit(limit)
    ).all()
    return [Blocked(row, int(count or 0)) for row, count in rows]
