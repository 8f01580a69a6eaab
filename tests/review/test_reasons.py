"""Rejection reasons: admins keep them, reviewers reject with one, in the applicant's language."""

from __future__ import annotations

import pytest
import test_queue
from sqlalchemy import select
from staff_client import csrf_token

from registry_admin.db import db, transaction
from registry_admin.intake.models import RegistrationRequest
from registry_admin.notify.models import Notification
from registry_admin.registry.models import AuditEvent
from registry_admin.review.reasons import RejectionReason, list_reasons

make_request = test_queue.make_request  # the queue tests' fixture

FIELDS = {
    "title_fi": "Ei oikeutettu",
    "title_sv": "Ej berättigad",
    "title_en": "Not eligible",
    "text_fi": "Organisaationne ei voi käyttää ajanvarausta.",
    "text_sv": "Er organisation kan inte använda bokningen.",
    "text_en": "Your organization cannot use the booking.",
}


@pytest.fixture
def reason_ids(app):
    """Two reasons of our own (PostgreSQL tests start from empty tables, without the seeds)."""
    with app.app_context(), transaction() as session:
        for row in session.scalars(select(RejectionReason)):
            session.delete(row)
        made = [
            RejectionReason(position=i, active=True, updated_by="test", **FIELDS) for i in (1, 2)
        ]
        made[1].title_en = "Business ID mismatch"
        made[1].text_sv = "FO-numret hör till en annan organisation."
        session.add_all(made)
        session.flush()
        return [r.id for r in made]


def _audit(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_migration_seeds_reasons_in_three_languages(sqlite_app):
    with sqlite_app.app_context():
        seeded = list_reasons(db.session())
        assert len(seeded) >= 3 and all(r.active for r in seeded)
        assert "Not an eligible organization" in [r.title_en for r in seeded]
        for reason in seeded:
            assert all(reason.text(lang) and reason.title(lang) for lang in ("fi", "sv", "en"))


def test_admin_adds_edits_deactivates_and_orders_reasons_audited(app, signed_in, reason_ids):
    admin = signed_in("admin")
    token = csrf_token(admin, "/rejection-reasons")
    added = admin.post("/rejection-reasons", data={"csrf_token": token, "active": "y", **FIELDS})
    assert added.status_code == 303
    new_id = max(r.id for r in _reasons(app))
    assert [r.id for r in _reasons(app)][-1] == new_id  # a new reason goes last
    assert _audit(app, "reason.create")[0].after["text_sv"] == FIELDS["text_sv"]

    # Editing without the "active" box takes the reason out of use; before and after audited.
    edited = admin.post(
        f"/rejection-reasons/{new_id}",
        data={"csrf_token": token, **FIELDS, "title_en": "Changed"},
    )
    assert edited.status_code == 303
    update = _audit(app, "reason.update")[0]
    assert update.before["title_en"] == "Not eligible" and update.before["active"] is True
    assert update.after["title_en"] == "Changed" and update.after["active"] is False
    assert update.actor == "user:admin"

    admin.post(f"/rejection-reasons/{new_id}/move", data={"csrf_token": token, "direction": "up"})
    assert [r.id for r in _reasons(app)] == [reason_ids[0], new_id, reason_ids[1]]
    assert _audit(app, "reason.move")[0].after["order"] == [reason_ids[0], new_id, reason_ids[1]]

    page = admin.get("/rejection-reasons").text
    assert "Changed" in page and page.index("Not eligible") < page.index("Changed")


def test_an_incomplete_reason_is_refused(app, signed_in, reason_ids):
    admin = signed_in("admin")
    token = csrf_token(admin, "/rejection-reasons")
    response = admin.post(
        "/rejection-reasons", data={"csrf_token": token, **FIELDS, "text_sv": "  "}
    )
    assert response.status_code == 400
    assert len(_reasons(app)) == 2 and _audit(app, "reason.create") == []


def _reasons(app) -> list[RejectionReason]:
    with app.app_context():
        return list_reasons(db.session())


def test_the_reject_form_offers_active_reasons_in_the_requests_language(
    app, signed_in, make_request, reason_ids
):
    with app.app_context(), transaction() as session:
        session.get(RejectionReason, reason_ids[0]).active = False
    request_id = make_request("ready", language="sv")
    page = signed_in("reviewer").get(f"/requests/{request_id}").text
    assert '<select id="template" name="template"' in page
    assert 'data-text="FO-numret hör till en annan organisation."' in page
    assert "Business ID mismatch" in page  # the title in the reviewer's language
    assert f'value="{reason_ids[0]}"' not in page  # not in use, not offered
    assert "reject_reason.js" in page and "<script>" not in page


def _reject(app, client, request_id: int, **data) -> str:
    token = csrf_token(client, f"/requests/{request_id}")
    response = client.post(
        f"/requests/{request_id}/reject", data={"csrf_token": token, **data}, follow_redirects=True
    )
    return response.text


def _decided(app, request_id: int) -> tuple[str, str | None, str | None]:
    with app.app_context():
        request = db.session.get(RegistrationRequest, request_id)
        note = db.session.scalar(select(Notification).where(Notification.request_id == request_id))
        return request.state, request.decided_reason, note.body_text if note else None


def test_a_picked_reason_without_script_sends_its_text_in_the_applicants_language(
    app, signed_in, make_request, reason_ids
):
    request_id = make_request("ready", language="sv")
    _reject(app, signed_in("reviewer"), request_id, template=str(reason_ids[1]), reason="")
    state, reason, body = _decided(app, request_id)
    assert state == "rejected" and reason == "FO-numret hör till en annan organisation."
    assert reason in body
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "request.reject"))
        assert event.reason == reason


def test_the_written_reason_wins_over_the_picked_one(app, signed_in, make_request, reason_ids):
    request_id = make_request("ready")
    _reject(
        app,
        signed_in("reviewer"),
        request_id,
        template=str(reason_ids[0]),
        reason="Muokattu perustelu.",
    )
    assert _decided(app, request_id)[:2] == ("rejected", "Muokattu perustelu.")


def test_a_free_text_reason_needs_no_list(app, signed_in, make_request, reason_ids):
    request_id = make_request("ready")
    _reject(app, signed_in("reviewer"), request_id, reason="Ei perustetta.")
    assert _decided(app, request_id)[:2] == ("rejected", "Ei perustetta.")


@pytest.mark.parametrize("picked", ["", "inactive", "999"])
def test_no_reason_or_an_unusable_one_rejects_nothing(
    app, signed_in, make_request, reason_ids, picked
):
    with app.app_context(), transaction() as session:
        session.get(RejectionReason, reason_ids[0]).active = False
    request_id = make_request("ready")
    template = {"": "", "inactive": str(reason_ids[0]), "999": "999"}[picked]
    page = _reject(app, signed_in("reviewer"), request_id, template=template, reason=" ")
    assert _decided(app, request_id) == ("ready", None, None)
    assert 'class="flash error"' in page
