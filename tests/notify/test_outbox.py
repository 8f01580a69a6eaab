"""Queueing: in the caller's transaction, never to robots or ourselves, receipts limited."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from registry_admin.db import db, transaction
from registry_admin.notify.deliver import deliver_due
from registry_admin.notify.models import Notification
from registry_admin.notify.outbox import enqueue
from registry_admin.notify.transports import DirectoryTransport

SENDER = "tekninentuki@kela.fi"
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def add(app: Flask, to: str, kind: str = "receipt", now: datetime = T0, **kw: object):
    with app.app_context(), transaction() as session:
        row = enqueue(
            session,
            kind,
            to=to,
            language=str(kw.pop("language", "fi")),
            context=dict(kw.pop("context", {"organization_name": "Esimerkki Oy"})),  # type: ignore[call-overload]
            reference=str(kw.pop("reference", "KELA-1")),
            from_address=SENDER,
            now=now,
            **kw,  # type: ignore[arg-type]
        )
        return None if row is None else (row.id, row.state, row.last_error)


def count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Notification.id))) or 0


@pytest.mark.parametrize(
    "address",
    [
        "noreply@example.org",
        "no-reply@example.org",
        "No_Reply@example.org",
        "donotreply@example.org",
        "do-not-reply@example.org",
        "palvelu-noreply@example.org",
        "MAILER-DAEMON@example.org",
        "postmaster@example.org",
        "bounces@example.org",
        "bounce+123@example.org",
        "lista-request@example.org",
        "owner-lista@example.org",
        "lista-bounces@example.org",
        "tekninentuki@kela.fi",
        "TEKNINENTUKI@KELA.FI",
        "tekninentuki+loop@kela.fi",
    ],
)
def test_robots_lists_and_our_own_addresses_are_never_answered(
    sqlite_outbox_app: Flask, address: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="registry_admin.notify")
    assert add(sqlite_outbox_app, address) is None
    assert count(sqlite_outbox_app) == 0
    assert "not queued" in caplog.text
    assert address.lower() not in caplog.text.lower()  # no addresses in the log


def test_at_most_ten_receipts_per_sender_a_day(
    sqlite_outbox_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    app = sqlite_outbox_app
    caplog.set_level(logging.INFO, logger="registry_admin.notify")
    for i in range(10):
        assert add(app, "Hakija@Example.org", now=T0 + timedelta(minutes=i)) is not None
    assert add(app, "hakija@example.org", now=T0 + timedelta(hours=1)) is None
    assert "hakija@" not in caplog.text.lower()
    # Decisions are not receipts; other senders have their own count; a day later it resets.
    assert add(app, "hakija@example.org", kind="approved", now=T0 + timedelta(hours=1))
    assert add(app, "toinen@example.org", now=T0 + timedelta(hours=1))
    assert add(app, "hakija@example.org", now=T0 + timedelta(days=1, minutes=1))
    assert count(app) == 13


def test_the_limit_can_be_given(sqlite_outbox_app: Flask) -> None:
    assert add(sqlite_outbox_app, "a@example.org", receipt_limit=1)
    assert add(sqlite_outbox_app, "a@example.org", receipt_limit=1) is None


def test_queued_with_the_callers_transaction_only(sqlite_outbox_app: Flask) -> None:
    app = sqlite_outbox_app
    with app.app_context(), pytest.raises(RuntimeError), transaction() as session:
        enqueue(
            session,
            "approved",
            to="hakija@example.org",
            language="fi",
            context={},
            from_address=SENDER,
        )
        raise RuntimeError("the decision failed")
    assert count(app) == 0


def test_threading_ids_kept_when_valid_left_out_when_not(sqlite_outbox_app: Flask) -> None:
    app = sqlite_outbox_app
    with app.app_context(), transaction() as session:
        row = enqueue(
            session,
            "receipt",
            to="hakija@example.org",
            language="sv",
            context={},
            reference="KELA-9",
            in_reply_to="<x\r\nBcc: v@example.net>",
            references="<a@example.org> bogus <b@example.org>\r\nBcc: <c@example.org>",
            from_address=SENDER,
        )
        assert row is not None
        assert row.in_reply_to is None
        assert row.references == "<a@example.org> <b@example.org> <c@example.org>"
        assert row.message_id.endswith("@kela.fi>") and row.state == "queued"
        assert "[KELA-9]" in row.subject and "Er ansökan" in row.subject


@pytest.mark.parametrize(
    "name", ["Oy\r\nBcc: v@example.net", "Oy\u2028Bcc: v@example.net", "=?utf-8?q?Oy=0A?="]
)
def test_a_value_that_cannot_be_a_header_fails_visibly_and_is_never_sent(
    sqlite_outbox_app: Flask, tmp_path, name: str
) -> None:
    app = sqlite_outbox_app
    added = add(app, "hakija@example.org", kind="approved", context={"organization_name": name})
    assert added is not None
    _id, state, error = added
    assert state == "failed" and error and error.startswith("cannot be built: Subject")
    outbox = tmp_path / "sent"
    with app.app_context():
        summary = deliver_due(db.session, DirectoryTransport(outbox), T0, from_address=SENDER)
    assert summary.sent == 0 and not outbox.exists()


def test_an_unusable_recipient_fails_visibly(sqlite_outbox_app: Flask) -> None:
    added = add(sqlite_outbox_app, "hakija@example.org\r\nBcc: v@example.net")
    assert added is not None and added[1] == "failed"
    assert "recipient" in (added[2] or "")


def test_unknown_kind_or_language_is_a_programming_error(sqlite_outbox_app: Flask) -> None:
    from registry_admin.errors import InvalidInput

    with pytest.raises(InvalidInput):
        add(sqlite_outbox_app, "a@example.org", kind="welcome")
    with pytest.raises(InvalidInput):
        add(sqlite_outbox_app, "a@example.org", language="de")
