"""Re-processing a quarantined message from the quarantined tab."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select
from staff_client import csrf_token

from registry_admin.db import db, transaction
from registry_admin.intake.models import MailMessage, RegistrationRequest
from registry_admin.registry.models import AuditEvent

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


@pytest.fixture
def quarantined(app) -> int:
    """A request the parser once refused (its bytes kept), now readable."""
    raw = (CORPUS / "005.eml").read_bytes()
    with app.app_context(), transaction() as session:
        message = MailMessage(
            source="test",
            folder="INBOX",
            sha256=hashlib.sha256(raw).hexdigest(),
            size=len(raw),
            raw=raw,
            state="quarantined",
            error="RuntimeError: a parser bug",
        )
        session.add(message)
        session.flush()
        return message.id


def _audit(app) -> AuditEvent:
    with app.app_context():
        return db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message.reprocess"))


def test_the_tab_offers_reviewers_to_read_a_message_again(signed_in, quarantined):
    assert (
        f"/messages/{quarantined}/reprocess"
        in signed_in("reviewer").get("/requests?state=quarantined").text
    )
    viewer_page = signed_in("viewer").get("/requests?state=quarantined").text
    assert "RuntimeError: a parser bug" in viewer_page
    assert f"/messages/{quarantined}/reprocess" not in viewer_page


def test_a_readable_message_becomes_a_request(app, signed_in, quarantined):
    reviewer = signed_in("reviewer")
    token = csrf_token(reviewer, "/requests?state=quarantined")
    response = reviewer.post(f"/messages/{quarantined}/reprocess", data={"csrf_token": token})
    assert response.status_code == 303
    with app.app_context():
        message = db.session.get(MailMessage, quarantined)
        assert (message.state, message.kind, message.reprocessed_count) == ("parsed", "request", 1)
        request = db.session.get(RegistrationRequest, message.request_id)
        assert request.business_id == "2282208-0"
    assert response.headers["Location"].endswith(f"/requests/{message.request_id}")
    page = reviewer.get(response.headers["Location"]).text
    assert f"was read into request {request.reference}" in page
    event = _audit(app)
    assert event.actor == "user:reviewer"
    assert event.after == {
        "message_id": quarantined,
        "state": "parsed",
        "kind": "request",
        "request_id": request.id,
        "error": None,
    }


def test_a_message_the_parser_still_refuses_stays_quarantined_with_its_error(
    app, signed_in, quarantined, monkeypatch
):
    from registry_admin.intake import parse

    def parser_with_a_bug(raw: bytes):
        raise RuntimeError("still a parser bug")

    # A parser fault is what quarantines a message; no real mail shows one on demand.
    monkeypatch.setattr(parse, "parse_message", parser_with_a_bug)
    reviewer = signed_in("reviewer")
    token = csrf_token(reviewer, "/requests?state=quarantined")
    response = reviewer.post(
        f"/messages/{quarantined}/reprocess", data={"csrf_token": token}, follow_redirects=True
    )
    assert f"Message {quarantined} is still quarantined" in response.text
    assert "still a parser bug" in response.text
    with app.app_context():
        message = db.session.get(MailMessage, quarantined)
        assert message.state == "quarantined" and message.request_id is None
    assert _audit(app).after["state"] == "quarantined"
    assert "still a parser bug" in _audit(app).after["error"]


def test_a_message_not_in_quarantine_is_not_read_again(app, signed_in, quarantined):
    reviewer = signed_in("reviewer")
    token = csrf_token(reviewer, "/requests?state=quarantined")
    reviewer.post(f"/messages/{quarantined}/reprocess", data={"csrf_token": token})
    again = reviewer.post(
        f"/messages/{quarantined}/reprocess", data={"csrf_token": token}, follow_redirects=True
    )
    assert "only a quarantined message is re-processed" in again.text
    with app.app_context():
        assert db.session.get(MailMessage, quarantined).reprocessed_count == 1
    missing = reviewer.post("/messages/9999/reprocess", data={"csrf_token": token})
    assert missing.status_code == 404
