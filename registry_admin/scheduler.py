"""The one place that starts APScheduler, and the jobs it runs.

A scheduler runs in one process only (`serve` or `worker`): its job store is in memory and is not
shared. Each job is a module-level function, also reachable as a one-shot CLI command.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from registry_admin.db import db, transaction, utcnow
from registry_admin.jobstatus import record_job_result

log = logging.getLogger(__name__)


def municipality_sync(app: Flask) -> None:
    """Include every municipality of the bundled list."""
    from registry_admin.registry.municipalities import load_list, sync_municipalities

    def job() -> str:
        municipalities, problems = load_list(None)
        with transaction() as session:
            report = sync_municipalities(session, municipalities, problems)
        app.extensions["registry_view"].invalidate()
        return report.summary()

    run_job(app, "municipality_sync", job)


def poll_then_link_bounces(app: Flask) -> None:
    """Poll the mailbox, then link the bounces it brought to their notifications."""
    from registry_admin.intake.jobs import poll_mailbox
    from registry_admin.notify.jobs import link_bounces

    poll_mailbox(app)
    link_bounces(app)


def run_job(app: Flask, name: str, job: Callable[[], str]) -> bool:
    """Run one job in an application context and record its outcome; never raises."""
    with app.app_context():
        started = utcnow()
        try:
            result, ok = job(), True
            log.info("job %s: %s", name, result)
        except Exception as exc:
            db.session.rollback()
            log.exception("job %s failed", name)
            result, ok = f"{type(exc).__name__}: {exc}", False
        try:
            with transaction() as session:
                record_job_result(session, name, ok=ok, result=result, started_at=started)
        except Exception:
            log.exception("recording the outcome of job %s failed", name)
        finally:
            db.session.remove()
        return ok


def _add_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    settings = app.config["REGISTRY_SETTINGS"].scheduler
    common = {
        "max_instances": 1,
        "coalesce": True,
        "misfire_grace_time": 300,
        "replace_existing": True,
    }
    from registry_admin.api.jobs import compact_disclosures
    from registry_admin.notify.jobs import deliver_outbox
    from registry_admin.webhooks.jobs import deliver_webhooks

    poll_seconds = app.config["REGISTRY_SETTINGS"].mailbox.poll_seconds
    scheduler.add_job(
        poll_then_link_bounces,
        "interval",
        seconds=poll_seconds,
        args=[app],
        id="mailbox_poll",
        next_run_time=utcnow() + timedelta(seconds=2),
        **common,
    )
    scheduler.add_job(
        deliver_outbox,
        "interval",
        seconds=60,
        args=[app],
        id="outbox_delivery",
        next_run_time=utcnow() + timedelta(seconds=10),
        **common,
    )
    scheduler.add_job(
        deliver_webhooks, "interval", seconds=30, args=[app], id="webhook_delivery", **common
    )
    scheduler.add_job(
        compact_disclosures,
        "interval",
        seconds=60,
        args=[app],
        id="disclosure_compaction",
        **common,
    )
    scheduler.add_job(
        municipality_sync,
        "interval",
        hours=settings.municipality_sync_hours,
        args=[app],
        id="municipality_sync",
        next_run_time=utcnow() + timedelta(seconds=5),
        **common,
    )


def start_background(app: Flask) -> BackgroundScheduler | None:
    """Start the scheduler in a thread of this process (for `serve`)."""
    if not app.config["REGISTRY_SETTINGS"].scheduler.enabled:
        return None
    scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
    _add_jobs(scheduler, app)
    scheduler.start()
    log.info("scheduler started")
    return scheduler


def run_blocking(app: Flask) -> None:
    """Run the scheduler in the foreground until interrupted (for `worker`)."""
    scheduler = BlockingScheduler(timezone="UTC")
    _add_jobs(scheduler, app)
    log.info("worker started")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=True)
