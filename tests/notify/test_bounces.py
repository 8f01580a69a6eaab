"""Bounces of our own notifications: read from real delivery reports, linked, shown to staff."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from staff_pages import text_of

from registry_admin.db import db, transaction
from registry_admin.intake.models import MailMessage, RegistrationRequest
from registry_admin.notify.bounces import link_bounces, read_bounce
from registry_admin.notify.commands import outbox_command
from registry_admin.notify.deliver import deliver_due
from registry_admin.notify.models import Notification, NotificationBounce
from registry_admin.notify.outbox import enqueue
from registry_admin.notify.transports import DirectoryTransport
from registry_admin.scheduler import poll_then_link_bounces

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Real bounces from other systems, each returning a message of Kela's technical support.
POSTFIX = (
    FIXTURES / "unseen" / "bounce_postfix_dsn_mailbox_full_returns_kela_reply_quoting_request.eml"
)
POSTFIX_ID = b"<b4e09c17.6f2a58d3.91c0e7b5@kela.fi>"
EXCHANGE = FIXTURES / "intake" / "001_bounce_multipart_report.eml"
EXCHANGE_ID = b"<375a6b39.727616eb.821c8a04@kela.fi>"
SENDER = "tekninentuki@kela.fi"
T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 29, 8, 5, tzinfo=UTC)

# Sendmail and Exim return only the headers of the message (RFC 3462 text/rfc822-headers).
HEADERS_ONLY = """\
From: Mail Delivery Subsystem <MAILER-DAEMON@smtp.kunta.example.fi>
To: <tekninentuki@kela.fi>
Subject: Returned mail: see transcript for details
Date: Sun, 29 Nov 2026 10:04:11 +0200
Message-Id: <202611290804.2AT84B1q001122@smtp.kunta.example.fi>
Auto-Submitted: auto-generated (failure)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="2AT84B1q001122.1764403451/smtp.kunta.example.fi"

This is a MIME-encapsulated message

--2AT84B1q001122.1764403451/smtp.kunta.example.fi
Content-Type: text/plain

The original message was received at Sun, 29 Nov 2026 10:04:09 +0200
from mx.kela.fi [192.0.2.10]

   ----- The following addresses had permanent fatal errors -----
<{to}>
    (reason: 550 5.1.1 User unknown)

--2AT84B1q001122.1764403451/smtp.kunta.example.fi
Content-Type: message/delivery-status

Reporting-MTA: dns; smtp.kunta.example.fi
Received-From-MTA: DNS; mx.kela.fi
Arrival-Date: Sun, 29 Nov 2026 10:04:09 +0200

Final-Recipient: RFC822; {to}
Action: failed
Status: 5.1.1
Remote-MTA: DNS; mail.kunta.example.fi
Diagnostic-Code: SMTP; 550 5.1.1 <{to}>... User unknown
Last-Attempt-Date: Sun, 29 Nov 2026 10:04:11 +0200

--2AT84B1q001122.1764403451/smtp.kunta.example.fi
Content-Type: text/rfc822-headers

Return-Path: <tekninentuki@kela.fi>
From: Kela <tekninentuki@kela.fi>
To: {to}
Subject: Decision on your application [RA-2026-000042]
Message-ID: {message_id}
Date: Sun, 29 Nov 2026 10:04:08 +0200

--2AT84B1q001122.1764403451/smtp.kunta.example.fi--
"""

# qmail sends no report at all: the returned message is quoted in the text.
QMAIL = """\
From: MAILER-DAEMON@mail.yhdistys.example.org
To: tekninentuki@kela.fi
Subject: failure notice
Date: 29 Nov 2026 08:04:12 -0000
Message-ID: <20261129080412.4711.qmail@mail.yhdistys.example.org>

Hi. This is the qmail-send program at mail.yhdistys.example.org.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{to}>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <tekninentuki@kela.fi>
From: Kela <tekninentuki@kela.fi>
To: {to}
Message-ID: {message_id}
Subject: Vastaanottokuittaus [RA-2026-000042]

