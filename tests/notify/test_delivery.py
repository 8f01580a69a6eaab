"""Delivery through a real SMTP server on loopback: once each, retried, failed, never lost."""

from __future__ import annotations

import smtplib
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from notify_support import Certificate, SmtpServer, free_port
from sqlalchemy import select

from registry_admin.db import db, transaction
from registry_admin.notify.deliver import SENDING_GRACE, deliver_due, retry_delay
from registry_admin.notify.models import Notification
from registry_admin.notify.outbox import enqueue
from registry_admin.notify.transports import SmtpTransport

pytestmark = pytest.mark.smtp

SENDER = "tekninentuki@kela.fi"
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
CONTEXT: dict[str, Any] = {
    "organization_name": "Esimerkki Oy",
    "business_id": "0201256-6",
    "contact_name": "Maija Meikäläinen",
    "missing": ["justification"],
    "invalid": [{"item": "business_id", "reason": "check_digit", "as_written": "0201256-5"}],
    "reason": "Organisaatio ei tarjoa Kelan etuuksiin liittyviä palveluja.",
}
SIGN_OFF = {
    "fi": "Ystävällisin terveisin",
    "sv": "Med vänliga hälsningar",
    "en": "Kind regards",
}


def plain(server: SmtpServer, **kwargs: Any) -> SmtpTransport:
    return SmtpTransport(host="127.0.0.1", port=server.port, security="plain", timeout=5, **kwargs)


def queue(
    app: Flask, n: int = 1, kind: str = "approved", language: str = "fi", **kw: Any
) -> list[int]:
    ids = []
    with app.app_context(), transaction() as session:
        for i in range(n):
            row = enqueue(
                session,
                kind,
                to=f"hakija{i}@example.org",
                language=language,
                context=CONTEXT,
                request_id=100 + i,
                reference=f"KELA-2026-{100 + i:06d}",
                from_address=SENDER,
                now=T0,
                **kw,
            )
            assert row is not None
            ids.append(row.id)
    return ids


def deliver(app: Flask, transport: Any, now: datetime) -> Any:
    with app.app_context():
        return deliver_due(db.session, transport, now, from_address=SENDER)


def rows(app: Flask) -> list[Notification]:
    with app.app_context():
        found = list(db.session.scalars(select(Notification).order_by(Notification.id)))
        db.session.expunge_all()
        return found


def test_each_kind_arrives_once_in_its_language_with_threading_and_reference(
    outbox_app: Flask, smtp_server: SmtpServer
) -> None:
    expected = {}
    with outbox_app.app_context(), transaction() as session:
        for kind in ("receipt", "missing", "approved", "rejected", "removed"):
            for language in ("fi", "sv", "en"):
                reference = f"KELA-{kind}-{language}"
                row = enqueue(
                    session,
                    kind,
                    to="hakija@example.org",
                    language=language,
                    context=CONTEXT,
                    reference=reference,
                    in_reply_to="<hakemus.1@example.org>",
                    references=["<aiempi.0@example.org>", "<hakemus.1@example.org>"],
                    from_address=SENDER,
                    now=T0,
                )
                assert row is not None
                expected[row.message_id] = (kind, language, reference)

    summary = deliver(outbox_app, plain(smtp_server), T0)

    assert (summary.sent, summary.failed, summary.retrying) == (15, 0, 0)
    assert Counter(r.message_id for r in smtp_server.received) == Counter(
        dict.fromkeys(expected, 1)
    )
    for received in smtp_server.received:
        kind, language, reference = expected[received.message_id]
        msg = received.message
        assert received.mail_from == SENDER
        assert received.rcpt_tos == ["hakija@example.org"]
        assert f"[{reference}]" in str(msg["Subject"])
        assert msg["In-Reply-To"] == "<hakemus.1@example.org>"
        assert msg["References"] == "<aiempi.0@example.org> <hakemus.1@example.org>"
        assert msg["Message-ID"].endswith("@kela.fi>")
        assert msg["Auto-Submitted"] == ("auto-replied" if kind in ("receipt", "missing") else None)
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert SIGN_OFF[language] in text and SIGN_OFF[language] in html
        assert f'lang="{language}"' in html
        others = [phrase for lang, phrase in SIGN_OFF.items() if lang != language]
        assert not any(phrase in text for phrase in others)
    assert {r.state for r in rows(outbox_app)} == {"sent"}

    # A second round finds nothing due: nothing is sent twice.
    again = deliver(outbox_app, plain(smtp_server), T0 + timedelta(hours=5))
    assert again.sent == 0 and len(smtp_server.received) == 15


