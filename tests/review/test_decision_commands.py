"""`registry-admin requests approve|reject` decide as the staff UI does."""

from __future__ import annotations

from sqlalchemy import select

from registry_admin.cli import cli
from registry_admin.db import db, transaction
from registry_admin.intake.models import RegistrationRequest
from registry_admin.notify.models import Notification
from registry_admin.registry.models import Organization


def _request(app, **fields) -> int:
    values = {
        "state": "ready",
        "business_id": "2331972-7",
        "business_id_valid": True,
        "organization_name": "Testiyhdistys ry",
        "justification": "Neuvonta",
        "contact_name": "Liisa Laine",
        "contact_email": "liisa@yhdistys.example.fi",
        "language": "sv",
        "missing": [],
        "evidence": {},
        **fields,
    }
    with app.app_context(), transaction() as session:
        request = RegistrationRequest(**values)
        session.add(request)
        session.flush()
        return request.id


def test_approve_by_a_reviewer(app, runner, staff):
    request_id = _request(app)
    result = runner.invoke(cli, ["requests", "approve", str(request_id), "--user", "reviewer"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.business_id == "2331972-7"))
        assert org.source == "application" and org.registered_by == "user:reviewer"
        note = db.session.scalar(select(Notification).where(Notification.request_id == request_id))
        assert note.kind == "approved" and note.language == "sv"


def test_a_viewer_may_not_decide(app, runner, staff):
    request_id = _request(app)
    result = runner.invoke(cli, ["requests", "approve", str(request_id), "--user", "viewer"])
    assert result.exit_code == 1
    assert "reviewer" in result.output
    with app.app_context():
        assert db.session.get(RegistrationRequest, request_id).state == "ready"


def test_reject_needs_a_reason_and_sends_it(app, runner, staff):
    request_id = _request(app)
    assert (
        runner.invoke(cli, ["requests", "reject", str(request_id), "--user", "admin"]).exit_code
        == 2
    )
    result = runner.invoke(
        cli, ["requests", "reject", str(request_id), "--user", "admin", "--reason", "Ingen grund."]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(RegistrationRequest, request_id).state == "rejected"
        note = db.session.scalar(select(Notification).where(Notification.request_id == request_id))
        assert "Ingen grund." in note.body_text


def test_deciding_twice_fails_with_one_line(app, runner, staff):
    request_id = _request(app)
    assert (
        runner.invoke(cli, ["requests", "approve", str(request_id), "--user", "admin"]).exit_code
        == 0
    )
    again = runner.invoke(
        cli, ["requests", "reject", str(request_id), "--user", "admin", "--reason", "x"]
    )
    assert again.exit_code == 1
    assert "already approved" in again.output
    assert again.output.strip().count("\n") == 0


def test_unknown_request(app, runner, staff):
    result = runner.invoke(cli, ["requests", "approve", "999", "--user", "admin"])
    assert result.exit_code == 1 and "999" in result.output
