"""A reviewer rejects with a reason from the admins' list; the script fills it in, in Swedish."""

from __future__ import annotations

import hashlib

import pytest
from e2e_support import screenshot
from sqlalchemy import select
from test_review_ui import PASSWORD, _sign_in, _store

from registry_admin.db import db, transaction
from registry_admin.intake.models import MailMessage, RegistrationRequest
from registry_admin.review.accounts import create_user
from registry_admin.review.reasons import RejectionReason

pytestmark = pytest.mark.browser
SV_TEXT = "Er organisation hör inte till dem som kan boka tider."


@pytest.fixture
def staff(app):
    with app.app_context(), transaction() as session:
        for name, role in (("risto", "reviewer"), ("aino", "admin")):
            create_user(session, name, role=role, password=PASSWORD, actor="test", language="fi")
        for row in session.scalars(select(RejectionReason)):
            session.delete(row)
        session.add(
            RejectionReason(
                position=1,
                active=True,
                updated_by="test",
                title_fi="Ei oikeutettu organisaatio",
                title_sv="Ej berättigad",
                title_en="Not eligible",
                text_fi="Organisaationne ei voi käyttää ajanvarausta.",
                text_sv=SV_TEXT,
                text_en="Your organization cannot use the booking.",
            )
        )


def test_picking_a_reason_fills_in_its_text_in_the_requests_language(app, live_server, page, staff):
    request_id = _store(
        app,
        subject="Register 1",
        organization="Epsilon rf",
        business_id="2331972-7",
        valid=True,
        missing=[],
        state="ready",
    )
    with app.app_context(), transaction() as session:
        session.get(RegistrationRequest, request_id).language = "sv"
    _sign_in(page, live_server, "risto")
    page.goto(f"{live_server}/requests/{request_id}")
    page.select_option("#template", label="Ei oikeutettu organisaatio")
    assert page.input_value("#reason") == SV_TEXT
    screenshot(page, "request-reject-with-reason")
    page.fill("#reason", SV_TEXT + " Välkommen att ansöka igen.")
    page.click("form[action$='/reject'] button")
    page.wait_for_url(f"{live_server}/requests/{request_id}")
    with app.app_context():
        decided = db.session.get(RegistrationRequest, request_id)
        assert decided.state == "rejected"
        assert decided.decided_reason == SV_TEXT + " Välkommen att ansöka igen."
    assert page.dialogs == []


def test_admin_and_quarantine_pages_render(app, live_server, page, staff):
    raw = b"Subject: x\r\n\r\nbroken"
    with app.app_context(), transaction() as session:
        session.add(
            MailMessage(
                source="test",
                folder="INBOX",
                sha256=hashlib.sha256(raw).hexdigest(),
                size=len(raw),
                raw=raw,
                state="quarantined",
                error="RuntimeError: a parser bug",
            )
        )
    _sign_in(page, live_server, "aino")
    page.goto(f"{live_server}/rejection-reasons")
    assert "Ei oikeutettu organisaatio" in page.content()
    screenshot(page, "rejection-reasons")
    page.click("table a >> nth=0")
    screenshot(page, "rejection-reason-edit")
    page.goto(f"{live_server}/requests?state=quarantined")
    screenshot(page, "quarantined")
    page.click("form[action$='/reprocess'] button")
    page.wait_for_url(f"{live_server}/requests?state=quarantined")
    screenshot(page, "quarantined-after-reprocess")
    assert page.dialogs == []