def test_server_down_for_a_while_then_back_delivers_each_exactly_once(
    outbox_app: Flask, smtp_server: SmtpServer
) -> None:
    queue(outbox_app, 3)
    smtp_server.stop()

    now = T0
    for _ in range(3):  # rounds while the server is down
        summary = deliver(outbox_app, plain(smtp_server), now)
        assert summary.sent == 0 and summary.unreachable
        now += timedelta(minutes=30)
    states = rows(outbox_app)
    assert all(r.state == "queued" and r.last_error for r in states)
    # A round stops at its first connection failure (one attempt per round, not one per row),
    # and the row tried goes to the back of the queue.
    assert sorted(r.attempts for r in states) == [1, 1, 1]

    smtp_server.start()
    summary = deliver(outbox_app, plain(smtp_server), now)
    assert summary.sent == 3 and not summary.unreachable
    deliver(outbox_app, plain(smtp_server), now + timedelta(days=1))

    ids = Counter(r.message_id for r in smtp_server.received)
    assert len(ids) == 3 and set(ids.values()) == {1}
    assert {r.state for r in rows(outbox_app)} == {"sent"}


def test_a_4xx_answer_is_retried_with_backoff(outbox_app: Flask, smtp_server: SmtpServer) -> None:
    queue(outbox_app, 1)
    smtp_server.handler.answer = "451 4.3.0 Try again later"
    summary = deliver(outbox_app, plain(smtp_server), T0)
    assert summary.retrying == 1 and not summary.unreachable
    (row,) = rows(outbox_app)
    assert row.state == "queued" and "451" in (row.last_error or "")
    assert row.next_attempt_at == T0 + retry_delay(1)

    smtp_server.handler.answer = None
    assert deliver(outbox_app, plain(smtp_server), T0 + timedelta(seconds=30)).sent == 0
    assert deliver(outbox_app, plain(smtp_server), T0 + retry_delay(1)).sent == 1
    (row,) = rows(outbox_app)
    assert row.state == "sent" and row.attempts == 2 and row.last_error is None
    assert len(smtp_server.received) == 1


def test_a_5xx_answer_marks_it_failed_with_the_error(
    outbox_app: Flask, smtp_server: SmtpServer
) -> None:
    queue(outbox_app, 1)
    smtp_server.handler.answer = "550 5.7.1 Message refused"
    summary = deliver(outbox_app, plain(smtp_server), T0)
    assert summary.failed == 1
    (row,) = rows(outbox_app)
    assert row.state == "failed"
    assert "550" in (row.last_error or "") and "Message refused" in (row.last_error or "")
    smtp_server.handler.answer = None
    assert deliver(outbox_app, plain(smtp_server), T0 + timedelta(days=2)).sent == 0
    assert smtp_server.received == []


def test_gives_up_after_the_last_attempt(sqlite_outbox_app: Flask, smtp_server: SmtpServer) -> None:
    app = sqlite_outbox_app
    queue(app, 1)
    smtp_server.handler.answer = "421 4.7.0 Too busy"
    now = T0
    with app.app_context():
        for _ in range(3):
            deliver_due(db.session, plain(smtp_server), now, from_address=SENDER, max_attempts=3)
            now += timedelta(hours=2)
    (row,) = rows(app)
    assert row.state == "failed" and row.attempts == 3 and "421" in (row.last_error or "")