Hyvä vastaanottaja,
"""

# A warning that delivery is late is not a bounce: linked, but the notification stays sent.
DELAYED = """\
From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: tekninentuki@kela.fi
Subject: Delayed Mail (still being retried)
Message-ID: <delay.1@mx.example.net>
In-Reply-To: {message_id}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered for 4 hours. It will be retried until it is 5 days old.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {to}
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mx.example.org[192.0.2.9]:25: Connection timed out

--B--
"""


def notification(app: Flask, to: str, *, request_id: int | None = None) -> tuple[int, str]:
    """A notification queued and delivered (to the directory transport) at T0."""
    with app.app_context(), transaction() as session:
        row = enqueue(
            session,
            "approved",
            to=to,
            language="fi",
            context={"organization_name": "Hakalan Perheyhdistys ry"},
            request_id=request_id,
            reference="RA-2026-000042",
            from_address=SENDER,
            now=T0,
        )
        assert row is not None
        found = row.id, row.message_id
    with app.app_context():
        transport = DirectoryTransport(app.config["REGISTRY_SETTINGS"].smtp.directory)
        assert deliver_due(db.session, transport, T0, from_address=SENDER).sent == 1
    return found


def store_bounce(app: Flask, raw: bytes) -> int:
    """The ledger row the intake writes for a bounce."""
    with app.app_context(), transaction() as session:
        row = MailMessage(
            source="test",
            folder="INBOX",
            sha256=hashlib.sha256(raw).hexdigest(),
            size=len(raw),
            raw=raw,
            state="ignored",
            kind="bounce",
        )
        session.add(row)
        session.flush()
        return row.id


def state_of(app: Flask, notification_id: int) -> tuple[str, str | None, datetime | None]:
    with app.app_context():
        row = db.session.get(Notification, notification_id)
        assert row is not None
        return row.state, row.last_error, row.bounced_at


def links(app: Flask) -> list[tuple[int, int | None, str | None, str | None, str | None]]:
    with app.app_context():
        rows = db.session.scalars(
            select(NotificationBounce).order_by(NotificationBounce.mail_message_id)
        )
        return [
            (b.mail_message_id, b.notification_id, b.action, b.status, b.recipient) for b in rows
        ]


def run(app: Flask):  # type: ignore[no-untyped-def]
    with app.app_context():
        return link_bounces(db.session(), T1)


def test_a_postfix_report_returning_our_message_marks_it_bounced(app: Flask) -> None:
    to = "sirpa.koskela@perheyhdistys-hakala.example.fi"
    nid, message_id = notification(app, to)
    other, _ = notification(app, "toinen@example.org")
    bounce = store_bounce(app, POSTFIX.read_bytes().replace(POSTFIX_ID, message_id.encode()))

    summary = run(app)
    assert (summary.examined, summary.linked, summary.bounced) == (1, 1, 1)
    state, error, bounced_at = state_of(app, nid)
    assert state == "bounced" and bounced_at == T1
    assert error is not None and "5.2.2" in error and "Mailbox full" in error
    assert links(app) == [(bounce, nid, "failed", "5.2.2", to)]
    assert state_of(app, other)[0] == "sent"
    # Each bounce is read once.
    assert run(app).examined == 0


def test_an_exchange_report_is_linked_by_the_returned_message(app: Flask) -> None:
    to = "ville.kettunen_@yk-mustikkala.example.fi"
    nid, message_id = notification(app, to)
    store_bounce(app, EXCHANGE.read_bytes().replace(EXCHANGE_ID, message_id.encode()))
    assert run(app).bounced == 1
    state, error, _ = state_of(app, nid)
    assert state == "bounced" and "5.1.1" in (error or "") and "User unknown" in (error or "")


def test_returned_headers_only_and_no_report_at_all(app: Flask) -> None:
    first, first_id = notification(app, "hakija@kunta.example.fi")
    second, second_id = notification(app, "info@yhdistys.example.org")
    store_bounce(
        app, HEADERS_ONLY.format(to="hakija@kunta.example.fi", message_id=first_id).encode()
    )
    store_bounce(app, QMAIL.format(to="info@yhdistys.example.org", message_id=second_id).encode())
    summary = run(app)
    assert (summary.examined, summary.linked, summary.bounced) == (2, 2, 2)
    assert state_of(app, first)[0] == "bounced"
    assert "User unknown" in (state_of(app, first)[1] or "")
    assert state_of(app, second)[0] == "bounced"
    assert [link[2] for link in links(app)] == ["failed", None]


def test_a_delay_warning_is_linked_but_not_a_bounce(app: Flask) -> None:
    nid, message_id = notification(app, "hakija@example.org")
    store_bounce(app, DELAYED.format(to="hakija@example.org", message_id=message_id).encode())
    summary = run(app)
    assert (summary.linked, summary.bounced) == (1, 0)
    assert state_of(app, nid)[0] == "sent"
    assert links(app)[0][2:4] == ("delayed", "4.4.1")


def test_a_bounce_of_mail_we_did_not_send_through_the_outbox_is_left_unlinked(app: Flask) -> None:
    nid, _ = notification(app, "sirpa.koskela@perheyhdistys-hakala.example.fi")
    bounce = store_bounce(app, POSTFIX.read_bytes())  # returns a hand-written reply
    summary = run(app)
    assert (summary.examined, summary.linked) == (1, 0)
    assert links(app) == [
        (bounce, None, "failed", "5.2.2", "sirpa.koskela@perheyhdistys-hakala.example.fi")
    ]
    assert state_of(app, nid)[0] == "sent"


def test_the_report_is_read_per_recipient() -> None:
    raw = HEADERS_ONLY.format(to="a@example.fi", message_id="<x.1@kela.fi>").encode()
    bounce = read_bounce(raw)
    (report,) = bounce.reports
    assert report.recipient == "a@example.fi" and report.status == "5.1.1"
    assert report.diagnostic == "550 5.1.1 <a@example.fi>... User unknown"
    assert bounce.candidate_ids[0] == "<x.1@kela.fi>"
    assert bounce.failed
    garbage = read_bounce(b"\xff\xfe not mail at all")
    assert garbage.reports == () and garbage.candidate_ids == ()


def test_the_command_and_the_request_page_and_the_outbox_show_it(app: Flask, staff_clients) -> None:
    with app.app_context(), transaction() as session:
        request = RegistrationRequest(state="approved", reference="RA-2026-000042", missing=[])
        session.add(request)
        session.flush()
        request_id = request.id
    _, message_id = notification(
        app, "sirpa.koskela@perheyhdistys-hakala.example.fi", request_id=request_id
    )
    store_bounce(app, POSTFIX.read_bytes().replace(POSTFIX_ID, message_id.encode()))
    result = app.test_cli_runner().invoke(outbox_command, ["link-bounces"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "bounces: 1 examined, 1 linked to a notification, 1 notifications marked bounced"
    )

    viewer = staff_clients("viewer")
    page = text_of(viewer.get(f"/requests/{request_id}").text)
    assert "Notifications that did not arrive" in page
    assert "bounced" in page and "Mailbox full" in page
    outbox = text_of(viewer.get("/outbox?state=bounced").text)
    assert "RA-2026-000042" in outbox and "5.2.2" in outbox
    assert "Bounced recipient: sirpa.koskela@perheyhdistys-hakala.example.fi" in outbox


@pytest.mark.parametrize("fixture", [POSTFIX, EXCHANGE])
def test_the_scheduled_poll_stores_the_bounce_and_links_it(
    app: Flask, tmp_path: Path, fixture: Path
) -> None:
    nid, message_id = notification(app, "someone@example.org")
    original = POSTFIX_ID if fixture == POSTFIX else EXCHANGE_ID
    inbox = tmp_path / "inbox"
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True, exist_ok=True)
    (inbox / "new" / "1764403451.bounce.eml").write_bytes(
        fixture.read_bytes().replace(original, message_id.encode())
    )
    poll_then_link_bounces(app)
    with app.app_context():
        kinds = list(db.session.scalars(select(MailMessage.kind)))
    assert kinds == ["bounce"]
    assert state_of(app, nid)[0] == "bounced"


def test_the_scheduler_links_bounces_right_after_each_poll(sqlite_app: Flask) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from registry_admin.scheduler import _add_jobs

    scheduler = BackgroundScheduler(timezone="UTC")
    _add_jobs(scheduler, sqlite_app)
    job = scheduler.get_job("mailbox_poll")
    assert job is not None and job.func is poll_then_link_bounces
    assert job.max_instances == 1 and job.coalesce is True
