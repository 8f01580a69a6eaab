"""The scheduler's webhook job: collect new changes into deliveries, then POST what is due."""

from __future__ import annotations

from flask import Flask

from registry_admin.db import db, utcnow
from registry_admin.scheduler import run_job


class WebhookUnreachable(Exception):
    """An endpoint could not be reached; its deliveries wait for a later round."""


def webhook_round(now=None):  # type: ignore[no-untyped-def]
    """One round in the current application context; returns its summary."""
    from registry_admin.webhooks.collect import collect_changes
    from registry_admin.webhooks.deliver import WebhookSummary, deliver_due

    session = db.session()
    summary = WebhookSummary(queued=collect_changes(session))
    return deliver_due(session, now or utcnow(), summary=summary)


def deliver_webhooks(app: Flask) -> bool:
    """Collect and deliver webhooks (job id `webhook_delivery`); True when it went well."""

    def job() -> str:
        summary = webhook_round()
        if summary.unreachable:
            # Raised only after every attempt is recorded, so that the job shows as failing.
            raise WebhookUnreachable(summary.line())
        return summary.line()

    return run_job(app, "webhook_delivery", job)
