"""Signed webhooks to a real HTTP receiver on loopback, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from webhook_support import Receiver

from registry_admin.db import db, transaction, utcnow
from registry_admin.registry.services import add_organization, remove_organization
from registry_admin.webhooks.collect import collect_changes
from registry_admin.webhooks.commands import webhooks_group
from registry_admin.webhooks.deliver import encode_body
from registry_admin.webhooks.jobs import deliver_webhooks, webhook_round
from registry_admin.webhooks.models import WebhookDelivery
from registry_admin.webhooks.signing import sign, verify_signature

BID_A, BID_B = "0201256-6", "1572860-0"


def add_endpoint(app: Flask, receiver: Receiver) -> int:
    result = app.test_cli_runner().invoke(webhooks_group, ["add", receiver.url])
    assert result.exit_code == 0, result.output
    receiver.secret = result.output.strip().splitlines()[-1]
    assert len(receiver.secret) == 64
    return int(result.output.split()[2].rstrip(":"))


def change(app: Flask, *steps: tuple[str, str]) -> None:
    for action, bid in steps:
        with app.app_context(), transaction() as session:
            if action == "add":
                add_organization(session, bid, f"Org {bid}", source="manual", actor="test")
            else:
                remove_organization(session, bid, actor="test", reason="test")


def run_round(app: Flask, now: datetime | None = None):  # type: ignore[no-untyped-def]
    with app.app_context():
        try:
            return webhook_round(now)
        finally:
            db.session.remove()


def deliveries(app: Flask) -> list[WebhookDelivery]:
    with app.app_context():
        rows = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.cursor)).all()
        db.session.expunge_all()
        return list(rows)


def test_registry_changes_arrive_signed_and_in_order(app: Flask, receiver: Receiver) -> None:
    change(app, ("add", BID_B))  # before the endpoint exists: not sent to it
    add_endpoint(app, receiver)
    change(app, ("add", BID_A), ("remove", BID_A), ("remove", BID_B))

    summary = run_round(app)
    assert (summary.queued, summary.delivered, summary.retrying) == (3, 3, 0)
    assert all(r.valid and r.status == 200 for r in receiver.received)
    payloads = [r.payload for r in receiver.received]
    assert [(p["business_id"], p["change"]) for p in payloads] == [
        (BID_A, "added"),
        (BID_A, "removed"),
        (BID_B, "removed"),
    ]
    cursors = [p["cursor"] for p in payloads]
    assert cursors == sorted(cursors)
    assert set(payloads[0]) == {"cursor", "business_id", "change", "at"}
    first = receiver.received[0]
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["X-Registry-Signature"] == sign(
        receiver.secret, first.headers["X-Registry-Timestamp"], first.body
    )
    assert all(d.state == "delivered" and d.attempts == 1 for d in deliveries(app))

    # Nothing new: nothing queued, nothing sent again.
    again = run_round(app)
    assert (again.queued, again.delivered) == (0, 0)
    assert len(receiver.received) == 3
    listing = app.test_cli_runner().invoke(webhooks_group, ["list"])
    assert "3 delivered" in listing.output and receiver.url in listing.output


def test_receiver_down_then_up_delivers_each_exactly_once(app: Flask, receiver: Receiver) -> None:
    add_endpoint(app, receiver)
    receiver.stop()
    change(app, ("add", BID_A), ("add", BID_B), ("remove", BID_A))

    assert deliver_webhooks(app) is False  # the job records a failure
    rows = deliveries(app)
    assert [d.state for d in rows] == ["queued"] * 3
    # The first attempt found the endpoint down; the others were not tried in that round.
    assert [d.attempts for d in rows] == [1, 0, 0]
    assert "Connection refused" in (rows[0].last_error or "")
    with app.app_context():
        from registry_admin.jobstatus import JobStatus

        status = db.session.get(JobStatus, "webhook_delivery")
        assert status is not None and status.last_ok is False
        assert "unreachable" in (status.last_result or "")
        db.session.remove()

    # Still down, still not due: no attempt is made before the backoff has passed.
    early = run_round(app)
    assert early.delivered == 0 and deliveries(app)[0].attempts == 1

    receiver.start()
    summary = run_round(app, utcnow() + timedelta(minutes=5))
    assert summary.delivered == 3
    run_round(app, utcnow() + timedelta(hours=2))
    assert sorted(r.payload["cursor"] for r in receiver.received) == [d.cursor for d in rows]
    assert len(receiver.received) == 3 and all(r.valid for r in receiver.received)


def test_error_answer_is_retried_and_later_changes_of_that_id_wait(
    app: Flask, receiver: Receiver
) -> None:
    add_endpoint(app, receiver)
    receiver.respond = lambda p: 500 if p["business_id"] == BID_A else 200
    change(app, ("add", BID_A), ("add", BID_B), ("remove", BID_A))

    summary = run_round(app)
    assert (summary.delivered, summary.retrying, summary.waiting) == (1, 1, 1)
    rows = {(d.business_id, d.payload["change"]): d for d in deliveries(app)}
    assert rows[BID_A, "added"].state == "queued"
    assert rows[BID_A, "added"].last_error == "HTTP 500 Internal Server Error"
    assert rows[BID_A, "removed"].attempts == 0  # waits behind the earlier change of BID_A
    assert rows[BID_B, "added"].state == "delivered"

    receiver.respond = lambda p: 204
    run_round(app, utcnow() + timedelta(minutes=5))
    rows = {(d.business_id, d.payload["change"]): d for d in deliveries(app)}
    assert all(d.state == "delivered" for d in rows.values())
    assert rows[BID_A, "added"].attempts == 2
    accepted = [(r.payload["business_id"], r.payload["change"]) for r in receiver.accepted]
    assert accepted == [(BID_B, "added"), (BID_A, "added"), (BID_A, "removed")]
    assert sum(1 for r in receiver.received if r.status == 500) == 1


def test_collecting_twice_queues_each_change_once(app: Flask, receiver: Receiver) -> None:
    add_endpoint(app, receiver)
    change(app, ("add", BID_A), ("add", BID_B))
    with app.app_context():
        assert collect_changes(db.session()) == 2
        assert collect_changes(db.session()) == 0
        count = db.session.scalar(select(func.count()).select_from(WebhookDelivery))
        db.session.remove()
    assert count == 2


def test_remove_endpoint(app: Flask, receiver: Receiver) -> None:
    endpoint_id = add_endpoint(app, receiver)
    change(app, ("add", BID_A))
    with app.app_context():
        collect_changes(db.session())
        db.session.remove()
    runner = app.test_cli_runner()
    assert runner.invoke(webhooks_group, ["remove", str(endpoint_id)]).exit_code == 0
    assert deliveries(app) == []
    assert "no webhook endpoints" in runner.invoke(webhooks_group, ["list"]).output
    assert runner.invoke(webhooks_group, ["remove", str(endpoint_id)]).exit_code == 1
    assert runner.invoke(webhooks_group, ["add", "ftp://example.org/x"]).exit_code != 0


def test_verify_signature_refuses_tampering_and_replay() -> None:
    secret, body = "s3cret", encode_body({"cursor": 1, "business_id": BID_A, "change": "added"})
    now = time.time()
    ts = str(int(now))
    good = sign(secret, ts, body)
    assert verify_signature(secret, ts, body, good, now)
    assert verify_signature(secret, ts, body.decode(), good, datetime.fromtimestamp(now, UTC))
    tampered = body.replace(b"added", b"removed")
    assert not verify_signature(secret, ts, tampered, good, now)
    assert not verify_signature("other", ts, body, good, now)
    old = str(int(now) - 301)
    assert not verify_signature(secret, old, body, sign(secret, old, body), now)
    future = str(int(now) + 301)
    assert not verify_signature(secret, future, body, sign(secret, future, body), now)
    assert not verify_signature(secret, str(int(now) - 10), body, good, now)  # ts is signed
    for bad in (None, "", "sha256=", good.upper(), good[:-1], "md5=" + good[7:]):
        assert not verify_signature(secret, ts, body, bad, now)
    assert not verify_signature(secret, "not-a-number", body, good, now)
    assert not verify_signature(secret, None, body, good, now)
    assert json.loads(body)["business_id"] == BID_A


@pytest.mark.parametrize("status", [301, 404])
def test_a_redirect_or_client_error_is_not_a_delivery(
    sqlite_app: Flask, receiver: Receiver, status: int
) -> None:
    add_endpoint(sqlite_app, receiver)
    receiver.respond = lambda p: status
    change(sqlite_app, ("add", BID_A))
    summary = run_round(sqlite_app)
    assert (summary.delivered, summary.retrying) == (0, 1)
    assert deliveries(sqlite_app)[0].last_error.startswith(f"HTTP {status}")


def test_attempts_used_up_fail_visibly_and_a_lost_attempt_is_resent(
    sqlite_app: Flask, receiver: Receiver
) -> None:
    from registry_admin.webhooks.deliver import deliver_due

    app = sqlite_app
    add_endpoint(app, receiver)
    receiver.respond = lambda p: 503
    change(app, ("add", BID_A), ("add", BID_B))
    with app.app_context():
        collect_changes(db.session())
        summary = deliver_due(db.session(), utcnow(), max_attempts=1)
        db.session.remove()
    assert (summary.failed, summary.delivered) == (2, 0)
    assert [d.state for d in deliveries(app)] == ["failed", "failed"]
    listing = app.test_cli_runner().invoke(webhooks_group, ["list"])
    assert "2 failed" in listing.output and "HTTP 503" in listing.output

    # A crash left a row `sending`: once its deadline has passed it is POSTed again.
    receiver.respond = lambda p: 200
    with app.app_context(), transaction() as session:
        row = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.cursor)).first()
        row.state, row.next_attempt_at = "sending", utcnow() + timedelta(minutes=5)
    assert run_round(app).delivered == 0  # still within the attempt's deadline
    assert run_round(app, utcnow() + timedelta(minutes=6)).delivered == 1
    assert [d.state for d in deliveries(app)] == ["delivered", "failed"]


def test_send_command_and_scheduler_registration(sqlite_app: Flask, receiver: Receiver) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from registry_admin.scheduler import _add_jobs

    add_endpoint(sqlite_app, receiver)
    change(sqlite_app, ("add", BID_A))
    runner = sqlite_app.test_cli_runner()
    assert runner.invoke(webhooks_group, ["send"]).exit_code != 0  # --once is required
    sent = runner.invoke(webhooks_group, ["send", "--once"])
    assert sent.exit_code == 0, sent.output
    assert sent.output.startswith("webhooks: 1 queued, 1 delivered")
    assert len(receiver.received) == 1

    scheduler = BackgroundScheduler(timezone="UTC")
    _add_jobs(scheduler, sqlite_app)
    job = scheduler.get_job("webhook_delivery")
    assert job is not None and job.func is deliver_webhooks
    assert job.trigger.interval == timedelta(seconds=30)
    assert job.max_instances == 1 and job.coalesce is True
