"""Turn the change feed into deliveries: one per change past each active endpoint's cursor.

No edit of the registry services is needed: every change already writes a `registry_changes`
row in its own transaction, and its cursor grows in commit order. Each endpoint's deliveries and
its new cursor are written in one transaction, guarded by the old cursor, and a delivery is unique
per (endpoint, cursor): running the collection twice, or in two processes, never duplicates one.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry_admin.registry.models import RegistryChange
from registry_admin.webhooks.models import WebhookDelivery, WebhookEndpoint

BATCH = 1000


def payload_for(change: RegistryChange) -> dict[str, object]:
    return {
        "cursor": change.cursor,
        "business_id": change.business_id,
        "change": change.change,
        "at": change.at.isoformat(timespec="seconds"),
    }


def current_cursor(session: Session) -> int:
    return int(session.scalar(select(func.max(RegistryChange.cursor))) or 0)


def collect_changes(session: Session, *, batch: int = BATCH) -> int:
    """Queue a delivery for each new change and each active endpoint; returns how many."""
    endpoints = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.cursor)
        .where(WebhookEndpoint.active.is_(True))
        .order_by(WebhookEndpoint.id)
    ).all()
    session.rollback()
    queued = 0
    for endpoint_id, cursor in endpoints:
        while True:
            added, cursor = _collect_batch(session, endpoint_id, cursor, batch)
            queued += added
            if added < batch:
                break
    return queued


def _collect_batch(session: Session, endpoint_id: int, cursor: int, batch: int) -> tuple[int, int]:
    changes = session.scalars(
        select(RegistryChange)
        .where(RegistryChange.cursor > cursor)
        .order_by(RegistryChange.cursor)
        .limit(batch)
    ).all()
    if not changes:
        session.rollback()
        return 0, cursor
    new_cursor = changes[-1].cursor
    moved = session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.cursor == cursor)
        .values(cursor=new_cursor)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        session.rollback()  # another collector moved it first: its deliveries stand
        return 0, cursor
    for change in changes:
        session.add(
            WebhookDelivery(
                endpoint_id=endpoint_id,
                cursor=change.cursor,
                business_id=change.business_id,
                payload=payload_for(change),
            )
        )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return 0, cursor
    return len(changes), new_cursor
