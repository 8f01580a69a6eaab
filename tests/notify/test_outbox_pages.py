"""The outbox in the staff UI: failures kept and shown, retried by an admin through a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from notify_support import SmtpServer
from sqlalchemy import select
from staff_pages import post_form, text_of

from registry_admin.db import db, transaction, utcnow
from registry_admin.intake.models import RegistrationRequest
from registry_admin.notify.commands import outbox_command
from registry_admin.notify.deliver import deliver_due
from registry_admin.notify.models import Notification
from registry_admin.notify.outbox import enqueue
from registry_admin.notify.transports import SmtpTransport
from registry_admin.registry.models import AuditEvent

pytestmark = pytest.mark.smtp

SENDER = "tekninentuki@kela.fi"
T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def failed_notification(app: Flask, server: SmtpServer) -> tuple[int, int]:
    """A request's approval that the receiving server refused for good."""
    with app.app_context(), transaction() as session:
        request = RegistrationRequest(state="approved", reference="RA-2026-000050", missing=[])
        session.add(request)
        session.flush()
        row = enqueue(
            session,
            "approved",
            to="hakija@yhdistys.example.org",
            language="en",
            context={"organization_name": "Yhdistys ry"},
            request_id=request.id,
            reference=request.reference,
            from_address=SENDER,
            now=T0,
        )
        assert row is not None
        ids = request.id, row.id
    server.handler.answer = "550 5.7.1 Relaying denied for yhdistys.example.org"
    assert deliver(app, server, T0).failed == 1
    return ids


def deliver(app: Flask, server: SmtpServer, now: datetime):  # type: ignore[no-untyped-def]
    transport = SmtpTransport(host="127.0.0.1", port=server.port, security="plain", timeout=5)
    with app.app_context():
        return deliver_due(db.session, transport, now, from_address=SENDER)


def row(app: Flask, notification_id: int) -> Notification:
    with app.app_context():
        found = db.session.get(Notification, notification_id)
        assert found is not None
        db.session.expunge(found)
        return found


def test_a_failure_is_shown_and_an_admin_retries_it(
    app: Flask, smtp_server: SmtpServer, staff_clients
) -> None:
    request_id, nid = failed_notification(app, smtp_server)

    viewer = staff_clients("viewer")
    outbox = viewer.get("/outbox?state=failed")
    assert outbox.status_code == 200
    shown = text_of(outbox.text)
    assert "RA-2026-000050" in shown and "hakija@yhdistys.example.org" in shown
    assert "550 5.7.1 Relaying denied" in shown
    assert f"/requests/{request_id}" in outbox.text
    assert f"/outbox/{nid}/retry" not in outbox.text  # viewers only read
    request_page = text_of(viewer.get(f"/requests/{request_id}").text)
    assert "Notifications that did not arrive" in request_page
    assert "approval" in request_page and "Relaying denied" in request_page

    admin = staff_clients("admin")
    assert f"/outbox/{nid}/retry" in admin.get("/outbox?state=failed").text
    response = post_form(admin, "/outbox?state=failed", f"/outbox/{nid}/retry")
    assert response.status_code == 303
    retried = row(app, nid)
    assert (retried.state, retried.attempts) == ("queued", 0)
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "notify.retry")
        ).one()
        assert event.actor == "user:admin"
        assert event.before["state"] == "failed" and "Relaying denied" in event.before["last_error"]
        assert event.after == {"notification_id": nid, "state": "queued"}
    assert "waiting to be sent" in text_of(admin.get("/outbox?state=pending").text)

    smtp_server.handler.answer = None
    assert deliver(app, smtp_server, utcnow()).sent == 1
    assert row(app, nid).state == "sent" and len(smtp_server.received) == 1
    assert "Notifications that did not arrive" not in viewer.get(f"/requests/{request_id}").text

    # Only a failed notification is retried: a second click changes nothing.
    again = post_form(admin, "/outbox?state=sent", f"/outbox/{nid}/retry")
    assert again.status_code == 303
    assert row(app, nid).state == "sent"
    assert "not failed" in admin.get("/outbox?state=failed").text


def test_retry_from_the_command_line(app: Flask, smtp_server: SmtpServer) -> None:
    _, nid = failed_notification(app, smtp_server)
    runner = app.test_cli_runner()
    result = runner.invoke(outbox_command, ["retry", str(nid)])
    assert result.exit_code == 0, result.output
    assert row(app, nid).state == "queued"
    refused = runner.invoke(outbox_command, ["retry", str(nid)])
    assert refused.exit_code == 1 and "not failed" in refused.output
    assert runner.invoke(outbox_command, ["retry", "999"]).exit_code == 1
