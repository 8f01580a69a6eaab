"""The review queue and the decisions taken from a request's page."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select
from staff_client import csrf_token

from registry_admin.db import db, transaction
from registry_admin.intake.models import MailMessage, RegistrationRequest
from registry_admin.notify.models import Notification
from registry_admin.registry.models import AuditEvent, Organization

HOSTILE_HTML = (
    '<p onclick="alert(1)">Hei <script>alert(2)</script><img src="http://tracker.example/x.png">'
    '<a href="javascript:alert(3)">linkki</a><svg onload="alert(4)"></svg>'
    '<style>@import url(http://evil.example/x.css)</style><base href="http://evil.example/">'
    '<form action="http://evil.example/"><input name="q"></form>'
    '<meta http-equiv="refresh" content="0;url=http://evil.example/">Y-tunnus 2331972-7</p>'
)


def _raw_message(subject: str = "Kelan ajanvarausjärjestelmän rekisteri") -> bytes:
    message = EmailMessage()
    message["From"] = "Liisa Laine <liisa.laine@yhdistys.example.fi>"
    message["To"] = "tekninentuki@kela.fi"
    message["Subject"] = subject
    message["Message-ID"] = "<abc123@yhdistys.example.fi>"
    message.set_content("Y-tunnus: 2331972-7\nOrganisaatio: Testiyhdistys ry\n")
    message.add_alternative(HOSTILE_HTML, subtype="html")
    message.add_attachment(
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(5)'/>",
        maintype="image",
        subtype="svg+xml",
        filename="../../\u202egpj.exe.svg",
    )
    return message.as_bytes()


@pytest.fixture
def make_request(app):
    def make(state: str = "ready", **fields) -> int:
        raw = _raw_message()
        values = {
            "business_id": "2331972-7",
            "business_id_valid": True,
            "organization_name": "Testiyhdistys ry",
            "justification": "Asiakkaiden neuvonta",
            "contact_name": "Liisa Laine",
            "contact_email": "liisa.laine@yhdistys.example.fi",
            "language": "fi",
            "applicant_address": "Liisa Laine <liisa.laine@yhdistys.example.fi>",
            "missing": [],
            **fields,
        }
        with app.app_context(), transaction() as session:
            request = RegistrationRequest(state=state, evidence={}, **values)
            session.add(request)
            session.flush()
            request.reference = f"RA-2026-{request.id:06d}"
            session.add(
                MailMessage(
                    source="test",
                    folder="INBOX",
                    sha256=hashlib.sha256(raw + bytes([request.id])).hexdigest(),
                    size=len(raw),
                    raw=raw,
                    state="parsed",
                    kind="request",
                    request_id=request.id,
                    message_id="<abc123@yhdistys.example.fi>",
                )
            )
            session.flush()
            return request.id

    return make


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_queue_lists_pending_requests_oldest_first_with_counts(app, signed_in, make_request):
    first = make_request("ready")
    second = make_request(
        "incomplete", business_id=None, business_id_valid=None, missing=["business_id"]
    )
    make_request("approved")
    page = signed_in("viewer").get("/requests").text
    assert page.index(f"RA-2026-{first:06d}") < page.index(f"RA-2026-{second:06d}")
    assert "(2)" in page  # two pending
    assert "RA-2026-000003" not in page


def test_reviewer_approves_and_the_registry_and_outbox_follow(
    app, signed_in, make_request, client, api_headers
):
    request_id = make_request("ready")
    reviewer = signed_in("reviewer")
    token = csrf_token(reviewer, f"/requests/{request_id}")
    response = reviewer.post(f"/requests/{request_id}/approve", data={"csrf_token": token})
    assert response.status_code == 303
    assert (
        client.get("/api/v1/organizations/2331972-7", headers=api_headers).json["source"]
        == "application"
    )
    assert (
        _count(
            app,
            Notification,
            Notification.kind == "approved",
            Notification.request_id == request_id,
        )
        == 1
    )
    with app.app_context():
        evidence = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "request.approve")
        )
        assert evidence.actor == "user:reviewer"
        assert evidence.after["messages"][0]["sha256"]
        assert evidence.after["registry"]["business_id"] == "2331972-7"
    # A second decision on the same request is refused with a clear message, nothing doubles.
    again = reviewer.post(
        f"/requests/{request_id}/reject",
        data={"csrf_token": token, "reason": "x"},
        follow_redirects=True,
    )
    assert "already approved" in again.text
    assert _count(app, Notification, Notification.request_id == request_id) == 1
    assert _count(app, Organization) == 1


def test_two_reviewers_deciding_at_once_give_one_decision(app, make_request):
    from registry_admin.errors import Conflict
    from registry_admin.registry.decisions import approve_request, reject_request

    request_id = make_request("ready")
    with app.app_context():
        stale = db.session.get(RegistrationRequest, request_id)
        assert stale.state == "ready"  # both reviewers loaded the request as pending
        with transaction() as session:
            reject_request(session, request_id, actor="user:b", reason="no")
        db.session.expire_all()
        with pytest.raises(Conflict), transaction() as session:
            approve_request(session, request_id, actor="user:a")
    assert _count(app, Organization) == 0
    assert _count(app, Notification, Notification.request_id == request_id) == 1


def test_reject_sends_the_reason(app, signed_in, make_request):
    request_id = make_request("ready")
    reviewer = signed_in("reviewer")
    token = csrf_token(reviewer, f"/requests/{request_id}")
    reviewer.post(
        f"/requests/{request_id}/reject", data={"csrf_token": token, "reason": "Ei perustetta."}
    )
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.request_id == request_id))
        assert note.kind == "rejected" and "Ei perustetta." in note.body_text


def test_ask_for_missing_names_the_items(app, signed_in, make_request):
    request_id = make_request(
        "incomplete",
        business_id="2331972-8",
        business_id_valid=False,
        business_id_reason="checksum",
        business_id_as_written="2331972-8",
        contact_name=None,
        missing=["contact_name"],
    )
    reviewer = signed_in("reviewer")
    token = csrf_token(reviewer, f"/requests/{request_id}")
    reviewer.post(f"/requests/{request_id}/missing", data={"csrf_token": token})
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.request_id == request_id))
        assert note.kind == "missing"
        assert "2331972-8" in note.body_text and "tarkistusmerk" in note.body_text
        assert "yhteyshenkilön nimi" in note.body_text
        assert db.session.get(RegistrationRequest, request_id).state == "incomplete"


def test_correction_is_audited_and_reevaluates(app, signed_in, make_request):
    request_id = make_request("incomplete", organization_name=None, missing=["organization_name"])
    reviewer = signed_in("reviewer")
    token = csrf_token(reviewer, f"/requests/{request_id}")
    reviewer.post(
        f"/requests/{request_id}/correct",
        data={"csrf_token": token, "item": "organization_name", "value": "  Testiyhdistys  ry "},
    )
    with app.app_context():
        request = db.session.get(RegistrationRequest, request_id)
        assert request.organization_name == "Testiyhdistys ry" and request.state == "ready"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "request.correct"))
        assert event.before["value"] is None and event.after["value"] == "Testiyhdistys ry"


def test_viewer_sees_but_cannot_decide(app, signed_in, make_request):
    request_id = make_request("ready")
    viewer = signed_in("viewer")
    page = viewer.get(f"/requests/{request_id}")
    assert page.status_code == 200 and "Testiyhdistys ry" in page.text
    assert f"/requests/{request_id}/approve" not in page.text
    token = csrf_token(viewer, f"/requests/{request_id}")
    assert (
        viewer.post(f"/requests/{request_id}/approve", data={"csrf_token": token}).status_code
        == 403
    )
    with app.app_context():
        assert (
            db.session.scalar(select(AuditEvent).where(AuditEvent.action == "request.view")).actor
            == "user:viewer"
        )


def test_hostile_html_is_cleaned_and_isolated(signed_in, make_request):
    request_id = make_request("ready")
    viewer = signed_in("viewer")
    page = viewer.get(f"/requests/{request_id}").text
    assert "<script>alert" not in page and 'sandbox=""' in page
    frame = viewer.get(f"/requests/{request_id}/messages/1/html")
    assert frame.headers["Content-Security-Policy"].startswith("default-src 'none'")
    body = frame.text
    for bad in (
        "<script",
        "onclick",
        "onload",
        "javascript:",
        "<img",
        "<svg",
        "<style",
        "<base",
        "<form",
        "<meta http-equiv",
        "evil.example",
        "tracker.example",
    ):
        assert bad not in body, bad
    assert "Y-tunnus 2331972-7" in body


def test_attachments_are_downloads_with_safe_names(signed_in, make_request):
    request_id = make_request("ready")
    response = signed_in("viewer").get(f"/requests/{request_id}/messages/1/attachments/0")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert (
        disposition.startswith("attachment;")
        and "/" not in disposition
        and "\u202e" not in disposition
    )


def test_bulk_not_a_request(app, signed_in, make_request):
    ids = [make_request("new"), make_request("new")]
    reviewer = signed_in("reviewer")
    token = csrf_token(reviewer, "/requests")
    reviewer.post(
        "/requests/not-requests", data={"csrf_token": token, "ids": [str(i) for i in ids]}
    )
    assert _count(app, RegistrationRequest, RegistrationRequest.state == "not_request") == 2
    assert _count(app, Notification) == 0


def test_removal_requests_are_listed_for_staff(app, signed_in):
    parsed = {
        "business_id": "2331972-7",
        "business_id_valid": True,
        "organization_name": "Poistuva ry",
        "contact_name": "Pekka Poistaja",
    }
    with app.app_context(), transaction() as session:
        session.add(
            MailMessage(
                source="test",
                folder="INBOX",
                sha256="f" * 64,
                size=10,
                raw=b"x",
                state="parsed",
                kind="removal",
                parsed=parsed,
            )
        )
    page = signed_in("viewer").get("/requests?state=removals").text
    assert "Poistuva ry" in page and "/registry/2331972-7" in page


def _bulk_requests(app, states: list[str]) -> list[int]:
    """Many requests at once, each with its own organization and sender."""
    from sqlalchemy import insert

    with app.app_context(), transaction() as session:
        first = (session.scalar(select(func.max(RegistrationRequest.id))) or 0) + 1
        rows = [
            {
                "id": first + i,
                "reference": f"RA-2026-{first + i:06d}",
                "state": state,
                "business_id": f"{1000000 + i:07d}-0",
                "business_id_valid": False,
                "organization_name": f"Yhdistys numero {first + i} ry",
                "applicant_address": f"Hakija <hakija{first + i}@example.fi>",
                "missing": [],
                "evidence": {},
            }
            for i, state in enumerate(states)
        ]
        session.execute(insert(RegistrationRequest), rows)
    return [row["id"] for row in rows]


def _listed(page: str) -> list[int]:
    import re

    return [int(m) for m in re.findall(r'href="/requests/(\d+)"', page)]


def _all_pages(client, path: str) -> list[int]:
    import re

    seen: list[int] = []
    while path:
        page = client.get(path).text
        seen += _listed(page)
        nxt = re.search(r'<nav class="pages"><a href="([^"]+)"', page)
        path = nxt.group(1).replace("&amp;", "&") if nxt else ""
    return seen


def test_tabs_page_through_every_request_once_oldest_first(app, signed_in):
    states = ["approved", "ready", "new", "rejected", "incomplete"] * 30
    ids = _bulk_requests(app, states)
    viewer = signed_in("viewer")
    pending = [i for i, s in zip(ids, states, strict=True) if s in ("new", "ready", "incomplete")]
    assert _all_pages(viewer, "/requests") == pending
    approved = [i for i, s in zip(ids, states, strict=True) if s == "approved"]
    assert _all_pages(viewer, "/requests?state=approved") == approved
    tabs = viewer.get("/requests").text
    assert "to do (90)" in tabs and "approved (30)" in tabs and "rejected (30)" in tabs


def test_search_by_business_id_reference_organization_and_sender(app, signed_in, make_request):
    wanted = make_request("ready")
    ids = _bulk_requests(app, ["ready"] * 60)
    viewer = signed_in("viewer")

    def found(q: str, state: str = "pending") -> list[int]:
        return _all_pages(viewer, f"/requests?state={state}&q={q}")

    for form in ("2331972-7", "FI23319727", "2331972%20-%207", "23319", "2331972-"):
        assert found(form) == [wanted], form
    assert found(f"RA-2026-{wanted:06d}".lower()) == [wanted]
    assert found("testiYHDISTYS") == [wanted]
    assert found("liisa.laine@yhdistys") == [wanted]
    assert found(f"numero {ids[-1]} ry") == [ids[-1]]
    # A word of every name pages through all of them, in order; % and _ are only characters.
    assert found("yhdistys") == [wanted, *ids]
    assert found("100%25") == [] and found("_") == []
    assert found("2331972-7", state="approved") == []


def test_counts_follow_a_decision_at_once(app, signed_in, make_request):
    request_id = make_request("ready")
    reviewer = signed_in("reviewer")
    assert "to do (1)" in reviewer.get("/requests").text
    token = csrf_token(reviewer, f"/requests/{request_id}")
    reviewer.post(f"/requests/{request_id}/not-request", data={"csrf_token": token})
    page = reviewer.get("/requests").text
    assert "to do (0)" in page and "not a request (1)" in page


def test_request_page_names_messages_and_parts_in_the_staff_language(signed_in, make_request):
    request_id = make_request("ready")
    viewer = signed_in("viewer")
    token = csrf_token(viewer, "/requests")
    viewer.post("/language", data={"csrf_token": token, "language": "fi", "next": "/requests"})
    page = viewer.get(f"/requests/{request_id}").text
    assert "· rekisteröintihakemus" in page
    assert "<h4>Viestin teksti</h4>" in page
    assert "<h4>body</h4>" not in page and "· request" not in page
