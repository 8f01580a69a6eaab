"""The scheduled mailbox poll (`poll_mailbox`), its health record and its alerts."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask

from registry_admin.db import db, transaction, utcnow
from registry_admin.intake.pipeline import Hook, poll_mailbox_once
from registry_admin.intake.polllock import PollBusy
from registry_admin.intake.report import PollReport
from registry_admin.intake.sources import source_from_settings
from registry_admin.jobstatus import record_job_result

log = logging.getLogger(__name__)

JOB_NAME = "mailbox_poll"


def run_poll(app: Flask, *, hook: Hook | None = None, parse: bool = True) -> PollReport:
    """One poll of the configured mailbox, recorded in job_status; raises what stopped it.

    PollBusy (another process is polling) is raised without being recorded as a failure.
    Call inside an application context. `parse=False` stores and moves without parsing (for
    measuring the durable path; see poll_mailbox_once).
    """
    settings = app.config["REGISTRY_SETTINGS"].mailbox
    started = utcnow()
    session = db.session()
    try:
        report = poll_mailbox_once(
            session,
            source_from_settings(settings),
            max_message_bytes=settings.max_message_bytes,
            hook=hook,
            parse=parse,
        )
    except PollBusy:
        session.rollback()
        raise
    except Exception as exc:
        session.rollback()
        _record(app, ok=False, result=_one_line(exc), started=started)
        raise
    _record(app, ok=True, result=report.summary(), started=started)
    return report


def poll_mailbox(app: Flask) -> None:
    """The scheduler's job: poll once; never raises (failures are logged and recorded)."""
    with app.app_context():
        try:
            report = run_poll(app)
            log.info("mailbox poll: %s", report.summary())
        except PollBusy:
            log.info("mailbox poll skipped: another poll is running")
        except Exception:
            log.warning("mailbox poll failed", exc_info=True)
        finally:
            db.session.remove()


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:500]


def _record(app: Flask, *, ok: bool, result: str, started) -> None:  # type: ignore[no-untyped-def]
    settings = app.config["REGISTRY_SETTINGS"].mailbox
    try:
        with transaction() as session:
            status = record_job_result(session, JOB_NAME, ok=ok, result=result, started_at=started)
            failures = status.consecutive_failures or 0
            last_success = status.last_success_at
    except Exception:
        # The database may be what failed; the log still tells.
        log.error("mailbox poll failed and its outcome could not be recorded: %s", result)
        return
    if ok:
        return
    log.warning("mailbox poll failed (%d in a row): %s", failures, result)
    limit = timedelta(minutes=settings.alert_after_minutes)
    never = last_success is None and failures * settings.poll_seconds >= limit.total_seconds()
    if never or (last_success is not None and utcnow() - last_success >= limit):
        log.error(
            "no mailbox poll has succeeded for %d minutes or more (%d failures in a row)",
            settings.alert_after_minutes,
            failures,
        )
