"""Every route of the application, with who may use it: a new route must be added here."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from staff_client import csrf_token

from registry_admin.db import db, transaction
from registry_admin.intake.models import MailMessage, RegistrationRequest
from registry_admin.review.reasons import FIELDS as REASON_FIELDS
from registry_admin.review.reasons import RejectionReason

# endpoint -> least role that may use it: "public", "token" (the lookup API), or a staff role.
INVENTORY = {
    "static": "public",
    "health.healthz": "public",
    "health.readyz": "public",
    "auth.login": "public",
    "auth.logout": "public",
    "auth.oidc_login": "public",
    "auth.oidc_callback": "public",
    "registry_ui.set_language": "public",
    "api.openapi": "public",
    "api.get_organization": "token",
    "api.lookup_organizations": "token",
    "api.list_changes": "token",
    "registry_ui.registry": "viewer",
    "registry_ui.organization": "viewer",
    "registry_ui.export": "viewer",
    "registry_ui.add_organization": "admin",
    "registry_ui.remove_organization": "admin",
    "registry_ui.audit": "admin",
    "review.index": "viewer",
    "review.queue": "viewer",
    "review.detail": "viewer",
    "review.message_html": "viewer",
    "review.attachment": "viewer",
    "review.bulk_not_request": "reviewer",
    "review.approve": "reviewer",
    "review.reject": "reviewer",
    "review.ask_missing": "reviewer",
    "review.not_request": "reviewer",
    "review.correct": "reviewer",
    "review.reprocess": "reviewer",
    "review.reason_list": "admin",
    "review.create_reason": "admin",
    "review.edit_reason": "admin",
    "review.move_reason": "admin",
    "notify_admin.outbox": "viewer",
    "notify_admin.retry": "admin",
    "notify_admin.wording_list": "admin",
    "notify_admin.edit_wording": "admin",
    "notify_admin.reset_wording": "admin",
    "notify_admin.wording_frame": "admin",
    "webhooks_admin.webhooks": "admin",
    "webhooks_admin.retry": "admin",
    "webhooks_admin.skip": "admin",
}
ROLE_ORDER = ("viewer", "reviewer", "admin")
SAMPLE_ARGS = {
    "business_id": "0201256-6",
    "filename": "style.css",
    "request_id": 1,
    "message_id": 1,
    "index": 0,
    "notification_id": 1,
    "delivery_id": 1,
    "kind": "missing",
    "language": "sv",
    "part": "body.html",
    "reason_id": 1,
}
# Session bookkeeping of sign-ins is not domain state.
BOOKKEEPING = {"staff_sessions", "login_failures", "alembic_version"}
# Where an allowed GET answers with a redirect rather than a page.
REDIRECTS = {"review.index"}
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "060.eml"


@pytest.fixture
def seeded(app, add_org):
    """One organization, and request 1 with message 1 (HTML and a PDF attachment)."""
    add_org("0201256-6", "Helsinki", source="municipality")
    raw = FIXTURE.read_bytes()
    with app.app_context(), transaction() as session:
        request = RegistrationRequest(
            state="incomplete", reference="RA-2026-000001", missing=[], evidence={}
        )
        session.add(request)
        session.flush()
        session.add(
            MailMessage(
                source="test",
                folder="INBOX",
                sha256=hashlib.sha256(raw).hexdigest(),
                size=len(raw),
                raw=raw,
                state="parsed",
                kind="request",
                request_id=request.id,
            )
        )
        assert request.id == 1
        if session.get(RejectionReason, 1) is None:  # PostgreSQL tests start without the seeds
            session.add(
                RejectionReason(
                    id=1, updated_by="test", **{f: "x" for f in REASON_FIELDS}, position=1
                )
            )


def routes(app):
    for rule in app.url_map.iter_rules():
        path = rule.build(SAMPLE_ARGS, append_unknown=False)[1] if rule.arguments else rule.rule
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, path


def test_every_route_is_in_the_inventory(sqlite_app):
    endpoints = {rule.endpoint for rule in sqlite_app.url_map.iter_rules()}
    assert endpoints - set(INVENTORY) == set(), "add the new route to INVENTORY with its role"
    assert set(INVENTORY) - endpoints == set(), "remove the vanished route from INVENTORY"


def _snapshot(app) -> dict[str, list]:
    with app.app_context():
        tables = [t for t in inspect(db.engine).get_table_names() if t not in BOOKKEEPING]
        snapshot = {
            t: sorted(map(repr, db.session.execute(text(f'SELECT * FROM "{t}"')))) for t in tables
        }
        # Reading a request's personal data is recorded; that is the only write a GET may make.
        views = text("SELECT * FROM audit_events WHERE action <> 'request.view'")
        snapshot["audit_events"] = sorted(map(repr, db.session.execute(views)))
        return snapshot


@pytest.mark.parametrize("who", ["anonymous", *ROLE_ORDER])
def test_each_role_gets_the_expected_answer_on_every_get(app, signed_in, seeded, who):
    client = app.test_client() if who == "anonymous" else signed_in(who)
    before = _snapshot(app)
    for endpoint, method, path in routes(app):
        if method != "GET":
            continue
        need = INVENTORY[endpoint]
        with client.get(path) as response:
            status = response.status_code
        if need == "public":
            assert status < 400, (endpoint, who, status)
        elif need == "token":
            assert status == 401, (endpoint, who, status)
        elif who == "anonymous":
            assert status == 302, (endpoint, who, status)
        elif ROLE_ORDER.index(who) >= ROLE_ORDER.index(need):
            assert status == (302 if endpoint in REDIRECTS else 200), (endpoint, who, status)
        else:
            assert status == 403, (endpoint, who, status)
    assert _snapshot(app) == before, "a GET changed the database"


def test_every_unsafe_method_without_csrf_token_is_refused(app, signed_in, seeded):
    admin = signed_in("admin")
    csrf_token(admin, "/registry")  # the session has a token; the requests below don't send it
    before = _snapshot(app)
    for endpoint, method, path in routes(app):
        if method == "GET" or INVENTORY[endpoint] == "token":
            continue
        response = admin.open(
            path, method=method, data={"business_id": "2331972-7", "name": "x", "reason": "x"}
        )
        assert response.status_code == 400, (endpoint, method, response.status_code)
    assert _snapshot(app) == before


def test_unsafe_methods_check_the_role(app, signed_in, seeded):
    for who in ("viewer", "reviewer"):
        client = signed_in(who)
        token = csrf_token(client, "/registry")
        for endpoint, method, path in routes(app):
            if method == "GET" or INVENTORY[endpoint] in ("public", "token"):
                continue
            data = {"csrf_token": token, "business_id": "2331972-7", "name": "x", "reason": "x"}
            status = client.open(path, method=method, data=data).status_code
            if ROLE_ORDER.index(who) < ROLE_ORDER.index(INVENTORY[endpoint]):
                assert status == 403, (endpoint, who, status)