def test_a_crash_between_sending_and_recording_sends_at_most_one_duplicate(
    outbox_app: Flask, smtp_server: SmtpServer
) -> None:
    (row_id,) = queue(outbox_app, 1)
    assert deliver(outbox_app, plain(smtp_server), T0).sent == 1
    # The fault a real server cannot show: the process dies after the server accepted the
    # message and before `sent` was committed. Put the row back as that crash leaves it:
    # `sending`, claimed at T0, its deadline T0 + grace.
    with outbox_app.app_context(), transaction() as session:
        row = session.get(Notification, row_id)
        assert row is not None
        row.state, row.sent_at, row.next_attempt_at = "sending", None, T0 + SENDING_GRACE

    # Within the grace period it may still be in flight: not touched.
    assert deliver(outbox_app, plain(smtp_server), T0 + timedelta(minutes=1)).sent == 0
    # After it, sent again: the one duplicate, recognisable by its Message-ID.
    assert deliver(outbox_app, plain(smtp_server), T0 + SENDING_GRACE).sent == 1
    assert deliver(outbox_app, plain(smtp_server), T0 + timedelta(days=1)).sent == 0

    assert len(smtp_server.received) == 2
    assert smtp_server.received[0].message_id == smtp_server.received[1].message_id
    (row,) = rows(outbox_app)
    assert row.state == "sent" and row.attempts == 2


def test_starttls_with_authentication(
    sqlite_outbox_app: Flask, starttls_server: SmtpServer, certificate: Certificate
) -> None:
    queue(sqlite_outbox_app, 2)
    transport = SmtpTransport(
        host="127.0.0.1",
        port=starttls_server.port,
        security="starttls",
        username="registry",
        password="s3cret",
        timeout=5,
        ssl_context=certificate.client_context(),
    )
    assert deliver(sqlite_outbox_app, transport, T0).sent == 2
    assert len(starttls_server.received) == 2


def test_a_wrong_password_keeps_the_notifications_queued(
    sqlite_outbox_app: Flask, starttls_server: SmtpServer, certificate: Certificate
) -> None:
    queue(sqlite_outbox_app, 2)
    transport = SmtpTransport(
        host="127.0.0.1",
        port=starttls_server.port,
        security="starttls",
        username="registry",
        password="wrong",
        timeout=5,
        ssl_context=certificate.client_context(),
    )
    summary = deliver(sqlite_outbox_app, transport, T0)
    assert summary.unreachable and "authentication failed" in summary.unreachable
    assert summary.failed == 0 and summary.waiting == 1
    assert {r.state for r in rows(sqlite_outbox_app)} == {"queued"}


def test_plain_refused_where_starttls_is_required(
    sqlite_outbox_app: Flask, starttls_server: SmtpServer
) -> None:
    queue(sqlite_outbox_app, 1)
    summary = deliver(sqlite_outbox_app, plain(starttls_server), T0)
    # "530 Must issue a STARTTLS command first" is our configuration, not this message's fault.
    (row,) = rows(sqlite_outbox_app)
    assert summary.sent == 0 and summary.unreachable and row.state == "queued"
    assert "530" in (row.last_error or "")
    assert starttls_server.received == []


def test_implicit_tls(sqlite_outbox_app: Flask, certificate: Certificate) -> None:
    server = SmtpServer(ssl_context=certificate.server_context())
    server.start()
    try:
        queue(sqlite_outbox_app, 1)
        transport = SmtpTransport(
            host="127.0.0.1",
            port=server.port,
            security="tls",
            timeout=5,
            ssl_context=certificate.client_context(),
        )
        assert deliver(sqlite_outbox_app, transport, T0).sent == 1
        assert len(server.received) == 1
    finally:
        server.stop()


def test_an_untrusted_certificate_is_not_accepted(
    sqlite_outbox_app: Flask, starttls_server: SmtpServer
) -> None:
    queue(sqlite_outbox_app, 1)
    transport = SmtpTransport(
        host="127.0.0.1", port=starttls_server.port, security="starttls", timeout=5
    )
    summary = deliver(sqlite_outbox_app, transport, T0)
    assert summary.unreachable and summary.sent == 0
    assert starttls_server.received == []


def test_nothing_listening_is_unreachable(sqlite_outbox_app: Flask) -> None:
    queue(sqlite_outbox_app, 1)
    transport = SmtpTransport(host="127.0.0.1", port=free_port(), security="plain", timeout=2)
    summary = deliver(sqlite_outbox_app, transport, T0)
    assert summary.unreachable and "cannot reach" in summary.unreachable
    assert smtplib  # the transport wraps smtplib; nothing leaks as an exception
