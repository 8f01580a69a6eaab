"""The scheduler's outbox job: one round of delivery, its outcome recorded like every job's."""

from __future__ import annotations

from flask import Flask

from registry_admin.db import db, utcnow
from registry_admin.scheduler import run_job


class OutboxUnreachable(Exception):
    """The transport could not be reached; the notifications wait for the next round."""


def deliver_outbox(app: Flask) -> None:
    """Deliver the notifications that are due (job id `outbox_delivery`)."""
    from registry_admin.notify.deliver import deliver_due
    from registry_admin.notify.transports import transport_from_settings

    def job() -> str:
        smtp = app.config["REGISTRY_SETTINGS"].smtp
        transport = transport_from_settings(smtp)
        summary = deliver_due(db.session, transport, utcnow(), from_address=smtp.from_address)
        if summary.unreachable:
            # Raised only after every attempt is recorded, so that the job shows as failing.
            raise OutboxUnreachable(f"{transport.description}: {summary.line()}")
        return summary.line()

    run_job(app, "outbox_delivery", job)


def link_bounces(app: Flask) -> None:
    """Link the stored bounces to their notifications (job id `bounce_linking`)."""
    from registry_admin.notify.bounces import link_bounces as link

    def job() -> str:
        summary = link(db.session(), utcnow())
        if summary.errors:
            raise BouncesUnread("; ".join(summary.errors[:5]))
        return summary.line()

    run_job(app, "bounce_linking", job)


class BouncesUnread(Exception):
    """A stored bounce could not be read; it is tried again in the next round."""
