"""Liveness and readiness probes: no token, no personal data."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, current_app
from sqlalchemy import select, text

from registry_admin.api.routes import json_response
from registry_admin.db import db, utcnow
from registry_admin.jobstatus import JobStatus

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive."""
    return json_response({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """The database answers; when and how the last mailbox poll went."""
    try:
        db.session.execute(text("SELECT 1"))
        jobs = {job.name: job for job in db.session.scalars(select(JobStatus))}
    except Exception:
        current_app.logger.exception("readiness check: database unreachable")
        db.session.rollback()
        return json_response({"status": "unavailable", "database": "unreachable"}, 503)
    poll = jobs.get("mailbox_poll")
    alert_after = timedelta(
        minutes=current_app.config["REGISTRY_SETTINGS"].mailbox.alert_after_minutes
    )
    mailbox = {
        "last_poll_at": _iso(poll.last_finished_at) if poll else None,
        "last_poll_ok": poll.last_ok if poll else None,
        "last_poll_result": poll.last_result if poll else "never polled",
        "last_success_at": _iso(poll.last_success_at) if poll else None,
        "consecutive_failures": poll.consecutive_failures if poll else 0,
        "stale": bool(
            poll and (poll.last_success_at is None or utcnow() - poll.last_success_at > alert_after)
        ),
    }
    return json_response({"status": "ok", "database": "ok", "mailbox": mailbox})


def _iso(value):  # type: ignore[no-untyped-def]
    return value.isoformat(timespec="seconds") if value else None
