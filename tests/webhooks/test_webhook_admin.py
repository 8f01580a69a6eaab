"""A delivery that fails for good holds back its organization's later ones: admins retry or skip it."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from test_webhooks import BID_A, BID_B, add_endpoint, change, deliveries
from webhook_support import Receiver

from registry_admin.db import db, utcnow
from registry_admin.registry.models import AuditEvent
from registry_admin.webhooks.commands import webhooks_group
from registry_admin.webhooks.deliver import deliver_due

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "review"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notify"))
from staff_pages import StaffClients, post_form, text_of


def round_with(app: Flask, *, max_attempts: int = 20, later: timedelta = timedelta(0)):  # type: ignore[no-untyped-def]
    from registry_admin.webhooks.collect import collect_changes

    with app.app_context():
        try:
            collect_changes(db.session())
            return deliver_due(db.session(), utcnow() + later, max_attempts=max_attempts)
        finally:
            db.session.remove()


def states(app: Flask) -> list[tuple[str, str, str]]:
    return [(d.business_id, d.payload["change"], d.state) for d in deliveries(app)]


def blocked_setup(app: Flask, receiver: Receiver) -> int:
    """A's first change refused for good (HTTP 422); A's second waits behind it; B goes."""
    add_endpoint(app, receiver)
    receiver.respond = lambda p: 422 if (p["business_id"], p["change"]) == (BID_A, "added") else 200
    change(app, ("add", BID_A), ("add", BID_B), ("remove", BID_A))
    round_with(app, max_attempts=1)
    assert states(app) == [
        (BID_A, "added", "failed"),
        (BID_B, "added", "delivered"),
        (BID_A, "removed", "queued"),
    ]
    # However often it runs, A's removal is held back behind the failed delivery.
    round_with(app, later=timedelta(hours=2))
    assert states(app)[2] == (BID_A, "removed", "queued")
    return deliveries(app)[0].id


def audit(app: Flask) -> list[tuple[str, str, str | None, dict, dict]]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.startswith("webhook."))
            .order_by(AuditEvent.id)
        )
        return [(e.actor, e.action, e.business_id, e.before, e.after) for e in rows]


def test_the_page_shows_the_block_and_an_admin_skips_it(app: Flask, receiver: Receiver) -> None:
    failed_id = blocked_setup(app, receiver)
    clients = StaffClients(app)
    admin = clients("admin")
    page = admin.get("/webhooks")
    assert page.status_code == 200
    shown = text_of(page.text)
    assert receiver.url in shown
    assert "HTTP 422" in shown  # the endpoint's last error and the delivery's
    assert "1 later" in shown
    assert clients("reviewer").get("/webhooks").status_code == 403

    response = post_form(admin, "/webhooks", f"/webhooks/deliveries/{failed_id}/skip")
    assert response.status_code == 303
    assert states(app)[0] == (BID_A, "added", "skipped")
    ((who, action, bid, before, after),) = audit(app)
    assert (who, action, bid) == ("user:admin", "webhook.skip", BID_A)
    assert before["state"] == "failed" and before["last_error"].startswith("HTTP 422")
    assert after == {"delivery_id": failed_id, "state": "skipped"}

    round_with(app)
    assert states(app)[2] == (BID_A, "removed", "delivered")
    assert [(r.payload["business_id"], r.payload["change"]) for r in receiver.accepted] == [
        (BID_B, "added"),
        (BID_A, "removed"),
    ]
    assert "skipped" in text_of(admin.get("/webhooks?state=skipped").text)


def test_retry_now_from_the_page_delivers_in_order(app: Flask, receiver: Receiver) -> None:
    failed_id = blocked_setup(app, receiver)
    receiver.respond = lambda p: 200  # the receiver was fixed
    admin = StaffClients(app)("admin")
    assert (
        post_form(admin, "/webhooks", f"/webhooks/deliveries/{failed_id}/retry").status_code == 303
    )
    assert deliveries(app)[0].state == "queued" and deliveries(app)[0].attempts == 0
    assert audit(app)[0][1] == "webhook.retry"

    round_with(app)
    assert [s for _, _, s in states(app)] == ["delivered"] * 3
    accepted = [(r.payload["business_id"], r.payload["change"]) for r in receiver.accepted]
    assert accepted.index((BID_A, "added")) < accepted.index((BID_A, "removed"))

    # A delivered one is neither retried nor skipped.
    post_form(admin, "/webhooks", f"/webhooks/deliveries/{failed_id}/skip")
    assert deliveries(app)[0].state == "delivered"
    assert len(audit(app)) == 1


def test_the_command_line_lists_retries_and_skips(app: Flask, receiver: Receiver) -> None:
    failed_id = blocked_setup(app, receiver)
    runner = app.test_cli_runner()
    listed = runner.invoke(webhooks_group, ["failed"])
    assert listed.exit_code == 0
    assert f"{failed_id}\t" in listed.output and "holds back 1" in listed.output
    assert "1 failed" in runner.invoke(webhooks_group, ["list"]).output

    retried = runner.invoke(webhooks_group, ["retry", str(failed_id)])
    assert retried.exit_code == 0, retried.output
    round_with(app, max_attempts=1)  # still refused: failed again
    assert deliveries(app)[0].state == "failed"

    skipped = runner.invoke(webhooks_group, ["skip", str(failed_id)])
    assert skipped.exit_code == 0, skipped.output
    assert [a[1] for a in audit(app)] == ["webhook.retry", "webhook.skip"]
    assert audit(app)[0][0].startswith("cli")
    refused = runner.invoke(webhooks_group, ["skip", str(failed_id)])
    assert refused.exit_code == 1 and "not failed" in refused.output
    assert runner.invoke(webhooks_group, ["retry", "999"]).exit_code == 1
    round_with(app)
    assert states(app)[2] == (BID_A, "removed", "delivered")
